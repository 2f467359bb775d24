"""Exports read back (inventory: CSV/ODS/XLSX with formula cells neutralised; document: PDF with its
table of contents and page numbers, ODT and DOCX opened with their libraries, in the background with
progress), the import (all or nothing, every bad line in French, same exit codes as import-events)
and the indicators."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from parcours.core import exports, indicators
from parcours.core.models import ExportJob
from parcours.doctrine import imports, services
from parcours.doctrine.models import Practice
from tests import factories
from tests.doctrine import factories as df
from tests.protection import factories as pf

pytestmark = pytest.mark.django_db
S = Practice.State


def test_inventory_exports_neutralise_formula_cells_in_every_format():
    pilot = factories.make_user("local_pilot", "92")
    df.practice("92", state=S.SUBMITTED, title='=HYPERLINK("http://x")', summary="@SUM(A1)")
    df.practice("974", state=S.SUBMITTED, title="Autre Caf")
    content = exports.produce(actor=pilot, identifier="doctrine.inventory", fmt="csv").content.decode(
        "utf-8-sig"
    )
    rows = list(csv.reader(io.StringIO(content), delimiter=";"))
    assert rows[1][2] == '\'=HYPERLINK("http://x")' and rows[1][-1] == "'@SUM(A1)"
    assert len(rows) == 2  # the local pilot's Caf only
    from openpyxl import load_workbook

    xlsx = exports.produce(actor=pilot, identifier="doctrine.inventory", fmt="xlsx").content
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet.cell(row=2, column=3).value == '\'=HYPERLINK("http://x")'
    ods = exports.produce(actor=pilot, identifier="doctrine.inventory", fmt="ods").content
    rows = imports._ods(ods)
    assert rows[1][2] == '\'=HYPERLINK("http://x")'


def _document(national):
    a = df.practice("92", state=S.PUBLISHED, title="Contact sous 72 h par un travailleur social")
    b = df.practice("974", state=S.PUBLISHED, title="Séance Parents après la séparation en webinaire")
    services.save_document(
        actor=national,
        chapters=[
            {
                "title": "Aller vers",
                "introduction": "Les Caf vont vers les familles : sans attendre.",
                "practices": [a.pk],
            },
            {"title": "Parentalité", "introduction": "", "practices": [b.pk]},
        ],
    )


def test_the_document_pdf_has_a_table_of_contents_page_numbers_and_french_typography():
    from pypdf import PdfReader

    national = factories.make_user("national_pilot", None)
    _document(national)
    pdf = exports.produce(actor=national, identifier="doctrine.document", fmt="pdf").content
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    assert "Table des matières" in pages[1]
    assert "Aller vers" in pages[1] and "Contact sous 72 h" in pages[1]
    assert "Page 2 sur" in pages[1] and f"Page {len(pages)} sur {len(pages)}" in pages[-1]
    assert "familles\u00a0: sans attendre" in "".join(pages)


def test_french_typography_of_the_document():
    from parcours.doctrine.exports import typo_fr

    assert (
        typo_fr('L\'aide "AUU" : vite ; maintenant ?')
        == "L’aide «\u202fAUU\u202f»\u00a0: vite\u202f; maintenant\u202f?"
    )
    assert typo_fr("https://exemple.fr à 10:30") == "https://exemple.fr à 10:30"


def test_the_document_odt_and_docx_open_with_their_libraries():
    from docx import Document
    from odf import opendocument, teletype, text

    national = factories.make_user("national_pilot", None)
    _document(national)
    odt = exports.produce(actor=national, identifier="doctrine.document", fmt="odt").content
    document = opendocument.load(io.BytesIO(odt))
    headings = [teletype.extractText(h) for h in document.getElementsByType(text.H)]
    assert "Aller vers" in headings and "Contact sous 72 h par un travailleur social" in headings
    assert document.getElementsByType(text.TableOfContent) and document.getElementsByType(text.PageNumber)
    docx = Document(
        io.BytesIO(exports.produce(actor=national, identifier="doctrine.document", fmt="docx").content)
    )
    assert "Séance Parents après la séparation en webinaire" in [p.text for p in docx.paragraphs]
    assert "TOC" in docx.element.xml and "PAGE" in docx.sections[0].footer._element.xml


def test_the_document_is_produced_in_the_background_with_progress(
    client_for, django_capture_on_commit_callbacks
):
    national = factories.make_user("national_pilot", None)
    _document(national)
    reader = factories.make_user("social_worker", "27")
    client = client_for(reader)
    url = reverse("backoffice:export-doctrine-document")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"format": "docx"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and job.status == ExportJob.Status.DONE
    assert job.done == job.total == 2
    download = client.get(url, {"job": job.token, "download": "1"})
    assert download.status_code == 200 and download.content[:2] == b"PK"


CSV_HEADER = "departement;titre;resume;annee;etapes;partenaires;financements;indicateurs;etp\n"


def _csv(lines: list[str]) -> bytes:
    return (CSV_HEADER + "\n".join(lines) + "\n").encode("utf-8")


def test_import_all_or_nothing_with_every_bad_line_in_french(tmp_path):
    factories.caf("92")
    pf.partner("92", name="CIDFF 92")
    good = "92;Convention avec le CIDFF;Permanences;2024;Contact proactif d'un travailleur social;CIDFF 92 : juriste;prestation de service : 12 000 : 2025 : convention;Permanences = 42 (2025);0,5"
    bad = [
        "93;Hors Caf;;;;;;;",
        "92;Mauvais financement;;24;;Inconnu : x;bourse : 10 : 2025;Taux;abc",
    ]
    path = tmp_path / "inventaire.csv"
    path.write_bytes(_csv([good, *bad]))
    with pytest.raises(CommandError, match="erreurs sur 3 lignes ; rien n'a été écrit"):
        call_command("import-practices", str(path))
    assert not Practice.objects.exists()
    outcome = imports.import_file(actor=None, data=path.read_bytes(), filename="inventaire.csv")
    messages = [str(e) for e in outcome.errors]
    assert messages[0].startswith("ligne 3 : departement « 93 »")
    assert any("ligne 4 : annee « 24 »" in m for m in messages)
    assert any("ligne 4 : partenaires « Inconnu »" in m for m in messages)
    assert any("ligne 4 : financements « bourse : 10 : 2025 » : source inconnue" in m for m in messages)
    assert any("ligne 4 : indicateurs « Taux »" in m for m in messages)
    assert any("ligne 4 : etp « abc »" in m for m in messages)
    path.write_bytes(_csv([good]))
    call_command("import-practices", str(path), "--dry-run")
    assert not Practice.objects.exists()
    call_command("import-practices", str(path))
    practice = Practice.objects.get()
    assert practice.state == S.SUBMITTED and practice.staff_fte == Decimal("0.5")
    assert practice.fundings.get().amount == Decimal("12000")
    assert practice.partners.get().role == "juriste"
    assert practice.pathway_steps == ["social_worker_contact"]


def test_import_reads_xlsx_and_a_local_pilot_imports_only_for_their_caf(client_for):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["departement", "titre", "annee"])
    sheet.append(["92", "Sécurisation du dossier allocataire", 2023])
    sheet.append(["974", "Ailleurs", 2023])
    out = io.BytesIO()
    workbook.save(out)
    pilot = factories.make_user("local_pilot", "92")
    factories.caf("974")
    outcome = imports.import_file(actor=pilot, data=out.getvalue(), filename="inventaire.xlsx")
    assert [str(e) for e in outcome.errors] == [
        "ligne 3 : departement « 974 » : vous importez pour la Caf de votre département (92) seulement"
    ]
    response = client_for(pilot).post(
        reverse("backoffice:doctrine-import"),
        {"file": _upload("inventaire.xlsx", out.getvalue())},
    )
    assert "1 erreur sur 2 lignes" in response.content.decode()


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_indicators_are_registered_and_count_practices_and_funding():
    codes = {i.code for i in indicators.all_indicators()}
    assert {
        "doctrine.practices",
        "doctrine.practices_by_dimension",
        "doctrine.practices_by_theme",
        "doctrine.practices_by_year",
        "doctrine.funding",
    } <= codes
    df.practice("92", state=S.PUBLISHED, funding=("state_grant", Decimal("1000"), 2026))
    df.practice("92", state=S.DRAFT)
    today = date.today().replace(day=1)
    window = indicators.Window(start=date(2026, 1, 1), end=max(today, date(2026, 12, 1)))
    by_state = {
        c.breakdown["state"]: c.numerator for c in indicators.get("doctrine.practices").compute(window)
    }
    assert by_state == {"published": 1, "draft": 1}
    funding = list(indicators.get("doctrine.funding").compute(window))
    assert [(c.department, c.breakdown["source"], c.numerator) for c in funding] == [
        ("92", "state_grant", 1000.0)
    ]
    dims = {
        c.breakdown["dimension"] for c in indicators.get("doctrine.practices_by_dimension").compute(window)
    }
    assert {"role", "means", "funding", "results"} <= dims
