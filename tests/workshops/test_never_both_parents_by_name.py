"""Issue 15, rule 2: the public form recognises the other parent by his name with his birth date too
(optional fields: nobody has to give them to register), at every door — registration, waiting list,
moves; held « en attente de confirmation » without saying why, the referent social worker alerted."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from parcours.core.models import AuditEntry
from parcours.core.policy import THE_PUBLIC, LinkHolder
from parcours.households.models import HouseholdAssignment
from parcours.workshops import links, selectors, services
from parcours.workshops.models import Registration
from tests import factories
from tests.workshops import factories as wf

S = Registration.Status
BORN = date(1985, 4, 12)


@pytest.fixture
def family(db):
    """Camille (at risk) registered by her social worker; Thomas, the other parent, known by name and
    birth date only (the e-mail he types on the public page is one the Caf does not know)."""
    worker = factories.make_user("social_worker", "92")
    household, camille, thomas = wf.household_with_parents("92", restricted=True)
    HouseholdAssignment.objects.create(household=household, user=worker)
    camille.first_name, camille.last_name, camille.birth_date = "Camille", "Hoarau", date(1988, 9, 3)
    camille.save()
    thomas.first_name, thomas.last_name, thomas.birth_date = "Thomas", "Grondin-Técher", BORN
    thomas.save()
    workshop = wf.workshop(days=10)
    return worker, household, camille, thomas, workshop


def _public(workshop, *, last_name="GRONDIN-TECHER", first_name=" thomas ", birth_date=BORN, value=None):
    return services.register(
        actor=THE_PUBLIC, workshop=workshop, first_name=first_name, last_name=last_name, birth_date=birth_date,
        contact_kind="email", contact_value=value or f"inconnu.{Registration.objects.count()}@exemple.fr",
    )  # fmt: skip


def test_the_other_parent_named_with_his_birth_date_is_held_without_being_told_why(family):
    worker, household, camille, _, workshop = family
    services.register(actor=worker, workshop=workshop, person=camille)
    outcome = _public(workshop)
    registration = outcome.registration
    assert outcome.shown_status == S.PENDING_REVIEW == registration.status
    assert registration.household == household and not registration.holds_seats
    assert AuditEntry.objects.filter(
        action="workshops.registration.held", object_id=str(registration.pk)
    ).exists()
    # The referent social worker is alerted; a colleague who is not assigned sees nothing.
    assert list(selectors.held_registrations(worker)) == [registration]
    assert not selectors.held_registrations(factories.make_user("social_worker", "92")).exists()


@pytest.mark.parametrize(
    "changes",
    [{"birth_date": date(1985, 4, 13)}, {"birth_date": None}, {"last_name": ""}, {"first_name": "Julien"}],
    ids=["other-birth-date", "no-birth-date", "no-last-name", "other-first-name"],
)
def test_a_name_alone_or_another_birth_date_is_not_held(family, changes):
    worker, _, camille, _, workshop = family
    services.register(actor=worker, workshop=workshop, person=camille)
    assert _public(workshop, **changes).registration.status == S.CONFIRMED


def test_a_birth_date_in_the_future_is_refused_in_french_and_nothing_is_recorded(family):
    *_, workshop = family
    with pytest.raises(ValidationError, match="date de naissance valide"):
        _public(workshop, birth_date=date(2090, 1, 1))
    assert not Registration.objects.exists()


def test_the_public_form_asks_for_them_as_optional_and_holds_him(family, client):
    worker, _, camille, _, workshop = family
    services.register(actor=worker, workshop=workshop, person=camille)
    url = reverse("portal:workshop-register", kwargs={"code": "92", "pk": workshop.pk})
    form = client.get(url).content.decode()
    assert "Votre nom (facultatif)" in form and "Votre date de naissance (facultatif)" in form
    base = {
        "first_name": "Thomas",
        "contact_kind": "email",
        "phone": "",
        "party_size": 1,
        "accessibility_needs": "",
    }
    # Without them, a stranger still registers as before.
    response = client.post(url, {**base, "email": "quelquun@exemple.fr"})
    assert response["Location"].endswith("/inscription/confirmee/")
    response = client.post(
        url,
        {**base, "email": "t.g.1985@exemple.fr", "last_name": "Grondin-Techer", "birth_date": "1985-04-12"},
    )
    assert response["Location"].endswith("/inscription/en-attente/")
    held = Registration.objects.get(contact_value="t.g.1985@exemple.fr")
    assert held.status == S.PENDING_REVIEW and held.birth_date == BORN
    html = client.get(response["Location"]).content.decode()
    assert "en attente de confirmation" in html
    for word in ("violence", "parent", "protég", "Camille", "Hoarau"):
        assert word not in html


def test_the_victim_registered_under_her_name_keeps_him_out_of_her_session(family):
    """Symmetric: she gave her name and birth date on the public page (with an e-mail the Caf does
    not know); staff registering him there are refused, his public registration is held."""
    worker, _, camille, thomas, workshop = family
    mine = _public(workshop, last_name="Hoarau", first_name="Camille", birth_date=camille.birth_date)
    assert mine.registration.status == S.CONFIRMED
    with pytest.raises(ValidationError, match="les deux parents ne peuvent pas"):
        services.register(actor=worker, workshop=workshop, person=thomas)
    assert _public(workshop).registration.status == S.PENDING_REVIEW


def test_the_waiting_list_never_offers_him_a_seat_next_to_her(family):
    worker, household, camille, _, _ = family
    workshop = wf.workshop(days=10, capacity=2)
    services.register(actor=worker, workshop=workshop, person=camille)
    # (an e-mail of its own: the factories' sequences could give it one of the family's)
    first = wf.public_registration(workshop, email="premiere.inscrite@exemple.fr")
    # He queued before the family was protected: when a seat frees, he is held, never offered.
    household.restricted = False
    household.save()
    waiting = _public(workshop).registration
    assert waiting.status == S.WAITING
    household.restricted = True
    household.save()
    services.cancel_registration(actor=worker, registration=first, reason="Désistement")
    waiting.refresh_from_db()
    assert waiting.status == S.PENDING_REVIEW


def test_a_move_into_her_session_is_never_offered_and_held_if_forced(family, client):
    worker, _, camille, _, workshop = family
    services.register(actor=worker, workshop=workshop, person=camille)
    elsewhere = wf.workshop(days=12)
    his = _public(elsewhere).registration
    assert his.status == S.CONFIRMED
    page = client.get(reverse("portal:registration-move", kwargs={"token": links.registration_token(his)}))
    assert f'value="{elsewhere.pk}"' not in page.content.decode()
    assert f'value="{workshop.pk}"' not in page.content.decode()
    outcome = services.move_registration(
        actor=LinkHolder(registration=his), registration=his, target=workshop
    )
    assert outcome.registration.status == S.PENDING_REVIEW
    assert outcome.registration.birth_date == BORN  # the new registration keeps what identifies him


def test_the_staff_move_page_never_lists_her_session_either(family, client_for):
    worker, household, camille, _, workshop = family
    services.register(actor=worker, workshop=workshop, person=camille)
    his = _public(wf.workshop(days=12)).registration
    page = client_for(worker).get(reverse("backoffice:registration-move", args=[his.pk])).content.decode()
    assert f'value="{workshop.pk}"' not in page
