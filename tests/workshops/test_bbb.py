"""BigBlueButton: the checksum of the documented algorithm, and the room through a fake server."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from parcours.core import crypto
from parcours.core.policy import LinkHolder
from parcours.workshops import bbb, links, services
from parcours.workshops.models import Registration, WebinarServer
from parcours.workshops.services import workshops as workshop_services
from tests import factories
from tests.workshops import factories as wf
from tests.workshops.fake_bbb import FakeBBB

# Worked examples: the API documentation's own (create, shared secret 639259d4-…) and two others
# computed the same way (call name + query string + shared secret, hashed).
DOCUMENTED = [
    (
        "create",
        "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444",
        "639259d4-9dd8-4b25-bf01-95f9567eaf4b",
        "sha1",
        "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17",
    ),
    (
        "create",
        "name=Test&meetingID=test01&moderatorPW=mp&attendeePW=ap",
        "dfc658adec2de8a5d56b06ea51089883",
        "sha1",
        "5bb1dd0a153abffedb7abd96825fbecb32fef020",
    ),
    (
        "create",
        "name=Demo&meetingID=replace-with-meeting-id&attendeePW=replace-with-password&moderatorPW=replace-with-password",
        "replace-with-secret",
        "sha256",
        "7e5a0a48f1542462e56ca034dc83d741bff1deb5feab0cd9ef74fa6e009fe1fd",
    ),
]


@pytest.mark.parametrize(("call", "query", "secret", "algorithm", "expected"), DOCUMENTED)
def test_checksum_follows_the_documented_algorithm(call, query, secret, algorithm, expected):
    assert bbb.checksum(call, query, secret, algorithm) == expected


def test_a_signed_url_carries_the_checksum_of_its_own_query_string():
    url = bbb.signed_url(
        "https://visio.exemple/bigbluebutton/api",
        "create",
        {"name": "Test Meeting", "meetingID": "abc123", "attendeePW": "111222", "moderatorPW": "333444"},
        "639259d4-9dd8-4b25-bf01-95f9567eaf4b",
    )
    assert url == (
        "https://visio.exemple/bigbluebutton/api/create?name=Test+Meeting&meetingID=abc123&attendeePW=111222"
        "&moderatorPW=333444&checksum=1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"
    )


def test_an_unknown_algorithm_is_refused():
    with pytest.raises(ValueError):
        bbb.checksum("create", "", "s", "md5")


@pytest.fixture
def fake_server(db, monkeypatch):
    fake = FakeBBB(secret="secret-partage-974", algorithm="sha256")
    WebinarServer.objects.create(
        department=factories.department("974"),
        api_url="https://visio.caf974.exemple/bigbluebutton/api/",
        secret_ciphertext=crypto.encrypt("secret-partage-974"),
        algorithm="sha256",
    )
    monkeypatch.setitem(workshop_services.TRANSPORT, "default", fake)
    return fake


def test_a_wrong_secret_is_reported_in_french(fake_server, make_user):
    fake_server.secret = "autre-secret"
    pilot = make_user("local_pilot", "974")
    workshop = wf.workshop("974", format="webinar")
    with pytest.raises(ValidationError, match="a refusé la demande \\(checksumError\\)"):
        services.create_room(actor=pilot, workshop=workshop)


def test_the_room_is_created_and_only_a_confirmed_participant_joins_as_viewer(fake_server, make_user):
    pilot = make_user("local_pilot", "974")
    workshop = wf.workshop("974", format="webinar", capacity=1, days=5)
    services.create_room(actor=pilot, workshop=workshop)
    workshop.refresh_from_db()
    assert workshop.room_kind == "bbb" and workshop.bbb_meeting_id in fake_server.meetings
    confirmed = wf.public_registration(workshop, first_name="Awa")
    waiting = wf.public_registration(workshop, first_name="Léa")
    assert waiting.status == Registration.Status.WAITING
    with time_machine.travel(workshop.starts_at - timedelta(minutes=10)):
        url = services.join_room(actor=LinkHolder(registration=confirmed), registration=confirmed)
        params = fake_server.join(url)
        assert params["role"] == "VIEWER"
        assert params["password"] == workshop.bbb_attendee_secret
        assert params["fullName"] == "Awa"
        with pytest.raises(ValidationError, match="Seules les personnes inscrites"):
            services.join_room(actor=LinkHolder(registration=waiting), registration=waiting)


def test_the_room_opens_thirty_minutes_before_the_start(fake_server, make_user):
    workshop = wf.workshop("974", format="webinar", days=5)
    services.create_room(actor=make_user("local_pilot", "974"), workshop=workshop)
    registration = wf.public_registration(workshop)
    with (
        time_machine.travel(workshop.starts_at - timedelta(minutes=45)),
        pytest.raises(ValidationError, match="30 minutes"),
    ):
        services.join_room(actor=LinkHolder(registration=registration), registration=registration)


def test_a_facilitator_joins_as_moderator(fake_server, make_user):
    social_worker = make_user("social_worker", "974")
    workshop = wf.workshop("974", format="webinar")
    services.create_room(actor=social_worker, workshop=workshop)
    params = fake_server.join(services.join_room(actor=social_worker, workshop=workshop))
    assert params["role"] == "MODERATOR"
    assert params["password"] == workshop.__class__.objects.get(pk=workshop.pk).bbb_moderator_secret


def test_attendance_is_filled_from_the_people_in_the_room(fake_server, make_user):
    social_worker = make_user("social_worker", "974")
    workshop = wf.workshop("974", format="webinar", days=5)
    services.create_room(actor=social_worker, workshop=workshop)
    present = wf.public_registration(workshop, first_name="Awa")
    absent = wf.public_registration(workshop, first_name="Léa")
    with time_machine.travel(workshop.starts_at + timedelta(minutes=15)):
        fake_server.join(services.join_room(actor=LinkHolder(registration=present), registration=present))
        fake_server.join(services.join_room(actor=social_worker, workshop=workshop))
        assert services.fill_attendance_from_room(actor=social_worker, workshop=workshop) == 1
    present.refresh_from_db()
    absent.refresh_from_db()
    assert (present.attendance, present.attendance_from_video) == ("present", True)
    assert absent.attendance == ""
    assert fake_server.calls.count("getMeetingInfo") == 1


def test_the_public_join_link_redirects_to_the_signed_room(fake_server, make_user, client):
    workshop = wf.workshop("974", format="webinar", days=5)
    services.create_room(actor=make_user("local_pilot", "974"), workshop=workshop)
    registration = wf.public_registration(workshop)
    url = reverse("portal:registration-join", kwargs={"token": links.registration_token(registration)})
    with time_machine.travel(workshop.starts_at - timedelta(minutes=5)):
        response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("https://visio.caf974.exemple/bigbluebutton/api/join?")
    fake_server.join(response["Location"])


def test_the_public_join_page_explains_when_the_room_is_not_open(fake_server, make_user, client):
    workshop = wf.workshop("974", format="webinar", days=5)
    registration = wf.public_registration(workshop)
    response = client.get(
        reverse("portal:registration-join", kwargs={"token": links.registration_token(registration)})
    )
    assert response.status_code == 403
    assert "30 minutes avant" in response.content.decode()


def test_without_a_configured_server_the_room_cannot_be_created(db, make_user):
    workshop = wf.workshop("92", format="webinar")
    with pytest.raises(ValidationError, match="Aucun serveur BigBlueButton"):
        services.create_room(actor=make_user("local_pilot", "92"), workshop=workshop)


def test_the_real_http_transport_talks_to_a_server_on_the_loopback(db):
    """The requests-based transport against a local HTTP server playing BigBlueButton (no network)."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    fake = FakeBBB(secret="boucle-locale", algorithm="sha1")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            status, body = fake(f"http://127.0.0.1{self.path}", 5)
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = bbb.Client(
            f"http://127.0.0.1:{server.server_port}/bigbluebutton/api/", "boucle-locale", "sha1"
        )
        client.create(meeting_id="m1", name="Séance", attendee_pw="a", moderator_pw="m", duration=180)
        assert client.attendees(meeting_id="m1") == []
        assert client.attendees(meeting_id="inconnue") == []
    finally:
        server.shutdown()
    assert fake.calls == ["create", "getMeetingInfo", "getMeetingInfo"]
