"""A registration held because the other parent is in the session may point to a family of another
department (a webinar is open to every parent): the session's staff never learn that family's file.

Found by the other-department canary (tests/authz/test_other_department_canary.py): a parent of a
974 family with violence on record registers from the public page to a 92 session where the other
parent already is; the registration is held and linked to the 974 file, and the 92 staff saw
"dossier 974-…" (and so that this family has violence on record) on the registration's page.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from parcours.core.policy import THE_PUBLIC as PUBLIC
from parcours.households import services as household_services
from parcours.households.models import Person
from parcours.workshops import selectors, services
from parcours.workshops.models import Registration
from tests import factories
from tests.pathways.factories import open_pathway
from tests.workshops import factories as wf


def _family_in_the_session(code: str) -> Registration:
    """A family of `code` with violence on its open pathway (restriction lifted by the local pilot),
    both parents registered from the public page to a 92 webinar: the second one is held."""
    pathway = open_pathway(department=code, violence_reported=True)
    household = pathway.household
    household_services.lift_restriction(
        actor=factories.make_user("local_pilot", code), household=household, reason="Levée après examen"
    )
    household.refresh_from_db()
    assert not household.restricted
    mother = household.members.get(is_declarant=True)
    father = factories.PersonFactory(household=household, role=Person.Role.PARENT, first_name="Julien")
    for person in (mother, father):
        factories.ContactFactory(person=person)
    session = wf.workshop("92", format="webinar", days=7)
    for person in (mother, father):
        outcome = services.register(
            actor=PUBLIC, workshop=session, first_name=person.first_name, contact_kind="email",
            contact_value=person.contacts.get(kind="email").value,
        )  # fmt: skip
    registration = Registration.objects.get(pk=outcome.registration.pk)
    assert registration.status == Registration.Status.PENDING_REVIEW
    assert registration.household == household  # held, for the family's own staff to decide
    return registration


@pytest.fixture
def held(db):
    return _family_in_the_session("974")


def test_the_sessions_staff_do_not_see_the_file_of_another_department(held, client_for):
    staff = factories.make_user("social_worker", "92")
    assert not selectors.registrations_visible_to(staff).filter(pk=held.pk).exists()
    page = client_for(staff).get(reverse("backoffice:registration-detail", kwargs={"pk": held.pk}))
    assert page.status_code == 404
    roster = client_for(staff).get(reverse("backoffice:workshop-detail", kwargs={"pk": held.workshop_id}))
    assert roster.status_code == 200
    assert held.household.file_number.encode() not in roster.content


def test_the_sessions_staff_still_see_their_own_departments_held_registrations(db, client_for):
    held = _family_in_the_session("92")
    staff = factories.make_user("social_worker", "92")
    assert selectors.registrations_visible_to(staff).filter(pk=held.pk).exists()
    page = client_for(staff).get(reverse("backoffice:registration-detail", kwargs={"pk": held.pk}))
    assert page.status_code == 200 and held.household.reference.encode() in page.content
