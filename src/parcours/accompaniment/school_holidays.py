"""School holidays per zone, loaded from the official open-data calendar of the ministry
(data.education.gouv.fr, « Calendrier scolaire », dataset fr-en-calendrier-scolaire).

Its CSV export (`;`, UTF-8) has the columns Description;Population;Date de début;Date de fin;
Académies;Zones;annee_scolaire, its JSON export the fields description, population, start_date,
end_date, location, zones, annee_scolaire. Dates are ISO instants (midnight local time written in UTC,
e.g. 2025-10-17T22:00:00+00:00 for 18 October in Paris): they are read back in the zone's time zone.
The file has one row per académie: the same period of a zone is kept once. Rows for teachers only
(Population « Enseignants ») are left out.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

# The zone of each department's schools (La Réunion has its own calendar).
DEPARTMENT_ZONES = {"92": "Zone C", "974": "Réunion", "27": "Zone B", "86": "Zone A", "47": "Zone A"}
ZONE_TIMEZONES = {"Réunion": "Indian/Reunion", "Mayotte": "Indian/Mayotte", "Guadeloupe": "America/Guadeloupe",
                  "Martinique": "America/Martinique", "Guyane": "America/Cayenne"}  # fmt: skip
CSV_FIELDS = {
    "Description": "description",
    "Population": "population",
    "Date de début": "start_date",
    "Date de fin": "end_date",
    "Zones": "zones",
    "annee_scolaire": "annee_scolaire",
}


@dataclass(frozen=True)
class Period:
    zone: str
    description: str
    school_year: str
    starts_on: date
    ends_on: date


def zone_for(department_code: str) -> str:
    return DEPARTMENT_ZONES.get(department_code, "")


def _day(value: str, zone: str) -> date:
    value = (value or "").strip()
    if len(value) == 10:
        return date.fromisoformat(value)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo(ZONE_TIMEZONES.get(zone, "Europe/Paris"))).date()


def _rows(content: bytes) -> list[dict]:
    text = content.decode("utf-8-sig")
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        data = json.loads(stripped)
        if isinstance(data, dict):  # the API's {"results": [...]} answer
            data = data.get("results", [])
        return [row.get("fields", row) for row in data]
    reader = csv.DictReader(io.StringIO(text), delimiter=";")
    return [{CSV_FIELDS.get(k, k): v for k, v in row.items()} for row in reader]


def parse(content: bytes) -> list[Period]:
    """The periods of the file, one per zone and period; a French ValidationError for a file that is not it."""
    try:
        rows = _rows(content)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValidationError(
            "Fichier illisible : export CSV ou JSON du calendrier scolaire attendu."
        ) from error
    periods: dict[tuple, Period] = {}
    for number, row in enumerate(rows, start=2):
        if not {"description", "start_date", "end_date", "zones"} <= set(row):
            raise ValidationError(
                "Colonnes attendues : Description, Population, Date de début, Date de fin, Zones (calendrier scolaire officiel)."
            )
        if (row.get("population") or "-").strip() == "Enseignants":
            continue
        zone = (row["zones"] or "").strip()
        try:
            start, end = _day(row["start_date"], zone), _day(row["end_date"], zone)
        except ValueError as error:
            raise ValidationError(f"Ligne {number} : date illisible.") from error
        if not zone or end <= start:
            continue  # the summer holidays have no end in the year's file; a zone is required
        key = (zone, row["description"].strip(), start)
        periods[key] = Period(
            zone, row["description"].strip(), (row.get("annee_scolaire") or "").strip(), start, end
        )
    if not periods:
        raise ValidationError("Aucune période de vacances trouvée dans le fichier.")
    return sorted(periods.values(), key=lambda p: (p.zone, p.starts_on))
