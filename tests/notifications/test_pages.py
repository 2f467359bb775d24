"""Staff pages: the household's messages, a message's page, retry and cancel, the letter PDF, the outbox."""

from datetime import UTC, datetime, time

import pytest
import time_machine
from django.urls import reverse

from parcours.core.models import AuditEntry
from parcours.households import timeline
from parcours.notifications import outbox
from parcours.notifications.models import Message
from tests.notifications.factories import family

pytestmark = pytest.mark.django_db


def callback(person, key, channel=None):
    return outbox.enqueue(
        actor=None,
        template="notifications.callback_request",
        key=key,
        person=person,
        channel=channel,
        context={"agent_name": "Mme Payet"},
    )


@pytest.fixture
def worker(make_user, client_for):
    user = make_user("social_worker", "92")
    return user, client_for(user)


def test_the_household_page_lists_its_messages_with_their_status(worker):
    user, client = worker
    household, mother, _, _ = family(channels=("email",))
    callback(mother, "p-1")
    outbox.deliver_due()
    page = client.get(reverse("backoffice:household-detail", kwargs={"pk": household.pk}))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Demande de rappel" in html and "Envoyé" in html and "Nadia HOARAU" in html


def test_the_timeline_shows_sent_and_refused_messages_with_the_reason(worker):
    user, _ = worker
    household, mother, father, _ = family(channels=("email",))
    father.contacts.update(is_safe=False)
    callback(mother, "t-1")
    callback(father, "t-2")
    outbox.deliver_due()
    entries = timeline.entries_for(user, household)
    by_status = {e.status: e for e in entries if e.kind == "message"}
    assert set(by_status) == {"sent", "refused"}
    assert "non confirmé sûr" in by_status["refused"].detail
    assert "Julien GRONDIN" in by_status["refused"].title


def test_the_message_page_shows_content_and_history_and_is_audited(worker):
    user, client = worker
    _, mother, _, _ = family(channels=("email",))
    message = callback(mother, "p-2")
    outbox.deliver_due()
    page = client.get(reverse("backoffice:message-detail", kwargs={"pk": message.pk}))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Contenu envoyé" in html and "Mme Payet" in html and "Mis en file d&#x27;attente" in html
    assert AuditEntry.objects.filter(
        action="notifications.message.viewed", object_id=str(message.pk)
    ).exists()


def test_a_refused_message_is_sent_again_once_the_channel_is_confirmed_safe(worker):
    user, client = worker
    _, mother, _, _ = family(channels=("email",), safe=False)
    message = callback(mother, "p-3")
    outbox.deliver_due()
    message.refresh_from_db()
    assert message.status == Message.Status.REFUSED
    # Retrying does not bypass the rules: still unsafe, refused again.
    client.post(reverse("backoffice:message-retry", kwargs={"pk": message.pk}))
    outbox.deliver_due()
    message.refresh_from_db()
    assert message.status == Message.Status.REFUSED
    mother.contacts.update(is_safe=True)
    response = client.post(reverse("backoffice:message-retry", kwargs={"pk": message.pk}))
    assert response.status_code == 302
    outbox.deliver_due()
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert AuditEntry.objects.filter(action="notifications.message.retried").count() == 2


def test_a_sent_message_cannot_be_sent_again(worker):
    user, client = worker
    _, mother, _, _ = family(channels=("email",))
    message = callback(mother, "p-4")
    outbox.deliver_due()
    response = client.post(reverse("backoffice:message-retry", kwargs={"pk": message.pk}), follow=True)
    assert "Seul un message en échec ou refusé peut être renvoyé." in response.content.decode()
    assert Message.objects.get(pk=message.pk).attempts == 1


def test_a_pending_message_is_cancelled_with_a_reason(worker):
    user, client = worker
    _, mother, _, _ = family(channels=("email",))
    message = callback(mother, "p-5")
    url = reverse("backoffice:message-cancel", kwargs={"pk": message.pk})
    empty = client.post(url, {"reason": ""})
    assert empty.status_code == 200 and "Ce champ est obligatoire" in empty.content.decode()
    assert Message.objects.get(pk=message.pk).status == Message.Status.PENDING
    client.post(url, {"reason": "La personne a été jointe au téléphone"})
    message.refresh_from_db()
    assert message.status == Message.Status.DROPPED
    assert "jointe au téléphone" in message.reason
    outbox.deliver_due()
    assert Message.objects.get(pk=message.pk).status == Message.Status.DROPPED


def test_the_letter_is_downloaded_as_pdf_and_the_download_is_audited(worker):
    user, client = worker
    _, mother, _, _ = family(channels=("postal",))
    message = callback(mother, "p-6")
    outbox.deliver_due()
    response = client.get(reverse("backoffice:export-notifications-letter", kwargs={"pk": message.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert AuditEntry.objects.filter(
        action="notifications.letter.downloaded", object_id=str(message.pk)
    ).exists()


def test_an_email_has_no_letter_to_download(worker):
    user, client = worker
    _, mother, _, _ = family(channels=("email",))
    message = callback(mother, "p-7")
    outbox.deliver_due()
    letter = reverse("backoffice:export-notifications-letter", kwargs={"pk": message.pk})
    assert client.get(letter).status_code == 404


def test_a_restricted_households_messages_are_hidden_from_unassigned_staff(worker, make_user, client_for):
    user, client = worker
    household, mother, _, _ = family(restricted=True, channels=("email",))
    message = callback(mother, "p-8")
    assert client.get(reverse("backoffice:message-detail", kwargs={"pk": message.pk})).status_code == 404
    assert timeline.entries_for(user, household) == []
    assignee = make_user("social_worker", "92")
    household.assignments.create(user=assignee)
    assert (
        client_for(assignee).get(reverse("backoffice:message-detail", kwargs={"pk": message.pk})).status_code
        == 200
    )


def test_the_local_pilots_outbox_shows_statuses_and_failures_without_content(make_user, client_for):
    pilot = make_user("local_pilot", "92")
    client = client_for(pilot)
    _, mother, father, _ = family(channels=("email",))
    restricted, victim, _, _ = family(restricted=True, channels=("email",))
    father.contacts.update(is_safe=False)
    callback(mother, "o-1")
    callback(father, "o-2")
    callback(victim, "o-3")
    _, elsewhere, _, _ = family("974", channels=("email",))
    callback(elsewhere, "o-4")
    outbox.deliver_due()
    Message.objects.filter(key="o-1").update(
        status=Message.Status.FAILED, reason="Serveur de messagerie injoignable"
    )
    page = client.get(reverse("backoffice:outbox"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "3 messages" in html
    assert "Serveur de messagerie injoignable" in html
    assert "Dossier à accès restreint" in html
    assert "Nadia" not in html and "@exemple.fr" not in html  # no recipient, no content
    home = client.get(reverse("backoffice:home")).content.decode()
    assert 'href="/gestion/messages/"' in home  # menu entry with the failures badge
    filtered = client.get(reverse("backoffice:outbox"), {"status": "failed"}).content.decode()
    assert "1 message" in filtered


def test_the_home_page_lists_the_messages_to_review_in_my_households(worker):
    user, client = worker
    _, mother, father, _ = family(channels=("email",))
    father.contacts.update(is_safe=False)
    callback(mother, "h-1")
    refused = callback(father, "h-2")
    outbox.deliver_due()
    html = client.get(reverse("backoffice:home")).content.decode()
    assert "Messages à revoir" in html
    assert reverse("backoffice:message-detail", kwargs={"pk": refused.pk}) in html
    assert "Julien GRONDIN" in html and "Nadia HOARAU" not in html


def test_a_held_message_says_why_it_waits(worker):
    user, client = worker
    household, mother, _, _ = family(channels=("email",))
    mother.contacts.update(safe_from=time(18, 0), safe_until=time(20, 0))
    with time_machine.travel(datetime(2026, 6, 10, 10, tzinfo=UTC), tick=False):
        message = callback(mother, "h-3")
        outbox.deliver_due()
    message.refresh_from_db()
    assert message.status == Message.Status.PENDING
    (entry,) = [e for e in timeline.entries_for(user, household) if e.kind == "message"]
    assert "Hors des heures sûres" in entry.detail
    page = client.get(reverse("backoffice:household-detail", kwargs={"pk": household.pk})).content.decode()
    assert "En attente" in page and "Hors des heures sûres" in page
