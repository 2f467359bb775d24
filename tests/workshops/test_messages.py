"""Messages through the notifications outbox: confirmation with ICS, reminders and their relevance,
offers, invitations and their reminder, neutral wording on the protected track."""

import re
from datetime import date, timedelta

import time_machine
from django.core import mail
from django.urls import reverse

from parcours.core.policy import LinkHolder
from parcours.notifications import outbox
from parcours.notifications.models import Message
from parcours.workshops import services
from parcours.workshops.models import Invitation
from tests.workshops import factories as wf


def _keys(prefix: str, status: str | None = None) -> list[str]:
    qs = Message.objects.filter(key__startswith=prefix)
    if status:
        qs = qs.filter(status=status)
    return sorted(qs.values_list("key", flat=True))


def _text(content) -> str:
    return content.decode() if isinstance(content, bytes) else content


def _link(body: str, path: str) -> str:
    found = re.search(rf"https?://[^\s]+({path}[^\s]*)", body)
    assert found, body
    return found.group(1)


def test_a_reunion_webinar_registration_sends_the_confirmation_with_its_ics_and_the_link_cancels(db, client):
    day = date.today() + timedelta(days=20)
    webinar = wf.workshop("974", format="webinar", capacity=2, starts_at=wf.local("974", day, 18))
    response = client.post(
        reverse("portal:workshop-register", kwargs={"code": "974", "pk": webinar.pk}),
        {"first_name": "Awa", "contact_kind": "email", "email": "awa@exemple.fr", "party_size": 1},
    )
    assert response.status_code == 302
    outbox.deliver_due()
    [message] = mail.outbox
    assert message.to == ["awa@exemple.fr"]
    assert "Votre inscription à la séance du" in message.subject
    assert "18h00" in message.body and "Parents après la séparation" in message.body
    [(filename, content, mimetype)] = message.attachments
    assert filename.endswith(".ics") and mimetype.startswith("text/calendar")
    ics = _text(content)
    assert "DTSTART;TZID=Indian/Reunion:" + day.strftime("%Y%m%d") + "T180000" in ics
    manage = _link(message.body, "/inscription/")
    assert "Inscription confirmée" in client.get(manage).content.decode()
    client.post(manage.rstrip("/") + "/annuler/")
    webinar.refresh_from_db()
    assert webinar.seats_left == 2


def test_reminders_are_queued_and_dropped_when_the_registration_is_cancelled(db):
    workshop = wf.workshop(days=20)
    registration = wf.public_registration(workshop)
    prefix = f"workshops.registration.{registration.pk}.reminder"
    reminders = Message.objects.filter(key__startswith=prefix).order_by("not_before")
    assert [m.not_before for m in reminders] == [
        workshop.starts_at - timedelta(days=7),
        workshop.starts_at - timedelta(days=1),
    ]
    services.cancel_registration(actor=LinkHolder(registration=registration), registration=registration)
    assert set(Message.objects.filter(key__startswith=prefix).values_list("status", flat=True)) == {"dropped"}


def test_moving_a_session_replaces_the_reminders_and_sends_the_new_date(db, make_user):
    pilot = make_user("local_pilot", "92")
    workshop = wf.workshop(days=20)
    registration = wf.public_registration(workshop)
    old = _keys(f"workshops.registration.{registration.pk}.reminder")
    services.update_workshop(actor=pilot, workshop=workshop, starts_at=workshop.starts_at + timedelta(days=3))
    assert _keys(f"workshops.registration.{registration.pk}.reminder", "dropped") == old
    new = _keys(f"workshops.registration.{registration.pk}.reminder", "pending")
    assert len(new) == 2 and not set(new) & set(old)
    outbox.deliver_due()
    moved = [m for m in mail.outbox if m.subject.startswith("Changement")]
    assert len(moved) == 1 and "SEQUENCE:1" in _text(moved[0].attachments[0][1])


def test_a_reminder_whose_session_was_cancelled_meanwhile_is_dropped_at_sending_time(db, make_user):
    workshop = wf.workshop(days=20)
    registration = wf.public_registration(workshop)
    from parcours.workshops.models import Registration

    # Simulate a change the services did not announce (e.g. made directly by an administrator).
    Registration.objects.filter(pk=registration.pk).update(status="cancelled")
    with time_machine.travel(workshop.starts_at - timedelta(days=1, minutes=-1)):
        outbox.deliver_due()
    statuses = dict(Message.objects.filter(key__contains=".reminder-").values_list("key", "status"))
    assert set(statuses.values()) == {"dropped"}


def test_a_freed_seat_is_offered_by_one_message(db):
    workshop = wf.workshop(capacity=1)
    holder = wf.public_registration(workshop)
    waiting = wf.public_registration(workshop)
    services.cancel_registration(actor=LinkHolder(registration=holder), registration=holder)
    services.expire_offers()  # nothing lapsed yet: no second offer
    assert _keys(f"workshops.registration.{waiting.pk}.offer") == [
        f"workshops.registration.{waiting.pk}.offer"
    ]
    outbox.deliver_due()
    assert [m.to for m in mail.outbox if m.subject.startswith("Une place s'est libérée")] == [
        [waiting.contact_value]
    ]


def test_an_invitation_has_one_reminder_three_days_later_dropped_once_answered(db, make_user):
    advisor = make_user("service_advisor", "92")
    household, mother, _ = wf.household_with_parents("92")
    workshop = wf.workshop("92")
    first, second = services.invite_household(actor=advisor, household=household).invitations
    reminder = Message.objects.get(key=f"workshops.invitation.{first.pk}.reminder")
    assert reminder.not_before == first.sent_at + timedelta(days=3)
    services.answer_invitation(
        actor=LinkHolder(invitation=first), invitation=first, workshop=workshop, party_size=1
    )
    reminder.refresh_from_db()
    assert reminder.status == "dropped"
    with time_machine.travel(second.sent_at + timedelta(days=3, minutes=1)):
        outbox.deliver_due()
    assert Message.objects.get(key=f"workshops.invitation.{second.pk}.reminder").status == "sent"
    assert Invitation.objects.get(pk=second.pk).status == "pending"


def test_a_parent_on_the_protected_track_gets_neutral_messages_and_a_neutral_ics(db, make_user):
    from parcours.households.models import HouseholdAssignment

    social_worker = make_user("social_worker", "92")
    household, mother, _ = wf.household_with_parents("92", restricted=True)
    HouseholdAssignment.objects.create(household=household, user=social_worker)
    services.register(actor=social_worker, workshop=wf.workshop("92", format="webinar"), person=mother)
    outbox.deliver_due()
    [message] = [m for m in mail.outbox if m.to == [mother.contacts.get().value]]
    text = message.subject + message.body + _text(message.attachments[0][1])
    assert "paration" not in text and "Parents après" not in text
    assert "SUMMARY:Rendez-vous Caf" in text


def test_the_survey_message_leads_to_the_anonymous_survey(db, make_user, client):
    social_worker = make_user("social_worker", "92")
    workshop = wf.workshop(days=2)
    registration = wf.public_registration(workshop)
    with time_machine.travel(workshop.starts_at + timedelta(hours=2)):
        services.record_attendance(actor=social_worker, workshop=workshop, marks={registration.pk: "present"})
        services.close_workshop(actor=social_worker, workshop=workshop)
        outbox.deliver_due()
        [survey] = [m for m in mail.outbox if m.subject.startswith("Votre avis")]
        assert "anonyme" in client.get(_link(survey.body, "/enquete/")).content.decode()


def test_a_message_to_the_other_parent_never_carries_the_first_parents_session(db, make_user):
    """Defence in depth: a parent's session date and time are private fragments for the chokepoint."""
    from parcours.households.models import HouseholdAssignment
    from parcours.workshops.messages import _own_sessions

    social_worker = make_user("social_worker", "92")
    household, mother, father = wf.household_with_parents("92", restricted=True)
    HouseholdAssignment.objects.create(household=household, user=social_worker)
    registration = services.register(
        actor=social_worker, workshop=wf.workshop("92", format="webinar"), person=mother
    ).registration
    fragments = _own_sessions(mother)
    assert len(fragments) == 2
    # A (wrong) message to the father about the mother's registration is refused, not sent.
    message = outbox.enqueue(
        actor=None, template="workshops.reminder", key="test.wrong-parent", person=father,
        context={"starts_at": registration.workshop.starts_at, "ends_at": registration.workshop.ends_at,
                 "place": "En ligne", "online": True, "party_size": 1, "manage_url": "https://x/", "join_url": "https://x/"},
    )  # fmt: skip
    outbox.deliver_due()
    message.refresh_from_db()
    assert message.status == "refused"
    assert all(father.contacts.get().value not in m.to for m in mail.outbox)
