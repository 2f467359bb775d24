"""Importing an inventory of practices (XLSX, ODS or CSV, one line per practice): all or nothing.

Columns (first line = headers, in any order; the required ones marked *):

    departement*  titre*  equipe  public  resume  annee  role  etapes  etp  outils  budget
    partenaires  financements  indicateurs  innovation  evaluation  liens

- `etapes`: step codes or labels of the parcours séparation, separated by `|`;
- `partenaires`: `Nom exact dans l'annuaire de la Caf : rôle`, separated by `|`;
- `financements`: `source : montant : année : instrument`, separated by `|`; source among
  "prestation de service", "fonds locaux", "subvention État", "collectivité", "autre";
- `indicateurs`: `intitulé = valeur (période)`, separated by `|`.

Every line is checked first; one bad line and nothing is written, every error reported in French
("ligne 4 : financements « x : 12 : 2024 » : source inconnue…"), as `import-events` does. Imported
sheets arrive « soumise », for the local pilot to review.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction

from parcours.core import audit, policy
from parcours.core.models import Department
from parcours.doctrine import services
from parcours.doctrine.models import Funding, Practice, Transition
from parcours.pathways.models import StepKind
from parcours.protection.models import Partner

MAX_BYTES = 5 * 1024 * 1024
COLUMNS = (
    ("departement", "code du département de la Caf (92, 974…)", True),
    ("titre", "titre de la pratique", True),
    ("equipe", "équipe", False),
    ("public", "public concerné", False),
    ("resume", "résumé", False),
    ("annee", "année de mise en place (AAAA)", False),
    ("role", "rôle de la Caf", False),
    ("etapes", "étapes du parcours, séparées par |", False),
    ("etp", "effectif en ETP (0,5)", False),
    ("outils", "outils", False),
    ("budget", "budget annuel en euros", False),
    ("partenaires", "Nom dans l'annuaire : rôle, séparés par |", False),
    ("financements", "source : montant : année : instrument, séparés par |", False),
    ("indicateurs", "intitulé = valeur (période), séparés par |", False),
    ("innovation", "ce qui est innovant", False),
    ("evaluation", "éléments d'évaluation", False),
    ("liens", "liens, séparés par |", False),
)
SOURCES = {
    "prestation de service": Funding.Source.SERVICE_BENEFIT,
    "fonds locaux": Funding.Source.LOCAL_FUNDS,
    "fonds locaux / action sociale": Funding.Source.LOCAL_FUNDS,
    "action sociale": Funding.Source.LOCAL_FUNDS,
    "subvention etat": Funding.Source.STATE_GRANT,
    "subvention état": Funding.Source.STATE_GRANT,
    "collectivite": Funding.Source.LOCAL_AUTHORITY,
    "collectivité": Funding.Source.LOCAL_AUTHORITY,
    "autre": Funding.Source.OTHER,
}


@dataclass(frozen=True)
class LineError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"ligne {self.line} : {self.message}"


@dataclass
class Outcome:
    total: int = 0
    created: int = 0
    errors: list[LineError] = field(default_factory=list)
    unreadable: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors and not self.unreadable


class Unreadable(Exception):
    pass


# --- reading -----------------------------------------------------------------------------------


def read_rows(data: bytes, filename: str) -> list[dict[str, str]]:
    name = filename.lower()
    if name.endswith(".xlsx"):
        rows = _xlsx(data)
    elif name.endswith(".ods"):
        rows = _ods(data)
    elif name.endswith(".csv"):
        rows = _csv(data)
    else:
        raise Unreadable("format non reconnu : le fichier doit être .xlsx, .ods ou .csv")
    rows = [r for r in rows if any(str(c).strip() for c in r)]
    if not rows:
        raise Unreadable("le fichier est vide")
    headers = [str(h or "").strip().lower() for h in rows[0]]
    missing = [name for name, _, required in COLUMNS if required and name not in headers]
    if missing:
        raise Unreadable(f"colonnes obligatoires absentes : {', '.join(missing)}")
    out = []
    for values in rows[1:]:
        cells = [("" if v is None else str(v)).strip() for v in values]
        cells += [""] * (len(headers) - len(cells))
        out.append(dict(zip(headers, cells, strict=False)))
    return out


def _csv(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Unreadable("encodage illisible (UTF-8 ou Windows-1252 attendu)")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _xlsx(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise Unreadable("classeur XLSX illisible") from exc
    sheet = workbook.worksheets[0]
    return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def _cell(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


def _ods(data: bytes) -> list[list[str]]:
    from odf import opendocument, table, teletype

    try:
        document = opendocument.load(io.BytesIO(data))
    except Exception as exc:
        raise Unreadable("classeur ODS illisible") from exc
    sheets = document.spreadsheet.getElementsByType(table.Table)
    if not sheets:
        raise Unreadable("classeur ODS sans feuille")
    rows = []
    for row in sheets[0].getElementsByType(table.TableRow):
        cells = []
        for cell in row.getElementsByType(table.TableCell):
            repeat = int(cell.getAttribute("numbercolumnsrepeated") or 1)
            text = teletype.extractText(cell)
            cells.extend([text] * min(repeat, 100))
        while cells and not cells[-1]:
            cells.pop()
        rows.append(cells)
    return rows


# --- checking ----------------------------------------------------------------------------------


def _split(value: str) -> list[str]:
    return [p.strip() for p in value.split("|") if p.strip()]


def _decimal(value: str) -> Decimal:
    cleaned = (
        value.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("€", "").replace(",", ".")
    )
    number = Decimal(cleaned)
    if number < 0 or not number.is_finite():
        raise InvalidOperation
    return number


STEP_LABELS = {label.lower(): code for code, label in StepKind.choices}


@dataclass
class Checked:
    line: int
    department: Department
    data: dict
    partners: list
    fundings: list
    indicators: list


def check_row(
    line: int, row: dict, *, departments: dict, partners: dict, own: str | None
) -> tuple[Checked | None, list[LineError]]:
    errors: list[LineError] = []

    def err(field_name, message):
        errors.append(LineError(line, field_name, message))

    code = row.get("departement", "")
    department = departments.get(code)
    if department is None:
        err("departement", f"departement « {code} » : aucune Caf de ce département n'utilise Parcours")
    elif own is not None and code != own:
        err(
            "departement",
            f"departement « {code} » : vous importez pour la Caf de votre département ({own}) seulement",
        )
    title = row.get("titre", "")
    if not title:
        err("titre", "titre manquant")
    elif len(title) > 200:
        err("titre", "titre trop long (200 caractères au plus)")
    data = {
        "title": title,
        "team": row.get("equipe", "")[:200],
        "audience": row.get("public", "")[:300],
        "summary": row.get("resume", ""),
        "role_description": row.get("role", ""),
        "tools": row.get("outils", ""),
        "innovation": row.get("innovation", ""),
        "evidence": row.get("evaluation", ""),
        "links": "\n".join(_split(row.get("liens", ""))),
        "started_year": None,
        "staff_fte": None,
        "budget": None,
        "pathway_steps": [],
    }
    if row.get("annee"):
        if re.fullmatch(r"\d{4}", row["annee"]) and 1990 <= int(row["annee"]) <= 2100:
            data["started_year"] = int(row["annee"])
        else:
            err("annee", f"annee « {row['annee']} » : une année sur quatre chiffres est attendue (2024)")
    for name, key in (("etp", "staff_fte"), ("budget", "budget")):
        if row.get(name):
            try:
                data[key] = _decimal(row[name])
            except (InvalidOperation, ValueError):
                err(name, f"{name} « {row[name]} » n'est pas un nombre positif")
    for step in _split(row.get("etapes", "")):
        code_step = step if step in StepKind.values else STEP_LABELS.get(step.lower())
        if code_step is None:
            err("etapes", f"etapes « {step} » : étape inconnue du parcours séparation")
        else:
            data["pathway_steps"].append(code_step)
    rows_partners = []
    for item in _split(row.get("partenaires", "")):
        name, _, role = item.partition(":")
        partner = partners.get((code, name.strip().lower()))
        if partner is None:
            err(
                "partenaires",
                f"partenaires « {name.strip()} » : absent de l'annuaire des partenaires de la Caf {code}",
            )
        else:
            rows_partners.append((partner, role.strip()[:300]))
    fundings = []
    for item in _split(row.get("financements", "")):
        bits = [b.strip() for b in item.split(":")]
        if len(bits) < 3:
            err("financements", f"financements « {item} » : « source : montant : année » attendu")
            continue
        source = SOURCES.get(bits[0].lower())
        if source is None:
            err(
                "financements",
                f"financements « {item} » : source inconnue (prestation de service, fonds locaux, subvention État, collectivité, autre)",
            )
            continue
        try:
            amount = _decimal(bits[1])
        except (InvalidOperation, ValueError):
            err("financements", f"financements « {item} » : montant « {bits[1]} » invalide")
            continue
        if not (re.fullmatch(r"\d{4}", bits[2]) and 1990 <= int(bits[2]) <= 2100):
            err("financements", f"financements « {item} » : année « {bits[2]} » invalide")
            continue
        fundings.append(
            {"source": source, "amount": amount, "year": int(bits[2]), "instrument": ":".join(bits[3:])[:200]}
        )
    indicators = []
    for item in _split(row.get("indicateurs", "")):
        label, sep, rest = item.partition("=")
        if not sep or not label.strip() or not rest.strip():
            err("indicateurs", f"indicateurs « {item} » : « intitulé = valeur (période) » attendu")
            continue
        match = re.fullmatch(r"(.*?)\s*(?:\((.*)\))?", rest.strip())
        indicators.append(
            {
                "label": label.strip()[:200],
                "value": match.group(1)[:60],
                "period": (match.group(2) or "")[:60],
            }
        )
    if errors:
        return None, errors
    return Checked(line, department, data, rows_partners, fundings, indicators), []


def import_file(*, actor, data: bytes, filename: str, dry_run: bool = False) -> Outcome:
    """Check every line, then (unless a dry run or any error) write them all in one transaction.

    `actor` None is the operator's command line (any Caf); a local pilot imports for their own Caf.
    """
    if actor is not None:
        policy.require(actor, "doctrine.import")
    outcome = Outcome()
    try:
        rows = read_rows(data, filename)
    except Unreadable as exc:
        outcome.unreadable = str(exc)
        return outcome
    outcome.total = len(rows)
    own = None
    if actor is not None and not (actor.department_code is None and actor.is_national):
        own = actor.department_code
    from parcours.pathways.services.jobs import caf_departments

    departments = {d.code: d for d in Department.objects.filter(code__in=caf_departments())}
    partners = {(p.department.code, p.name.lower()): p for p in Partner.objects.select_related("department")}
    checked = []
    for index, row in enumerate(rows, start=2):
        result, errors = check_row(index, row, departments=departments, partners=partners, own=own)
        outcome.errors.extend(errors)
        if result is not None:
            checked.append(result)
    if outcome.errors or dry_run:
        return outcome
    with transaction.atomic():
        for item in checked:
            practice = Practice(department=item.department, created_by=actor, state=Practice.State.SUBMITTED)
            for key, value in item.data.items():
                setattr(practice, key, value)
            practice.save()
            services.write_rows(
                practice, partners=item.partners, fundings=item.fundings, indicators=item.indicators
            )
            services.refresh(practice)
            Transition.objects.create(
                practice=practice,
                from_state=Practice.State.DRAFT,
                to_state=Practice.State.SUBMITTED,
                comment=f"Importée depuis {filename[:150]}",
                by=actor,
            )
            audit.record(actor, "doctrine.practice.imported", practice, data={"file": filename[:150]})
            outcome.created += 1
    return outcome
