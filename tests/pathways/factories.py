"""Factories for the pathways module: checked events, opened pathways, files in every encoding."""

from __future__ import annotations

import itertools
import json
from datetime import date

from parcours.pathways.defaults import ensure_national_template
from parcours.pathways.imports import COLUMNS, EventInput
from parcours.pathways.models import Pathway, SeparationEvent
from parcours.pathways.services import record_separations
from tests import factories

_numbers = itertools.count(1)


def event_input(**overrides) -> EventInput:
    n = next(_numbers)
    values = {
        "line": 2,
        "external_id": f"SEP-T-{n:06d}",
        "department": "92",
        "file_number": f"{8000000 + n}",
        "declared_on": date(2026, 3, 2),
        "declarant_last_name": "Martin",
        "declarant_first_name": "Camille",
        "children_count": 2,
    }
    values.update(overrides)
    factories.caf(values["department"])
    ensure_national_template()
    return EventInput(**values)


def open_pathway(*, actor=None, source=SeparationEvent.Source.FILE, **overrides) -> Pathway:
    """Record one event as the command line would (or as `actor`), and return its pathway."""
    event = event_input(**overrides)
    report = record_separations(actor=actor, events=[event], source=source)
    return Pathway.objects.select_related("household__department", "template").get(
        pk=report.results[0].pathway_id
    )


def row(**overrides) -> dict[str, str]:
    n = next(_numbers)
    values = {
        "external_id": f"SEP-F-{n:06d}",
        "department": "92",
        "file_number": f"{7000000 + n}",
        "declared_on": "2026-03-02",
        "separated_on": "",
        "declarant_last_name": "Lefèvre",
        "declarant_first_name": "Hélène",
        "declarant_birth_date": "",
        "other_parent_last_name": "",
        "other_parent_first_name": "",
        "children_count": "1",
        "youngest_child_birth_date": "",
        "shared_home": "non",
        "violence_reported": "non",
        "email": "",
        "phone": "",
        "address_line": "",
        "postal_code": "",
        "city": "",
    }
    values.update(overrides)
    return values


def csv_bytes(rows, *, sep: str = ";", encoding: str = "utf-8", bom: bool = False, columns=COLUMNS) -> bytes:
    lines = [sep.join(columns)]
    for values in rows:
        lines.append(sep.join(str(values.get(c, "")) for c in columns))
    text = "\r\n".join(lines) + "\r\n"
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def json_bytes(rows, *, wrapped: bool = False) -> bytes:
    payload = {"events": list(rows)} if wrapped else list(rows)
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")
