"""The safe-contact chokepoint: safe hours, neutral wording, what a message may say about whom."""

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.core import mail

from parcours.households.models import ContactChannel
from parcours.notifications import outbox, safety
from parcours.notifications.models import Message
from tests.notifications.factories import family, letters_stored, pdf_text, sms_sent

pytestmark = pytest.mark.django_db


@pytest.fixture
def note(template):
    """A template that writes what the caller gives it: to prove what the content check catches."""
    return template(
        key="tests.note",
        email_subject="Information",
        email_body="Bonjour {{ first_name }},\n{{ text }}",
        sms_text="{{ text }}",
        letter_body="<p>{{ text }}</p>",
        protected_email_body="Bonjour,\n{{ text }}",
        protected_sms_text="{{ text }}",
        protected_letter_body="<p>{{ text }}</p>",
        example_context={"text": "Votre dossier est à jour."},
    )


def send(person, text, *, key, channel=None, **extra):
    message = outbox.enqueue(
        actor=None,
        template="tests.note",
        key=key,
        person=person,
        channel=channel,
        context={"text": text, **extra},
    )
    outbox.deliver_due()
    message.refresh_from_db()
    return message


# --- safe hours -------------------------------------------------------------------------------


def test_safe_hours_are_read_in_la_reunions_time_zone_and_the_message_is_held_until_the_window(note):
    _, mother, _, _ = family("974", channels=("sms",))
    ContactChannel.objects.filter(person=mother).update(safe_from=time(18, 0), safe_until=time(20, 0))
    # 13:00 UTC is 17:00 in La Réunion (UTC+4): one hour before her window opens.
    with time_machine.travel(datetime(2026, 6, 10, 13, 0, tzinfo=UTC), tick=False):
        message = send(mother, "Votre dossier est à jour.", key="k-hours")
        assert sms_sent() == []
        assert message.status == Message.Status.PENDING
        assert message.next_attempt_at == datetime(2026, 6, 10, 14, 0, tzinfo=UTC)  # 18:00 at Saint-Denis
        held = message.events.last().detail
        assert "Hors des heures sûres" in held and "10/06/2026 à 18:00" in held and "Indian/Reunion" in held
    with time_machine.travel(datetime(2026, 6, 10, 14, 0, tzinfo=UTC), tick=False):
        outbox.deliver_due()
    assert len(sms_sent()) == 1


def test_the_same_hours_in_paris_are_a_different_instant(note):
    _, mother, _, _ = family("92", channels=("sms",))
    ContactChannel.objects.filter(person=mother).update(safe_from=time(18, 0), safe_until=time(20, 0))
    # 13:00 UTC is 15:00 in Paris in June (UTC+2): the window opens at 16:00 UTC.
    with time_machine.travel(datetime(2026, 6, 10, 13, 0, tzinfo=UTC), tick=False):
        message = send(mother, "Votre dossier est à jour.", key="k-hours-92")
    assert message.next_attempt_at == datetime(2026, 6, 10, 16, 0, tzinfo=UTC)


def test_a_window_across_midnight_holds_until_the_evening_and_sends_at_night(note):
    _, mother, _, _ = family("974", channels=("email",))
    ContactChannel.objects.filter(person=mother).update(safe_from=time(21, 0), safe_until=time(7, 0))
    with time_machine.travel(datetime(2026, 6, 10, 8, 0, tzinfo=UTC), tick=False):  # 12:00 local
        message = send(mother, "Votre dossier est à jour.", key="k-night")
    assert message.next_attempt_at == datetime(2026, 6, 10, 17, 0, tzinfo=UTC)  # 21:00 local
    with time_machine.travel(datetime(2026, 6, 10, 22, 30, tzinfo=UTC), tick=False):  # 02:30 local
        outbox.deliver_due()
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("start", "end", "local", "expected"),
    [
        (time(9), time(17), time(8, 59), time(9)),
        (time(9), time(17), time(9), None),
        (time(9), time(17), time(17), time(9)),  # the end is not included: tomorrow 09:00
        (time(9), None, time(23), None),
        (None, time(12), time(13), time(0)),
        (time(22), time(6), time(5, 59), None),
        (time(22), time(6), time(6), time(22)),
    ],
)
def test_next_safe_time(start, end, local, expected):
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Indian/Reunion")
    contact = ContactChannel(kind="sms", safe_from=start, safe_until=end)
    now = datetime.combine(date(2026, 6, 10), local, tzinfo=tz)
    found = safety.next_safe_time(contact, now, tz)
    if expected is None:
        assert found is None
    else:
        assert found.astimezone(tz).time() == expected
        assert found > now


# --- neutral wording on the protected track --------------------------------------------------------


def test_on_the_protected_track_the_sender_and_subject_are_neutral(template):
    template(
        key="tests.workshop",
        email_subject="Séance Parents après la séparation",
        email_body="Bonjour {{ first_name }}, votre séance Parents après la séparation a lieu le {{ day|date:'j F' }}.",
        protected_email_body="Bonjour, vous avez un rendez-vous le {{ day|date:'j F' }}.",
        example_context={"day": date(2026, 3, 12)},
    )
    _, mother, _, _ = family("974", restricted=True, channels=("email",))
    message = outbox.enqueue(
        actor=None,
        template="tests.workshop",
        key="k-neutral",
        person=mother,
        context={"day": date(2026, 3, 12)},
    )
    outbox.deliver_due()
    (sent,) = mail.outbox
    assert sent.from_email == "Caf <ne-pas-repondre@parcours.caf.fr>"
    assert sent.subject == "Message de votre Caf"
    assert sent.body == "Bonjour, vous avez un rendez-vous le 12 mars."
    message.refresh_from_db()
    assert message.protected_wording is True


def test_a_template_without_neutral_wording_falls_back_to_a_neutral_text(template):
    template(
        key="tests.plain",
        email_subject="Votre aide au logement",
        email_body="Votre aide au logement est revue.",
    )
    _, mother, _, _ = family(restricted=True, channels=("email",))
    outbox.enqueue(actor=None, template="tests.plain", key="k-fallback", person=mother)
    outbox.deliver_due()
    (sent,) = mail.outbox
    assert "aide au logement" not in sent.subject + sent.body
    assert "Votre Caf a une information à vous communiquer" in sent.body
    assert "3230" in sent.body


def test_a_person_with_a_protected_address_is_on_the_protected_track_even_if_the_file_is_not_restricted(note):
    _, mother, _, _ = family(channels=("postal",))
    from parcours.households.models import ProtectedAddress

    ProtectedAddress.objects.create(
        person=mother, ciphertext=b"x", elected_kind="association", elected_name="Maison des femmes",
        elected_line="2 rue Juliette Dodu", elected_postal_code="97400", elected_city="Saint-Denis",
    )  # fmt: skip
    mother.address.delete()
    mother.refresh_from_db()
    message = send(mother, "Votre dossier est à jour.", key="k-elected")
    assert message.status == Message.Status.SENT and message.protected_wording
    text = pdf_text(letters_stored()[0].read_bytes())
    assert "Maison des femmes" in text and "2 rue Juliette Dodu" in text
    assert "Goyaviers" not in text
    assert "Objet : Message de votre Caf" in text


def test_neutral_wording_that_names_the_topic_is_refused(note):
    _, mother, _, _ = family(restricted=True, channels=("email",))
    message = send(mother, "Information sur la médiation familiale.", key="k-topic")
    assert message.status == Message.Status.REFUSED
    assert "non neutre" in message.reason
    assert mail.outbox == []


def test_neutral_wording_that_names_the_other_parent_is_refused(note):
    _, mother, _, _ = family(restricted=True, channels=("email",))
    message = send(mother, "Rendez-vous fixé, Julien Grondin est prévenu.", key="k-name")
    assert message.status == Message.Status.REFUSED
    assert "autre parent" in message.reason


# --- what a message may say about whom ------------------------------------------------------------


def test_a_message_to_one_parent_never_carries_the_other_parents_address(note):
    _, mother, father, _ = family(channels=("email",))
    to_mother = send(mother, "Votre ex habite 3 avenue de la Victoire.", key="k-addr-1")
    assert to_mother.status == Message.Status.REFUSED
    assert "donnée privée de l'autre parent" in to_mother.reason
    # The same line is his own address for the father: a letter may show it to him.
    to_father = send(father, "Nous avons noté votre adresse : 3 avenue de la Victoire.", key="k-addr-2")
    assert to_father.status == Message.Status.SENT
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [father.contacts.get().value]


def test_an_elected_address_is_private_to_its_person_too(note):
    _, mother, father, _ = family(channels=("email",))
    from parcours.households.models import ProtectedAddress

    ProtectedAddress.objects.create(
        person=mother, ciphertext=b"x", elected_kind="lawyer", elected_name="Cabinet Maître Técher",
        elected_line="8 rue de Paris", elected_postal_code="97400", elected_city="Saint-Denis",
    )  # fmt: skip
    message = send(father, "Écrivez au Cabinet Maître Técher.", key="k-elected-2")
    assert message.status == Message.Status.REFUSED


def test_modules_can_register_private_fragments_such_as_a_handover_schedule(note):
    _, mother, father, _ = family(channels=("email",))

    def handover(person):
        return ["mardi 17 mars à 14h30, espace rencontre du Chaudron"] if person.pk == mother.pk else []

    safety.register_private_fragments(handover)
    try:
        message = send(
            father, "Remise prévue mardi 17 mars à 14h30, espace rencontre du Chaudron.", key="k-sched"
        )
    finally:
        safety.PRIVATE_FRAGMENT_SOURCES.remove(handover)
    assert message.status == Message.Status.REFUSED
    assert "horaire" in message.reason


@pytest.mark.parametrize("recipient", ["mother", "father"])
def test_no_message_about_a_restricted_household_mentions_violence(note, recipient):
    _, mother, father, _ = family(restricted=True, channels=("email",))
    person = mother if recipient == "mother" else father
    message = send(person, "Suite à votre plainte, un rendez-vous est fixé.", key=f"k-viol-{recipient}")
    assert message.status == Message.Status.REFUSED
    assert "« plainte »" in message.reason
    assert mail.outbox == []


def test_an_ordinary_household_may_receive_the_3919_information(note):
    _, mother, _, _ = family(channels=("email",))
    message = send(mother, "En cas de violences, appelez le 3919.", key="k-3919")
    assert message.status == Message.Status.SENT


def test_a_context_that_names_the_other_parent_is_refused_when_queued(note):
    _, mother, father, child = family(channels=("email",))
    refused = outbox.enqueue(
        actor=None,
        template="tests.note",
        key="k-struct",
        person=mother,
        context={"text": "Rendez-vous", "handover": {"parent_id": father.pk}},
    )
    assert refused.status == Message.Status.REFUSED
    assert "handover.parent_id" in refused.reason
    outbox.deliver_due()
    assert mail.outbox == []
    allowed = outbox.enqueue(
        actor=None,
        template="tests.note",
        key="k-struct-ok",
        person=mother,
        context={"text": "Rendez-vous", "person_id": mother.pk, "child_person_ids": [child.pk]},
    )
    outbox.deliver_due()
    allowed.refresh_from_db()
    assert allowed.status == Message.Status.SENT


def test_a_protected_track_ics_attachment_that_names_the_topic_is_refused(note):
    _, mother, _, _ = family(restricted=True, channels=("email",))
    ics = (
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Parents après la sé\r\n paration\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    message = outbox.enqueue(
        actor=None,
        template="tests.note",
        key="k-ics-topic",
        person=mother,
        context={"text": "Rendez-vous le 12 mars."},
        attachments=[("seance.ics", ics, "text/calendar")],
    )
    outbox.deliver_due()
    message.refresh_from_db()
    assert message.status == Message.Status.REFUSED
    assert mail.outbox == []
    assert outbox.recipient_is_protected(person=mother) is True


def test_no_message_leaves_for_a_person_whose_processing_is_limited(note):
    household, mother, father, child = family()
    mother.processing_limited = True
    mother.processing_limited_reason = "Demande de limitation (art. 18)"
    mother.save()
    message = send(mother, "Votre dossier est à jour.", key="limited-1")
    assert message.status == Message.Status.REFUSED
    assert "Traitement limité" in message.reason
    assert mail.outbox == [] and sms_sent() == [] and letters_stored() == []
    # The other parent's messages are not affected.
    assert send(father, "Votre dossier est à jour.", key="limited-2").status == Message.Status.SENT
