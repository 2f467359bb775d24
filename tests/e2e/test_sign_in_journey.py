import re

import pytest
from playwright.sync_api import expect

from parcours.core.models import AuditEntry
from tests import factories
from tests.e2e.conftest import axe_violations, sign_in


@pytest.mark.django_db(transaction=True)
def test_social_worker_signs_in_with_totp_opens_a_household_and_signs_out(page):
    user = factories.make_user("social_worker", "92")
    household = factories.HouseholdFactory(department_code="92", file_number="7654321")
    factories.PersonFactory(household=household, first_name="Nadia", last_name="Payet", is_declarant=True)

    sign_in(page, user)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")

    page.get_by_role("link", name="Foyers").first.click()
    page.get_by_label("Numéro d'allocataire ou nom").fill("payet")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name="92-7654321").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossier 92-7654321")
    expect(page.get_by_role("heading", name="Nadia PAYET")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile(r"/gestion/connexion/$"))
    page.goto(f"/gestion/foyers/{household.pk}/")
    expect(page).to_have_url(re.compile(r"/gestion/connexion/\?next="))
    assert (
        AuditEntry.objects.filter(action="households.household.viewed", object_id=str(household.pk)).count()
        == 1
    )


@pytest.mark.django_db(transaction=True)
def test_the_demo_sign_in_page_and_banner_pass_axe(page, settings):
    """The demo hint's codes keep their contrast, and the demo banner sits in a landmark."""
    settings.DEMO_MODE = True
    page.goto("/gestion/connexion/")
    expect(page.get_by_text("Démonstration : comptes")).to_be_visible()
    assert axe_violations(page) == []
    sign_in(page, factories.make_user("social_worker", "92"))
    expect(page.get_by_role("region", name="Mode démonstration")).to_be_visible()
    assert axe_violations(page) == []
