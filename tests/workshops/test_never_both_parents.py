"""Issue 15, rule 2: never both parents of a family with violence on record in one session, from
any door — the public page (by e-mail or phone), staff, the waiting list, moves. One selector."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from parcours.core.models import AuditEntry
from parcours.core.policy import THE_PUBLIC
from parcours.households.models import HouseholdAssignment
from parcours.notifications.models import Message
from parcours.workshops import selectors, services
from parcours.workshops.models import Registration
from tests import factories
from tests.workshops import factories as wf

S = Registration.Status


@pytest.fixture
def family(db):
    """Camille (at risk) registered by her social worker; Thomas, the other parent, with his e-mail
    and phone on file. The file is restricted (a violence report restricts it)."""
    worker = factories.make_user("social_worker", "92")
    household, camille, thomas = wf.household_with_parents("92", restricted=True)
    HouseholdAssignment.objects.create(household=household, user=worker)
    thomas.contacts.update(value="thomas.grondin@exemple.fr")
    factories.ContactFactory(person=thomas, kind="sms", value="06 12 34 56 78")
    workshop = wf.workshop(days=10)
    services.register(actor=worker, workshop=workshop, person=camille)
    return worker, household, camille, thomas, workshop


def _public(workshop, kind, value, first_name="Thomas"):
    return services.register(
        actor=THE_PUBLIC, workshop=workshop, first_name=first_name, contact_kind=kind, contact_value=value
    )


@pytest.mark.parametrize(
    ("kind", "value"),
    [("email", "Thomas.Grondin@exemple.fr"), ("sms", "+33612345678"), ("sms", "06.12.34.56.78")],
)
def test_the_other_parent_registering_publicly_is_held_without_being_told_why(family, kind, value):
    worker, household, _, _, workshop = family
    outcome = _public(workshop, kind, value)
    registration = outcome.registration
    assert outcome.shown_status == S.PENDING_REVIEW == registration.status
    assert registration.household == household and not registration.holds_seats
    assert not Message.objects.filter(key__contains=f"registration.{registration.pk}").exists()
    assert AuditEntry.objects.filter(
        action="workshops.registration.held", object_id=str(registration.pk)
    ).exists()
    # The referent social worker is alerted on her home page; a colleague not assigned sees nothing.
    assert list(selectors.held_registrations(worker)) == [registration]
    assert not selectors.held_registrations(factories.make_user("social_worker", "92")).exists()


def test_a_stranger_registering_publicly_is_not_held(family):
    *_, workshop = family
    assert _public(workshop, "email", "quelquun@exemple.fr").registration.status == S.CONFIRMED


def test_the_public_page_says_pending_confirmation_and_nothing_else(family, client):
    *_, workshop = family
    url = reverse("portal:workshop-register", kwargs={"code": "92", "pk": workshop.pk})
    data = {"first_name": "Thomas", "contact_kind": "email", "email": "thomas.grondin@exemple.fr", "phone": "",
            "party_size": 1, "accessibility_needs": ""}  # fmt: skip
    response = client.post(url, data)
    assert response["Location"].endswith("/inscription/en-attente/")
    html = client.get(response["Location"]).content.decode()
    assert "en attente de confirmation" in html
    for word in ("violence", "parent", "protég", "Camille", "Nadia"):
        assert word not in html


def test_the_referent_decides_with_a_reason(family, client_for):
    worker, _, _, _, workshop = family
    held = _public(workshop, "email", "thomas.grondin@exemple.fr").registration
    client = client_for(worker)
    assert "Inscriptions à confirmer" in client.get(reverse("backoffice:home")).content.decode()
    client.post(
        reverse("backoffice:registration-review", args=[held.pk]), {"decision": "annuler", "reason": "court"}
    )
    held.refresh_from_db()
    assert held.status == S.PENDING_REVIEW
    client.post(
        reverse("backoffice:registration-review", args=[held.pk]),
        {"decision": "annuler", "reason": "L'autre parent de la famille protégée"},
    )
    held.refresh_from_db()
    assert held.status == S.CANCELLED
    assert AuditEntry.objects.get(action="workshops.registration.reviewed").reason.startswith(
        "L'autre parent"
    )


def test_staff_cannot_register_the_other_parent_even_when_the_victim_registered_publicly(db):
    worker = factories.make_user("social_worker", "92")
    household, camille, thomas = wf.household_with_parents("92", restricted=True)
    HouseholdAssignment.objects.create(household=household, user=worker)
    workshop = wf.workshop(days=10)
    _public(workshop, "email", camille.contacts.get().value, first_name="Nadia")
    with pytest.raises(ValidationError, match="les deux parents ne peuvent pas"):
        services.register(actor=worker, workshop=workshop, person=thomas)


def test_the_waiting_list_never_offers_a_seat_next_to_the_other_parent(db):
    worker = factories.make_user("social_worker", "92")
    household, camille, thomas = wf.household_with_parents("92", restricted=True)
    HouseholdAssignment.objects.create(household=household, user=worker)
    workshop = wf.workshop(days=10, capacity=2)
    services.register(actor=worker, workshop=workshop, person=camille)
    # (an e-mail of its own: the factories' sequences could give it one of the family's)
    first = wf.public_registration(workshop, email="premiere.inscrite@exemple.fr")
    assert _public(workshop, "email", thomas.contacts.get().value).registration.status == S.PENDING_REVIEW
    # A registration made before the family was protected waits in the queue: it is held, not offered.
    household.restricted = False
    household.save()
    waiting = _public(workshop, "email", thomas.contacts.get().value).registration
    assert waiting.status == S.WAITING
    household.restricted = True
    household.save()
    services.cancel_registration(actor=worker, registration=first, reason="Désistement")
    waiting.refresh_from_db()
    assert waiting.status == S.PENDING_REVIEW


def test_a_move_into_the_other_parents_session_is_held_and_never_offered(family, client):
    *_, thomas, workshop = family
    elsewhere = wf.workshop(days=12)
    mine = _public(elsewhere, "email", thomas.contacts.get(kind="email").value).registration
    assert mine.status == S.CONFIRMED
    # The public move page never lists the other parent's session (one query for every choice).
    with CaptureQueriesContext(connection) as captured:
        conflicts = selectors.other_parent_sessions(
            [workshop.pk, elsewhere.pk],
            contact_kind="email",
            contact_value=mine.contact_value,
            exclude_pk=mine.pk,
        )
    assert conflicts == {workshop.pk} and len(captured) == 1
    from parcours.workshops import links

    token = links.registration_token(mine)
    page = client.get(reverse("portal:registration-move", kwargs={"token": token})).content.decode()
    assert f'value="{workshop.pk}"' not in page
    # And the service holds a move forced into it.
    from parcours.core.policy import LinkHolder

    outcome = services.move_registration(
        actor=LinkHolder(registration=mine), registration=mine, target=workshop
    )
    assert outcome.registration.status == S.PENDING_REVIEW
