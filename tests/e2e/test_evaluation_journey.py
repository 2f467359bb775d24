"""The national pilot's journey in Chromium: the bilan's dashboard, a definition, the PDF; axe on each page."""

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.conftest import axe_violations, sign_in


@pytest.mark.django_db(transaction=True)
def test_the_national_pilot_reads_the_bilan_opens_a_definition_and_downloads_the_pdf(
    page, make_user, settings
):
    settings.DEBUG, settings.DEMO_MODE = True, True
    # An earlier transactional test may have flushed the migrations' reference data: put it back.
    from parcours.pathways.defaults import ensure_national_template
    from tests import factories
    from tests.protection.factories import ensure_ceilings

    factories.department("92")
    ensure_ceilings()
    ensure_national_template()
    import importlib

    from django.apps import apps

    from parcours.evaluation.models import ContextFigure

    if not ContextFigure.objects.exists():
        importlib.import_module("parcours.evaluation.migrations.0002_context_figures").add(apps, None)
    call_command("seed_demo", "--scale", "0.2", stdout=StringIO())
    from parcours.evaluation import services

    services.refresh()
    sign_in(page, make_user("national_pilot", None))
    page.get_by_role("link", name="Bilan de l'expérimentation").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bilan de l'expérimentation")
    expect(page.get_by_role("heading", name="Séparations déclarées")).to_be_visible()
    expect(page.get_by_text("< 11").first).to_be_attached()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Définition : délai jusqu'au premier contact — médiane").click()
    expect(page.get_by_role("heading", name="Définitions des indicateurs du bilan")).to_be_visible()
    assert "#pathwaysfirst_contact_median" in page.url
    expect(page.locator("#pathwaysfirst_contact_median")).to_contain_text("jours ouvrés")
    assert axe_violations(page) == []
    page.go_back()
    page.get_by_role("link", name="Bilan en PDF").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bilan de l'expérimentation (PDF)")
    assert axe_violations(page) == []
    # The test settings run tasks inside the request: the click waits for the whole PDF to be built.
    page.get_by_role("button", name="Préparer").click(timeout=90_000)
    link = page.get_by_role("link", name="Télécharger")
    expect(link).to_be_visible(timeout=90_000)
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == f"bilan-national-{download.suggested_filename.split('-')[-1]}"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    page.goto("/gestion/evaluation/contexte/")
    expect(page.get_by_text("146 femmes et 27 hommes")).to_be_visible()
    assert axe_violations(page) == []
