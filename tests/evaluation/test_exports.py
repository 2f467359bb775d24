"""The bilan's figures and PDF: the command line and the background exports, with secrecy applied."""

import csv
import io
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from pypdf import PdfReader

from parcours.core import exports
from parcours.evaluation import services
from parcours.evaluation.tables import year_of
from tests import factories


@pytest.fixture
def demo_year(db, settings):
    settings.DEBUG = True
    settings.DEMO_MODE = True
    call_command("seed_demo", "--scale", "0.2", stdout=StringIO())
    services.refresh()


def _year():
    from parcours.evaluation import publication

    return publication.years_available()[0]


def test_the_command_writes_every_cell_with_totals_and_hidden_cells(demo_year, tmp_path):
    year = _year()
    out = tmp_path / "bilan.csv"
    call_command(
        "indicators", "export", "--scope", "national", "--from", f"{year}-01", "--to", f"{year}-12",
        "--format", "csv", "--output", str(out),
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert {"value", "numerator", "denominator", "low", "high", "department", "month"} <= set(rows[0])
    assert any(r["department"] == "total" and r["month"] == "total" for r in rows)
    hidden = [r for r in rows if r["value"] == "< 11"]
    assert hidden and all(
        r["numerator"] == r["denominator"] == r["low"] == r["high"] == "< 11" for r in hidden
    )
    shares = [
        r for r in rows if r["indicator"] == "pathways.rights_appointment_on_time" and r["value"] != "< 11"
    ]
    assert shares and all(r["low"] and r["high"] for r in shares if r["denominator"] not in ("", "0"))
    for fmt in ("ods", "xlsx"):
        target = tmp_path / f"bilan.{fmt}"
        call_command("indicators", "export", "--scope", "92", "--format", fmt, "--output", str(target),
                     "--from", f"{year}-01", "--to", f"{year}-12")  # fmt: skip
        assert target.stat().st_size > 1000


def test_a_period_that_is_not_a_calendar_year_is_refused():
    assert year_of("2026-01", "2026-12") == 2026
    with pytest.raises(ValueError):
        year_of("2026-01", "2026-06")
    with pytest.raises(CommandError):
        call_command("indicators", "export", "--from", "2026-03", "--to", "2026-12", stdout=StringIO())


def test_a_local_pilot_exports_their_department_only(demo_year):
    pilot = factories.make_user("local_pilot", "92")
    rendered = exports.produce(
        actor=pilot,
        identifier="evaluation.figures",
        fmt="csv",
        params={"scope": "national", "year": str(_year())},
    )
    rows = list(csv.DictReader(io.StringIO(rendered.content.decode("utf-8-sig")), delimiter=";"))
    assert rows and {r["department"] for r in rows} == {"92"}


def test_the_bilan_pdf_is_prepared_in_the_background_and_explains_the_secrecy(
    demo_year, client_for, django_capture_on_commit_callbacks
):
    pilot = factories.make_user("national_pilot", None)
    client = client_for(pilot)
    url = reverse("backoffice:export-evaluation-bilan")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{url}?scope=national&year={_year()}", {"format": "pdf"})
    assert response.status_code == 302
    from parcours.core.models import ExportJob

    job = ExportJob.objects.get(identifier="evaluation.bilan")
    assert job.status == ExportJob.Status.DONE and job.params == {"scope": "national", "year": str(_year())}
    pdf = client.get(f"{url}?job={job.token}&download=1")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Méthode" in text and "Secret statistique" in text and "< 11" in text
    assert "Délai jusqu'au premier contact" in text and "146 femmes et 27 hommes" in text
