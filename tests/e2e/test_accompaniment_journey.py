"""A mesure d'accompagnement protégé in Chromium: the social worker records the judge's order and refers
it; the MAP organisation accepts, adds the places, builds the calendar, assigns its accompanist, records a
handover done with an incident, validates the report to the judge and downloads its PDF."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from parcours.accompaniment.models import Handover, Incident, Measure
from tests import factories
from tests.accompaniment import factories as af
from tests.e2e.conftest import axe_violations, sign_in
from tests.notifications.factories import pdf_text
from tests.protection.factories import png_bytes


def _no_violations(page):
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"


@pytest.mark.django_db(transaction=True)
def test_order_referral_calendar_handover_incident_and_report(page, tmp_path):
    household, mother, father, child = af.family("92")
    social_worker = factories.make_user("social_worker", "92", first_name="Claire", last_name="Martin")
    org = af.map_organisation("92", name="Association Trait d'Union")
    coordinator = af.coordinator(org)
    accompanist = af.accompanist(org)
    today = household.department.local_today()
    start = today + timedelta(days=1)
    saturday = start + timedelta(days=(5 - start.weekday()) % 7)

    # 1. The social worker records the order from the household's page, and refers it.
    sign_in(page, social_worker)
    page.goto(f"/gestion/foyers/{household.pk}/")
    page.get_by_role("link", name="Enregistrer une ordonnance").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Enregistrer une mesure d'accompagnement protégé"
    )
    page.get_by_label("Tribunal judiciaire").fill("Tribunal judiciaire de Nanterre")
    page.get_by_label("Date de la décision").fill((today - timedelta(days=10)).isoformat())
    page.get_by_label("Numéro RG").fill("26/04567")
    page.get_by_label("Début de la mesure").fill(start.isoformat())
    page.get_by_label("Fin de la mesure").fill((start + timedelta(days=60)).isoformat())
    page.get_by_label("Premier jour de visite").fill(saturday.isoformat())
    page.get_by_label("Parent chez qui l'enfant réside").select_option(label=mother.full_name)
    page.get_by_label("Parent bénéficiaire du droit de visite").select_option(label=father.full_name)
    page.get_by_label(child.full_name).check()
    page.get_by_label("Ordonnance numérisée (PDF, JPEG ou PNG)").set_input_files(
        {"name": "ordonnance.png", "mimeType": "image/png", "buffer": png_bytes()}
    )
    _no_violations(page)
    page.get_by_role("button", name="Enregistrer l'ordonnance").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mesure d'accompagnement protégé MAP-")
    page.get_by_label("Organisation MAP du département").select_option(label=str(org))
    page.get_by_role("button", name="Orienter").click()
    expect(page.get_by_role("status").or_(page.locator(".alert")).first).to_contain_text("orientée")
    measure = Measure.objects.get(household=household)
    assert measure.status == Measure.Status.REFERRED and measure.order_file_type == "image/png"

    # 2. The organisation's coordinator accepts, adds the places and builds the calendar.
    page.context.clear_cookies()
    sign_in(page, coordinator)
    page.goto(f"/gestion/accompagnement/{measure.pk}/")
    page.get_by_label("Réponse").select_option(label="Accepter la mesure")
    page.get_by_role("button", name="Répondre").click()
    for label, address in (
        ("Domicile de la mère", "5 impasse des Roses"),
        ("Point rencontre Caf", "70 rue Salvador Allende"),
    ):
        page.get_by_label("Nom du lieu").fill(label)
        page.get_by_label(re.compile("^Adresse")).fill(address)
        page.get_by_role("button", name="Ajouter le lieu").click()
    page.get_by_label("Lieu de prise en charge (parent chez qui l'enfant réside)").select_option(
        label="Domicile de la mère"
    )
    page.get_by_label("Lieu de remise (parent visiteur)").select_option(label="Point rencontre Caf")
    page.get_by_role("button", name="Construire le calendrier").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Semaine du")
    expect(page.get_by_text("Domicile de la mère → Point rencontre Caf").first).to_be_visible()
    _no_violations(page)
    assert Handover.objects.filter(measure=measure).count() >= 8

    # 3. The first handover: assigned, done, with an incident.
    page.goto(f"/gestion/accompagnement/{measure.pk}/")
    first = Handover.objects.filter(measure=measure).order_by("from_at").first()
    page.get_by_text("Choisir les remises").click()
    page.locator(f"input[name=handovers][value='{first.pk}']").check()
    page.get_by_label("Accompagnant", exact=True).select_option(label=str(accompanist))
    page.get_by_role("button", name="Affecter").click()
    expect(page.locator(".alert").first).to_contain_text("Accompagnant affecté")
    page.goto(f"/gestion/accompagnement/remises/{first.pk}/")
    page.get_by_label(re.compile("^Issue")).select_option(label="Effectuée")
    page.get_by_label("Incident", exact=True).select_option(label="Menace")
    page.get_by_label(re.compile("^Récit de l'incident")).fill(
        "Le père a menacé l'accompagnante à la remise."
    )
    _no_violations(page)
    page.get_by_role("button", name="Enregistrer l'issue").click()
    expect(page.get_by_text("pour le prochain rapport")).to_be_visible()
    assert Incident.objects.get().handover_id == first.pk

    # 4. The report to the judge: prepared, validated, produced in the background, downloaded.
    page.locator("#id_period_start").fill(start.isoformat())
    page.locator("#id_period_end").fill((start + timedelta(days=30)).isoformat())
    page.get_by_label("Observations de l'organisation").fill(
        "Remises régulières ; un incident le premier samedi."
    )
    page.get_by_role("button", name="Préparer le rapport").click()
    page.get_by_role("button", name="Valider le rapport").click()
    page.get_by_role("link", name="Produire le PDF").click()
    page.get_by_role("button", name="Préparer").click()
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("^Télécharger")).click()
    path = tmp_path / "rapport.pdf"
    info.value.save_as(path)
    content = path.read_bytes()
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert "Rapport au juge" in text and "Menace" in text and "26/04567" in text
    assert "impasse des Roses" not in text and "menacé l'accompagnante" not in text
