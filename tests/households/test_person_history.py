"""Rectification with history (RGPD art. 16): on the person's page, who changed what, when — never a value."""

from __future__ import annotations

from django.urls import reverse

from parcours.core.models import AuditEntry
from parcours.households import services
from tests import factories

SECRET = "JETON-ADRESSE-8f0c"


def test_the_history_names_who_changed_which_field_and_never_a_value(db, client_for):
    social_worker = factories.make_user("social_worker", "92")
    household = factories.HouseholdFactory(department_code="92")
    person = factories.PersonFactory(household=household, last_name="Martin")
    other = factories.PersonFactory(household=household, last_name="Autre")
    contact = factories.ContactFactory(person=person)
    services.update_person(actor=social_worker, person=person, last_name="Nouveaunom", birth_date=None)
    services.update_contact(actor=social_worker, contact=contact, value="nouvelle@exemple.fr")
    services.protect_address(
        actor=social_worker, person=person, reason="Mise à l'abri", elected_kind="association",
        address={"line": SECRET, "postal_code": "92000", "city": "Nanterre"},
        elected_name="CIDFF", elected_line="1 place de la Mairie", elected_postal_code="92000",
        elected_city="Nanterre",
    )  # fmt: skip
    services.set_address(
        actor=social_worker, person=person, line=f"{SECRET} bis", postal_code="92000", city="Nanterre"
    )
    services.update_person(actor=social_worker, person=other, first_name="Quelquundautre")

    page = client_for(social_worker).get(reverse("backoffice:person-history", kwargs={"pk": person.pk}))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Identité modifiée" in html and "nom" in html  # which field
    assert "Canal de contact modifié" in html and "coordonnée" in html
    assert "Adresse protégée : modifiée" in html
    assert social_worker.get_full_name() in html  # who
    for value in ("Nouveaunom", "nouvelle@exemple.fr", SECRET, "Quelquundautre"):
        assert value not in html.replace(person.full_name, "")  # no value, nor the other member's change
    assert AuditEntry.objects.filter(action="households.person.history_viewed").count() == 1
