"""The Brevo transactional SMS adapter, against a local fake HTTP server (no network)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from parcours.notifications import outbox
from parcours.notifications.backends import PermanentError
from parcours.notifications.backends.sms import BrevoBackend, needs_unicode
from parcours.notifications.models import Message
from tests.notifications.factories import family


class FakeBrevo(BaseHTTPRequestHandler):
    requests: list = []
    answer = (201, {"messageId": 1511882900176220})

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        FakeBrevo.requests.append(
            {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
        )
        status, payload = FakeBrevo.answer
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def brevo(settings):
    server = HTTPServer(("127.0.0.1", 0), FakeBrevo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeBrevo.requests = []
    FakeBrevo.answer = (201, {"messageId": 1511882900176220})
    settings.PARCOURS_SMS_BACKEND = "parcours.notifications.backends.sms.BrevoBackend"
    settings.PARCOURS_BREVO_API_KEY = "xkeysib-test"
    settings.PARCOURS_BREVO_SMS_URL = f"http://127.0.0.1:{server.server_port}/v3/transactionalSMS/send"
    yield FakeBrevo
    server.shutdown()
    server.server_close()


def test_the_sms_is_posted_to_brevo_with_the_key_the_sender_and_the_hashed_reference(brevo):
    provider_id = BrevoBackend().send(
        to="+262692123456", text="Votre Caf souhaite vous parler.", sender="Caf", reference="ab12"
    )
    assert provider_id == "1511882900176220"
    (request,) = brevo.requests
    assert request["path"] == "/v3/transactionalSMS/send"
    assert request["headers"]["api-key"] == "xkeysib-test"
    assert request["json"] == {
        "sender": "Caf",
        "recipient": "262692123456",
        "content": "Votre Caf souhaite vous parler.",
        "type": "transactional",
        "tag": "ab12",
        "unicodeEnabled": False,
    }


def test_characters_outside_the_gsm_alphabet_switch_to_unicode():
    assert needs_unicode("Rendez-vous à 14 h, côté gare") is True  # ô is not in GSM 03.38
    assert needs_unicode("Rendez-vous à 14 h, près de la gare") is False


@pytest.mark.parametrize("status", [400, 401, 402])
def test_a_refusal_is_permanent(brevo, status):
    brevo.answer = (status, {"code": "invalid_parameter", "message": "Invalid phone number"})
    with pytest.raises(PermanentError, match=f"HTTP {status}"):
        BrevoBackend().send(to="+33612345678", text="Bonjour", sender="Caf", reference="r")


@pytest.mark.parametrize("status", [429, 500, 503])
def test_an_outage_is_retried(brevo, status):
    brevo.answer = (status, {"message": "Service unavailable"})
    with pytest.raises(RuntimeError):
        BrevoBackend().send(to="+33612345678", text="Bonjour", sender="Caf", reference="r")


@pytest.mark.django_db
def test_the_worker_sends_through_brevo_and_records_its_message_id(brevo):
    _, mother, _, _ = family("974", channels=("sms",))
    message = outbox.enqueue(
        actor=None, template="notifications.callback_request", key="brevo-1", person=mother, context={}
    )
    outbox.deliver_due()
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.provider_id == "1511882900176220"
    assert brevo.requests[0]["json"]["recipient"] == "262692100001"
    assert brevo.requests[0]["json"]["tag"] == message.reference


@pytest.mark.django_db
def test_an_unreachable_provider_is_a_passing_failure(settings):
    settings.PARCOURS_SMS_BACKEND = "parcours.notifications.backends.sms.BrevoBackend"
    settings.PARCOURS_BREVO_API_KEY = "xkeysib-test"
    settings.PARCOURS_BREVO_SMS_URL = "http://127.0.0.1:9/v3/transactionalSMS/send"  # nothing listens there
    _, mother, _, _ = family(channels=("sms",))
    message = outbox.enqueue(
        actor=None, template="notifications.callback_request", key="brevo-2", person=mother
    )
    assert outbox.deliver_due().retried == 1
    message.refresh_from_db()
    assert message.status == Message.Status.PENDING and message.attempts == 1
    assert "ConnectionError" in message.events.last().detail
