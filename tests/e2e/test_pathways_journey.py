"""A separation in Chromium: a service advisor records it, the social worker finds the contact step
in "Mes tâches" and completes it. axe-core checks the household page, the worklist and the step."""

import re

import pytest
from playwright.sync_api import expect

from parcours.pathways.defaults import ensure_national_template
from parcours.pathways.models import PathwayStep
from tests import factories
from tests.e2e.conftest import axe_violations, sign_in


@pytest.mark.django_db(transaction=True)
def test_a_recorded_separation_reaches_the_social_worker_who_completes_the_contact(page):
    ensure_national_template()  # transactional tests start from an empty base
    advisor = factories.make_user("service_advisor", "92", first_name="Sonia", last_name="Conseil")
    social_worker = factories.make_user("social_worker", "92", first_name="Théo", last_name="Social")

    sign_in(page, advisor)
    page.get_by_role("link", name="Déclarer une séparation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Déclarer une séparation")
    page.get_by_label("Numéro d'allocataire").fill("2468024")
    page.get_by_label(re.compile(r"^Nom du déclarant")).fill("Grondin")
    page.get_by_label(re.compile(r"^Prénom du déclarant")).fill("Nadia")
    page.get_by_label("Nombre d'enfants à charge").fill("2")
    page.get_by_label("Téléphone du déclarant ou de la déclarante").fill("06 12 34 56 78")
    page.get_by_role("button", name="Enregistrer et ouvrir le parcours").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Dossier 92-2468024")
    expect(page.get_by_role("status")).to_contain_text(
        "Parcours ouvert pour le dossier 92-2468024 : 7 étapes"
    )
    expect(page.get_by_role("heading", name="Parcours séparation")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Se déconnecter").click()

    sign_in(page, social_worker)
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name=re.compile("^Mes tâches")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes tâches")
    row = page.get_by_role("row").filter(has_text="92-2468024").filter(has_text="Contact proactif")
    expect(row).to_contain_text("Nadia GRONDIN")
    assert axe_violations(page) == []
    row.get_by_role("link", name="Contact proactif d'un travailleur social").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Contact proactif d'un travailleur social")
    assert axe_violations(page) == []
    page.get_by_label("Réalisée").check()
    page.get_by_label("Observation", exact=True).last.fill("Premier entretien fixé au centre social.")
    page.get_by_role("button", name="Terminer l'étape").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Étape « Contact proactif d'un travailleur social » terminée"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes tâches")
    expect(
        page.get_by_role("row").filter(has_text="92-2468024").filter(has_text="Contact proactif")
    ).to_have_count(0)
    step = PathwayStep.objects.get(kind="social_worker_contact", household__file_number="2468024")
    assert (step.status, step.outcome, step.closed_by_id) == ("closed", "done", social_worker.pk)
