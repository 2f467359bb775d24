"""The doctrine in Chromium: a social worker proposes a practice sheet (saved as typed) and submits it,
the local pilot asks for a change then validates, the national pilot publishes it, and a staff member
of another department finds it by searching without accents. axe-core finds nothing on the way."""

import re

import pytest
from playwright.sync_api import expect

from parcours.doctrine.models import Practice
from tests import factories
from tests.e2e.conftest import axe_violations, sign_in
from tests.protection.factories import partner


def _no_violations(page):
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"


def _page_for(browser, live_server, user):
    # One browser context per person: each signs in once (a TOTP code is never accepted twice).
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", base_url=live_server.url)
    context.set_default_timeout(15_000)
    other = context.new_page()
    sign_in(other, user)
    return other


def _act(page, button: str, comment: str = ""):
    form = page.locator("form", has=page.get_by_role("button", name=button))
    if comment:
        form.get_by_label(re.compile("Commentaire")).fill(comment)
    form.get_by_role("button", name=button).click()
    expect(page.get_by_role("status").first).to_contain_text("fait")


@pytest.mark.django_db(transaction=True)
def test_a_sheet_goes_from_a_social_worker_to_the_whole_branch(page, browser, live_server):
    worker = factories.make_user("social_worker", "92", first_name="Claire", last_name="Martin")
    pilot = factories.make_user("local_pilot", "92", first_name="Hélène", last_name="Durand")
    national = factories.make_user("national_pilot", None, first_name="Paul", last_name="Cnaf")
    reader = factories.make_user("service_advisor", "974", first_name="Nadia", last_name="Hoarau")
    partner("92", name="CIDFF des Hauts-de-Seine")

    sign_in(page, worker)
    page.goto("/gestion/doctrine/")
    _no_violations(page)
    page.get_by_role("link", name="Proposer une fiche pratique").click()
    page.get_by_label("Titre").fill("Médiation familiale écartée en cas d'emprise")
    page.get_by_label("Résumé").fill(
        "La médiation familiale n'est jamais proposée quand des violences sont signalées."
    )
    page.get_by_label("Rôle de la Caf").fill("La Caf retire la proposition et oriente vers le CIDFF.")
    page.locator("#id_partenaires-0-partner").select_option(label="CIDFF des Hauts-de-Seine")
    _no_violations(page)
    page.get_by_role("button", name="Créer le brouillon").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Modifier la fiche pratique")
    # Saved as typed: the draft changes without pressing any button.
    page.get_by_label("Équipe").fill("Service social de Nanterre")
    expect(page.locator("#autosave-status")).to_contain_text("Brouillon enregistré", timeout=10_000)
    assert Practice.objects.get().team == "Service social de Nanterre"
    # The next autosave is built on the revision the first one wrote (swapped into the page).
    first = page.locator("#autosave-status").inner_text()
    page.get_by_label("Public concerné").fill("Parents séparés exposés aux violences")
    expect(page.locator("#autosave-status")).not_to_have_text(first, timeout=10_000)
    expect(page.locator("#autosave-status")).to_contain_text("Brouillon enregistré")
    assert Practice.objects.get().audience == "Parents séparés exposés aux violences"
    _no_violations(page)
    page.get_by_role("button", name="Enregistrer").click()
    _act(page, "Soumettre au pilote départemental")

    pilot_page = _page_for(browser, live_server, pilot)
    practice = Practice.objects.get()
    pilot_page.goto(f"/gestion/doctrine/{practice.pk}/")
    _no_violations(pilot_page)
    _act(pilot_page, "Demander des modifications", "Ajoutez le financement.")

    page.goto(f"/gestion/doctrine/{practice.pk}/")
    expect(page.get_by_text("« Ajoutez le financement. »")).to_be_visible()
    page.get_by_role("link", name="Modifier la fiche").click()
    page.locator("#id_financements-0-source").select_option(label="Fonds locaux / action sociale")
    page.locator("#id_financements-0-amount").fill("4 000")
    page.locator("#id_financements-0-year").fill("2025")
    page.get_by_role("button", name="Enregistrer").click()
    _act(page, "Soumettre au pilote départemental", "Financement ajouté")

    pilot_page.goto(f"/gestion/doctrine/{practice.pk}/")
    _act(pilot_page, "Valider pour la Caf")

    national_page = _page_for(browser, live_server, national)
    national_page.goto(f"/gestion/doctrine/{practice.pk}/")
    _no_violations(national_page)
    _act(national_page, "Publier pour toute la branche")
    expect(national_page.locator(".badge").first).to_have_text("Publiée")

    page = _page_for(browser, live_server, reader)
    page.goto("/gestion/doctrine/")
    page.get_by_label("Rechercher une pratique").fill("mediation familiale emprise")
    page.get_by_role("button", name="Rechercher").click()
    result = page.get_by_role("link", name="Médiation familiale écartée en cas d'emprise")
    expect(result).to_be_visible()
    expect(page.locator("mark").first).to_have_text(re.compile("médiation", re.I))
    assert "q=mediation" in page.url  # the search is in the address: it can be bookmarked
    _no_violations(page)
    result.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Médiation familiale écartée en cas d'emprise")
    _no_violations(page)
    practice.refresh_from_db()
    assert practice.state == Practice.State.PUBLISHED and practice.fundings.count() == 1
