"""The exporter registry (core.exports): one neutraliser, three spreadsheet writers, policy and audit."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from parcours.core import exports, policy
from parcours.core.models import AuditEntry, ExportJob

HEADERS = ["Nom", "Montant", "Le"]
ROWS = [['=HYPERLINK("http://x")', 12, date(2026, 3, 1)], ["+33 6", 3.5, None], ["@SUM(A1)", -4, None]]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6 12", "'+33 6 12"),
        ("-2", "'-2"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Martin", "Martin"),
        (-2, -2),
        (None, None),
    ],
)
def test_neutralise_quotes_text_a_spreadsheet_would_run(value, expected):
    assert exports.neutralise(value) == expected


def _table():
    return exports.Table(headers=HEADERS, rows=[list(r) for r in ROWS], title="Essai: [x]")


def test_csv_has_a_bom_semicolons_french_dates_and_no_live_formula():
    content = exports.write_csv(_table()).decode("utf-8")
    assert content.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(content.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == HEADERS
    assert rows[1] == ['\'=HYPERLINK("http://x")', "12", "01/03/2026"]
    assert rows[2][0] == "'+33 6" and rows[2][1] == "3,5"
    assert rows[3][0] == "'@SUM(A1)" and rows[3][1] == "-4"


def test_xlsx_cells_read_back_as_text_or_numbers():
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(exports.write_xlsx(_table())))
    sheet = workbook.active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == HEADERS
    assert values[1][0] == '\'=HYPERLINK("http://x")' and values[1][1] == 12
    assert values[3][1] == -4
    assert all(sheet.cell(row=r, column=1).data_type != "f" for r in range(1, 5))


def test_ods_cells_read_back_as_text_or_numbers():
    from odf import teletype
    from odf.opendocument import load
    from odf.table import TableCell, TableRow

    document = load(io.BytesIO(exports.write_ods(_table())))
    rows = document.spreadsheet.getElementsByType(TableRow)
    texts = [[teletype.extractText(c) for c in row.getElementsByType(TableCell)] for row in rows]
    assert texts[0] == HEADERS
    assert texts[1][0] == '\'=HYPERLINK("http://x")'
    first_amount = rows[1].getElementsByType(TableCell)[1]
    assert first_amount.getAttribute("valuetype") == "float"
    assert all(
        c.getAttribute("formula") in (None, "") for row in rows for c in row.getElementsByType(TableCell)
    )


@pytest.fixture
def sample_exporter():
    exporter = exports.Exporter(
        identifier="tests.sample",
        label="Échantillon",
        permission="workshops.compare",
        formats=("csv", "xlsx"),
        table=lambda ctx: _table(),
        filename=lambda ctx: f"echantillon {ctx.actor.department_code or 'national'}",
    )
    exports.register(exporter)
    yield exporter
    exports._REGISTRY.pop(exporter.identifier, None)
    policy.URLS.pop(exporter.url_name, None)


def test_registering_lists_the_exporter_url_in_the_access_policy(sample_exporter):
    access = policy.URLS["backoffice:export-tests-sample"]
    assert access.permission == "workshops.compare"
    assert access.methods == ("GET",)


def test_register_refuses_an_unknown_permission():
    with pytest.raises(ValueError, match="permission inconnue"):
        exports.register(
            exports.Exporter(
                identifier="tests.bad", label="x", permission="nope", formats=("csv",), table=lambda c: None
            )
        )


def test_produce_checks_the_role_then_audits(sample_exporter, make_user):
    pilot = make_user("local_pilot", "92")
    rendered = exports.produce(actor=pilot, identifier="tests.sample", fmt="csv")
    assert rendered.filename == "echantillon-92.csv"
    assert rendered.content_type.startswith("text/csv")
    entry = AuditEntry.objects.filter(action="tests.sample.exported").get()
    assert entry.actor_id == pilot.pk and entry.data["format"] == "csv"
    worker = make_user("social_worker", "92")
    with pytest.raises(PermissionDenied):
        exports.produce(actor=worker, identifier="tests.sample", fmt="csv")
    assert AuditEntry.objects.filter(action="tests.sample.exported").count() == 1


def test_produce_refuses_a_format_the_exporter_does_not_offer(sample_exporter, make_user):
    with pytest.raises(exports.ExportError, match="Format « pdf »"):
        exports.produce(actor=make_user("local_pilot", "92"), identifier="tests.sample", fmt="pdf")


def test_a_background_job_is_produced_for_its_requester_only(
    sample_exporter, make_user, django_capture_on_commit_callbacks
):
    pilot = make_user("local_pilot", "92")
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.start_job(actor=pilot, identifier="tests.sample", fmt="xlsx")
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert exports.read_job_file(job).startswith(b"PK")  # a zip: the XLSX container
    import os
    import stat

    assert stat.S_IMODE(os.stat(job.path).st_mode) == 0o600
    from django.http import Http404

    with pytest.raises(Http404):
        exports.job_for(make_user("local_pilot", "92"), "tests.sample", job.token)
    assert exports.job_for(pilot, "tests.sample", job.token) == job
    assert AuditEntry.objects.filter(action="tests.sample.exported", data__background=True).count() == 1
