"""Attacks on the sign-in replayed (issue 16): each test fails without its fix."""

import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from parcours.core import otp_throttle
from parcours.core.models import AuditEntry
from parcours.notifications import outbox
from parcours.notifications.models import Message
from tests import factories
from tests.core.test_sign_in import LOGIN, OTP, code, password_step

RESET = reverse("backoffice:password-reset")


@pytest.fixture
def user(db):
    return factories.make_user("social_worker", "92")


def wrong_code() -> str:
    return "000000" if code() != "000000" else "111111"


def test_another_capitalisation_of_the_email_shares_the_throttle(user, settings):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(attacker, user.email, "wrong password attempt")
    shouting = password_step(attacker, f"  {user.email.upper()} ")
    assert shouting.status_code == 429


def test_behind_proxies_the_throttle_keys_on_the_forwarded_client(user, settings):
    settings.PARCOURS_TRUSTED_PROXIES = 1
    proxy = "10.0.0.1"
    attacker = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(attacker, user.email, "wrong password attempt")
    assert password_step(attacker, user.email).status_code == 429
    # A hop written by the attacker himself (left of the proxy's) does not give him a new budget.
    forged = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.99, 203.0.113.7")
    assert password_step(forged, user.email).status_code == 429
    victim = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert password_step(victim, user.email)["Location"] == OTP


class _AppendingProxy(BaseHTTPRequestHandler):
    """A reverse proxy as the README configures one: it appends the peer's address to X-Forwarded-For."""

    upstream = ""
    peer = ""

    def _forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        previous = self.headers.get("X-Forwarded-For")
        # The test plays two clients from one machine: the proxy reads who it is from a test header.
        peer = self.headers.get("X-Test-Peer", self.client_address[0])
        headers["X-Forwarded-For"] = f"{previous}, {peer}" if previous else peer
        answer = requests.request(
            self.command,
            self.upstream + self.path,
            headers=headers,
            data=body,
            allow_redirects=False,
            timeout=30,
        )
        self.send_response(answer.status_code)
        for key, value in answer.headers.items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    do_GET = do_POST = _forward

    def log_message(self, *args):
        pass


@pytest.mark.django_db(transaction=True)
def test_with_a_real_proxy_in_front_an_attacker_cannot_lock_the_victim_out(live_server, settings):
    settings.PARCOURS_TRUSTED_PROXIES = 1
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    victim_user = factories.make_user("social_worker", "92")
    _AppendingProxy.upstream = live_server.url
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AppendingProxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    def attempt(session, peer, password):
        page = session.get(base + LOGIN, headers={"X-Test-Peer": peer}, timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        return session.post(
            base + LOGIN,
            data={"csrfmiddlewaretoken": token, "email": victim_user.email, "password": password},
            headers={"X-Test-Peer": peer, "Referer": base + LOGIN},
            allow_redirects=False,
            timeout=30,
        )

    try:
        attacker = requests.Session()
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert attempt(attacker, "203.0.113.7", "wrong password attempt").status_code == 200
        attempt(attacker, "203.0.113.7", "wrong password attempt")
        assert attempt(attacker, "203.0.113.7", factories.PASSWORD).status_code == 429
        answer = attempt(requests.Session(), "198.51.100.20", factories.PASSWORD)
        assert answer.status_code == 302 and answer.headers["Location"] == OTP
    finally:
        server.shutdown()


def test_wrong_codes_slow_down_that_source_only_and_the_delay_is_capped(user, settings):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    password_step(attacker, user.email)
    assert "Code incorrect" in attacker.post(OTP, {"otp_token": wrong_code()}).content.decode()
    assert "Réessayez dans" in attacker.post(OTP, {"otp_token": wrong_code()}).content.decode()
    # The owner, from her own address, signs in at once: the attacker's failures do not freeze her.
    owner = Client(REMOTE_ADDR="198.51.100.20")
    password_step(owner, user.email)
    assert owner.post(OTP, {"otp_token": code()})["Location"] == reverse("backoffice:home")
    # However many failures, the wait never exceeds the cap (15 min), where it used to reach 18 h.
    request = type("R", (), {"META": {"REMOTE_ADDR": "203.0.113.7"}})()
    for _ in range(40):
        otp_throttle.failed(user, request)
    assert 0 < otp_throttle.wait_seconds(user, request) <= settings.PARCOURS_OTP_MAX_DELAY_SECONDS == 900


def test_repeated_wrong_codes_alert_the_administrators_once(user, settings):
    admin = factories.make_user("admin", None)
    settings.PARCOURS_OTP_ALERT_THRESHOLD = 4
    for n in range(6):
        request = type("R", (), {"META": {"REMOTE_ADDR": f"203.0.113.{n}"}})()
        otp_throttle.failed(user, request)
    alerts = Message.objects.filter(template="notifications.security_alert")
    assert [m.direct_value for m in alerts] == [admin.email]
    assert AuditEntry.objects.filter(action="core.security.alert", object_id=str(user.pk)).count() == 1
    outbox.deliver_due()
    assert "second facteur" in mail.outbox[0].body and user.email not in mail.outbox[0].body


def test_after_the_delay_the_source_may_try_again(user):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    password_step(attacker, user.email)
    attacker.post(OTP, {"otp_token": wrong_code()})
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):
        assert "Code incorrect" in attacker.post(OTP, {"otp_token": wrong_code()}).content.decode()


def test_password_reset_mails_are_limited_per_address_with_the_same_answer(user, settings):
    answers = [Client(REMOTE_ADDR=f"203.0.113.{n}").post(RESET, {"email": user.email}) for n in range(13)]
    assert {(a.status_code, a["Location"]) for a in answers} == {
        (302, reverse("backoffice:password-reset-done"))
    }
    assert Message.objects.filter(template="notifications.staff_password_reset").count() == (
        settings.PARCOURS_PASSWORD_RESET_PER_ADDRESS_HOUR
    )
    assert not mail.outbox  # nothing is sent during the request


def test_password_reset_mails_are_limited_per_source(db, settings):
    users = [
        factories.make_user("social_worker", "92")
        for _ in range(settings.PARCOURS_PASSWORD_RESET_PER_SOURCE_HOUR + 3)
    ]
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    answers = {attacker.post(RESET, {"email": u.email})["Location"] for u in users}
    assert len(answers) == 1
    queued = Message.objects.filter(template="notifications.staff_password_reset").count()
    assert queued == settings.PARCOURS_PASSWORD_RESET_PER_SOURCE_HOUR


def test_the_reset_link_is_made_by_the_worker_and_never_stored(user):
    Client().post(RESET, {"email": user.email.upper()})
    message = Message.objects.get(template="notifications.staff_password_reset")
    assert message.context == {"user_id": user.pk}
    outbox.deliver_due()
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert "/mot-de-passe-oublie/" in mail.outbox[0].body
    assert "[masqué]" in message.body and "/mot-de-passe-oublie/" not in message.body


def test_known_and_unknown_addresses_cost_the_request_the_same_work(user, settings):
    """The answer's time must not tell whether an account exists: the request counts, queues one task
    and answers, the same for both; the worker looks the account up (bench/password_reset.py)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}

    def run(email, source):
        with CaptureQueriesContext(connection) as queries:
            answer = Client(REMOTE_ADDR=source).post(RESET, {"email": email})
        return answer["Location"], [q["sql"].split(" ")[0] for q in queries.captured_queries]

    known = run(user.email, "198.51.100.1")
    unknown = run("nobody@exemple.fr", "198.51.100.2")
    assert known == unknown
    assert not Message.objects.exists()  # nothing queued in the request itself


def test_a_forwarded_hop_that_is_not_an_address_falls_back_to_the_connection(settings):
    from parcours.core.ratelimit import client_ip

    settings.PARCOURS_TRUSTED_PROXIES = 1
    request = type(
        "R", (), {"META": {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4, not-an-ip"}}
    )()
    assert client_ip(request) == "10.0.0.1"
    request.META["HTTP_X_FORWARDED_FOR"] = "1.2.3.4, 203.0.113.7"
    assert client_ip(request) == "203.0.113.7"
