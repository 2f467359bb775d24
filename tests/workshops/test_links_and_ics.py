"""Private links (signed, expiring, revocable, no personal data) and the ICS invitation's time zone."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core import signing
from django.urls import reverse
from icalendar import Calendar

from parcours.core.policy import LinkHolder
from parcours.workshops import ics, links, services
from tests.workshops import factories as wf


def test_a_registration_link_leads_back_to_it_and_holds_no_personal_data(db):
    registration = wf.public_registration(wf.workshop(), first_name="Nadia", email="nadia.payet@exemple.fr")
    token = links.registration_token(registration)
    assert links.read_registration_token(token) == registration
    decoded = signing.b64_decode(token.split(":")[0].encode()).decode()
    assert "nadia" not in token.lower() and "nadia" not in decoded.lower()
    assert "exemple" not in decoded


@pytest.mark.parametrize("tamper", ["payload", "signature", "truncate"])
def test_a_tampered_link_is_refused(db, tamper):
    registration = wf.public_registration(wf.workshop())
    token = links.registration_token(registration)
    payload, _, rest = token.partition(":")
    if tamper == "payload":
        other = wf.public_registration(registration.workshop)
        forged_payload = links.registration_token(other).partition(":")[0]
        token = f"{forged_payload}:{rest}"
    elif tamper == "signature":
        token = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    else:
        token = token[:-10]
    with pytest.raises(links.LinkError) as error:
        links.read_registration_token(token)
    assert error.value.expired is False


def test_a_link_expires_after_its_lifetime(db, settings):
    settings.PARCOURS_WORKSHOP_LINK_DAYS = 30
    registration = wf.public_registration(wf.workshop(days=60))
    token = links.registration_token(registration)
    with time_machine.travel(timedelta(days=29)):
        assert links.read_registration_token(token) == registration
    with time_machine.travel(timedelta(days=31)), pytest.raises(links.LinkError) as error:
        links.read_registration_token(token)
    assert error.value.expired is True


def test_bumping_the_link_version_revokes_links_already_sent(db):
    registration = wf.public_registration(wf.workshop())
    token = links.registration_token(registration)
    registration.link_version += 1
    registration.save(update_fields=["link_version"])
    with pytest.raises(links.LinkError):
        links.read_registration_token(token)


def test_a_registration_link_is_not_an_invitation_link(db):
    registration = wf.public_registration(wf.workshop())
    with pytest.raises(links.LinkError):
        links.read_invitation_token(links.registration_token(registration))


def test_pages_answer_404_to_a_forged_link_and_410_to_an_expired_one(db, client, settings):
    registration = wf.public_registration(wf.workshop(days=60))
    token = links.registration_token(registration)
    response = client.get(reverse("portal:registration-manage", kwargs={"token": token[:-2] + "xx"}))
    assert response.status_code == 404
    assert "Ce lien n'est pas valide" in response.content.decode()
    assert b"Quitter le site" in response.content
    with time_machine.travel(timedelta(days=settings.PARCOURS_WORKSHOP_LINK_DAYS + 1)):
        response = client.get(reverse("portal:registration-manage", kwargs={"token": token}))
    assert response.status_code == 410
    assert "Ce lien a expiré" in response.content.decode()


# --- ICS ----------------------------------------------------------------------------------------------


def _event(content: bytes):
    calendar = Calendar.from_ical(content)
    return calendar, next(iter(calendar.walk("VEVENT")))


def test_the_ics_of_a_reunion_session_is_in_indian_reunion_time_with_its_vtimezone(db):
    day = date.today() + timedelta(days=20)
    workshop = wf.workshop("974", format="webinar", starts_at=wf.local("974", day, 18))
    registration = wf.public_registration(workshop)
    content = ics.registration_calendar(registration, manage_url="https://parcours.exemple/inscription/x/")
    calendar, event = _event(content)
    assert b"DTSTART;TZID=Indian/Reunion:" + day.strftime("%Y%m%d").encode() + b"T180000" in content
    assert b"DTEND;TZID=Indian/Reunion:" + day.strftime("%Y%m%d").encode() + b"T200000" in content
    zones = calendar.walk("VTIMEZONE")
    assert [z["TZID"] for z in zones] == ["Indian/Reunion"]
    assert b"TZOFFSETTO:+0400" in content
    start = event.decoded("dtstart")
    assert start.utcoffset() == timedelta(hours=4)
    assert (start.hour, start.astimezone(__import__("datetime").UTC).hour) == (18, 14)
    assert "En ligne" in str(event["location"])


def test_the_ics_of_a_paris_session_uses_europe_paris(db):
    workshop = wf.workshop("92")
    content = ics.registration_calendar(wf.public_registration(workshop))
    assert b"DTSTART;TZID=Europe/Paris:" in content
    assert b"BEGIN:VTIMEZONE" in content and b"TZID:Europe/Paris" in content
    # The file people receive is in French, down to the time zone's comment.
    assert b"This timezone" not in content and b"COMMENT:Fuseau horaire valable du" in content


def test_moving_a_session_raises_the_ics_sequence_and_keeps_the_uid(db, make_user):
    pilot = make_user("local_pilot", "92")
    workshop = wf.workshop("92")
    registration = wf.public_registration(workshop)
    _, before = _event(ics.registration_calendar(registration))
    services.update_workshop(actor=pilot, workshop=workshop, starts_at=workshop.starts_at + timedelta(days=1))
    registration.refresh_from_db()
    _, after = _event(ics.registration_calendar(registration))
    assert after["uid"] == before["uid"]
    assert int(after["sequence"]) == int(before["sequence"]) + 1


def test_a_cancelled_registration_gives_a_cancelling_ics(db):
    registration = wf.public_registration(wf.workshop())
    services.cancel_registration(actor=LinkHolder(registration=registration), registration=registration)
    registration.refresh_from_db()
    calendar, event = _event(ics.registration_calendar(registration))
    assert str(calendar["method"]) == "CANCEL"
    assert str(event["status"]) == "CANCELLED"


def test_the_calendar_page_downloads_the_ics(db, client):
    registration = wf.public_registration(wf.workshop("974"))
    response = client.get(
        reverse("portal:registration-calendar", kwargs={"token": links.registration_token(registration)})
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert b"TZID=Indian/Reunion" in response.content


def test_the_ics_of_a_parent_of_a_restricted_household_does_not_name_the_topic(db, make_user, client):
    from parcours.households.models import HouseholdAssignment

    social_worker = make_user("social_worker", "92")
    household, mother, _ = wf.household_with_parents("92", restricted=True)
    HouseholdAssignment.objects.create(household=household, user=social_worker)
    registration = services.register(
        actor=social_worker, workshop=wf.workshop("92"), person=mother
    ).registration
    assert ics.needs_neutral_wording(registration)
    response = client.get(
        reverse("portal:registration-calendar", kwargs={"token": links.registration_token(registration)})
    )
    text = response.content.decode()
    assert "SUMMARY:Rendez-vous Caf" in text
    assert "paration" not in text  # neither « séparation » nor any other word of the topic
