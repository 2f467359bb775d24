"""Staff pages: sessions in the department's time, attendance, documents, partners' scope, household panel."""

from datetime import date, timedelta
from io import BytesIO

import time_machine
from django.urls import reverse
from django.utils import timezone

from parcours.core.models import AuditEntry
from parcours.workshops import services
from parcours.workshops.models import Registration, Workshop
from tests import factories
from tests.workshops import factories as wf


def test_a_session_created_in_la_reunion_is_stored_at_reunion_time(db, make_user, client_for):
    pilot = make_user("local_pilot", "974")
    venue = wf.venue("974")
    day = wf.working_day("974", date.today() + timedelta(days=30))
    response = client_for(pilot).post(
        reverse("backoffice:workshop-create"),
        {
            "title": "Parents après la séparation", "format": "hybrid", "venue": venue.pk, "day": day.isoformat(),
            "start": "18:00", "duration_minutes": 120, "capacity": 15, "languages": ["fr", "rcf"],
            "public_notes": "", "room_url": "", "publish": "on",
        },
    )  # fmt: skip
    workshop = Workshop.objects.get()
    assert response.status_code == 302
    assert workshop.local_start().strftime("%H:%M") == "18:00"
    assert (
        workshop.starts_at.utcoffset() == timedelta(0)
        or workshop.starts_at.astimezone(timezone.UTC).hour == 14
    )
    assert workshop.local_deadline().date() == day - timedelta(days=1)
    assert workshop.status == "published"
    assert AuditEntry.objects.filter(action="workshops.workshop.created", department="974").exists()


def test_an_in_person_session_without_a_place_is_refused_in_french(db, make_user, client_for):
    pilot = make_user("local_pilot", "92")
    response = client_for(pilot).post(
        reverse("backoffice:workshop-create"),
        {"title": "P", "format": "in_person", "day": wf.working_day("92", date.today() + timedelta(days=9)).isoformat(), "start": "10:00",
         "duration_minutes": 120, "capacity": 10, "languages": ["fr"]},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Choisissez le lieu d&#x27;une séance en salle ou hybride." in response.content.decode()
    assert not Workshop.objects.exists()


def test_the_workshop_page_shows_first_names_but_no_contact(db, make_user, client_for):
    social_worker = make_user("social_worker", "92")
    workshop = wf.workshop()
    wf.public_registration(workshop, first_name="Océane", email="oceane.secret@exemple.fr")
    html = (
        client_for(social_worker)
        .get(reverse("backoffice:workshop-detail", kwargs={"pk": workshop.pk}))
        .content.decode()
    )
    assert "Océane" in html and "oceane.secret" not in html


def test_a_partner_sees_only_the_sessions_they_facilitate(db, make_user, client_for):
    partner = make_user("partner", "92")
    mine = wf.workshop(facilitators=[(partner, "lawyer")])
    other = wf.workshop(days=15)
    client = client_for(partner)
    listing = client.get(reverse("backoffice:workshop-list")).content.decode()
    assert f"/gestion/seances/{mine.pk}/" in listing and f"/gestion/seances/{other.pk}/" not in listing
    assert client.get(reverse("backoffice:workshop-detail", kwargs={"pk": other.pk})).status_code == 404
    sheet = "backoffice:export-workshops-sign-in-sheet"
    assert client.get(reverse(sheet, kwargs={"pk": mine.pk})).status_code == 200
    assert client.get(reverse(sheet, kwargs={"pk": other.pk})).status_code == 404
    # The address from before the registry still works: the same checks, then a redirect.
    former = client.get(reverse("backoffice:workshop-sheet", kwargs={"pk": mine.pk}))
    assert former.status_code == 302 and former["Location"] == reverse(sheet, kwargs={"pk": mine.pk})
    assert client.get(reverse("backoffice:workshop-sheet", kwargs={"pk": other.pk})).status_code == 404


def test_a_restricted_household_registration_opens_only_for_assigned_staff(db, make_user, client_for):
    from parcours.households.models import HouseholdAssignment

    assigned, other = make_user("social_worker", "92"), make_user("social_worker", "92")
    household, mother, _ = wf.household_with_parents("92", restricted=True)
    HouseholdAssignment.objects.create(household=household, user=assigned)
    registration = services.register(actor=assigned, workshop=wf.workshop(), person=mother).registration
    url = reverse("backoffice:registration-detail", kwargs={"pk": registration.pk})
    assert client_for(assigned).get(url).status_code == 200
    assert client_for(other).get(url).status_code == 404
    roster = client_for(other).get(
        reverse("backoffice:workshop-detail", kwargs={"pk": registration.workshop_id})
    )
    assert url not in roster.content.decode()


def test_moving_a_session_bumps_its_sequence_and_is_audited(db, make_user, client_for):
    pilot = make_user("local_pilot", "92")
    workshop = wf.workshop()
    start = workshop.local_start()
    new_day = wf.working_day("92", start.date() + timedelta(days=2))
    client_for(pilot).post(
        reverse("backoffice:workshop-edit", kwargs={"pk": workshop.pk}),
        {"title": workshop.title, "format": "in_person", "venue": workshop.venue_id, "day": new_day.isoformat(),
         "start": "09:30", "duration_minutes": 120, "capacity": workshop.capacity, "languages": ["fr"]},
    )  # fmt: skip
    workshop.refresh_from_db()
    assert workshop.local_start().date() == new_day and workshop.local_start().strftime("%H:%M") == "09:30"
    assert workshop.sequence == 1


def test_cancelling_a_session_ends_every_registration(db, make_user, client_for):
    pilot = make_user("local_pilot", "92")
    workshop = wf.workshop(capacity=1)
    wf.public_registration(workshop)
    wf.public_registration(workshop)
    response = client_for(pilot).post(
        reverse("backoffice:workshop-cancel", kwargs={"pk": workshop.pk}), {"reason": "Intervenant malade"}
    )
    workshop.refresh_from_db()
    assert response.status_code == 302
    assert (workshop.status, workshop.seats_taken) == ("cancelled", 0)
    assert set(workshop.registrations.values_list("status", flat=True)) == {"cancelled"}


def test_attendance_then_closing_through_the_pages(db, make_user, client_for):
    social_worker = make_user("social_worker", "92")
    workshop = wf.workshop(days=2)
    a = wf.public_registration(workshop, first_name="Awa")
    b = wf.public_registration(workshop, first_name="Léa")
    client = client_for(social_worker)
    url = reverse("backoffice:workshop-attendance", kwargs={"pk": workshop.pk})
    with time_machine.travel(workshop.starts_at + timedelta(minutes=90)):
        client = client_for(social_worker)
        client.post(url, {f"attendance_{a.pk}": "present", f"attendance_{b.pk}": "excused"})
        response = client.post(reverse("backoffice:workshop-close", kwargs={"pk": workshop.pk}))
    assert response.status_code == 302
    workshop.refresh_from_db()
    assert workshop.status == "held"
    assert dict(workshop.registrations.values_list("first_name", "attendance")) == {
        "Awa": "present",
        "Léa": "excused",
    }


def test_the_csv_export_neutralises_formulas(db, make_user, client_for):
    workshop = wf.workshop()
    wf.public_registration(workshop, first_name='=HYPERLINK("http://x")')
    wf.public_registration(workshop, first_name="@SUM(1)")
    wf.public_registration(workshop, first_name="-2+3")
    content = (
        client_for(make_user("local_pilot", "92"))
        .get(reverse("backoffice:export-workshops-registrations", kwargs={"pk": workshop.pk}))
        .content.decode("utf-8-sig")
    )
    import csv
    import io

    rows = list(csv.reader(io.StringIO(content), delimiter=";"))
    assert rows[0][:2] == ["N°", "Prénom"]
    assert [row[1] for row in rows[1:]] == ['\'=HYPERLINK("http://x")', "'@SUM(1)", "'-2+3"]
    assert AuditEntry.objects.filter(action="workshops.registrations.exported").count() == 1


def test_the_sign_in_sheet_is_a_pdf_with_the_participants(db, make_user, client_for):
    from pypdf import PdfReader

    workshop = wf.workshop()
    wf.public_registration(workshop, first_name="Mélanie", party_size=2)
    response = client_for(make_user("social_worker", "92")).get(
        reverse("backoffice:export-workshops-sign-in-sheet", kwargs={"pk": workshop.pk})
    )
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    assert "Feuille d'émargement" in text and "Mélanie" in text
    assert AuditEntry.objects.filter(action="workshops.sign_in_sheet.exported").count() == 1


def test_the_household_page_shows_the_panel_and_invites(db, make_user, client_for):
    advisor = make_user("service_advisor", "92")
    household, mother, _ = wf.household_with_parents("92")
    wf.workshop("92")
    client = client_for(advisor)
    page = client.get(reverse("backoffice:household-detail", kwargs={"pk": household.pk})).content.decode()
    assert "Parents après la séparation" in page and "Inviter les parents" in page
    response = client.post(reverse("backoffice:household-invite", kwargs={"pk": household.pk}))
    assert response.status_code == 302
    page = client.get(reverse("backoffice:household-detail", kwargs={"pk": household.pk})).content.decode()
    assert "En attente de réponse" in page


def test_staff_register_a_parent_from_the_household(db, make_user, client_for):
    advisor = make_user("service_advisor", "92")
    household, mother, _ = wf.household_with_parents("92")
    workshop = wf.workshop("92")
    response = client_for(advisor).post(
        reverse("backoffice:person-workshop-register", kwargs={"pk": mother.pk}),
        {"workshop": workshop.pk, "party_size": 1, "accessibility_needs": ""},
    )
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert (registration.person, registration.household, registration.source) == (mother, household, "staff")


def test_the_menu_shows_sessions_with_a_count(db, make_user, client_for):
    wf.workshop("92")
    html = client_for(make_user("social_worker", "92")).get(reverse("backoffice:home")).content.decode()
    assert "Séances" in html and "Prochaines séances" in html


def test_the_webinar_server_secret_is_encrypted_and_never_shown(db, make_user, client_for):
    pilot = make_user("local_pilot", "974")
    client = client_for(pilot)
    client.post(
        reverse("backoffice:webinar-server"),
        {"api_url": "https://visio.exemple/bigbluebutton/api/", "algorithm": "sha256", "enabled": "on",
         "secret": "tres-secret-0123"},
    )  # fmt: skip
    from parcours.workshops.models import WebinarServer

    server = WebinarServer.objects.get(department=factories.department("974"))
    assert b"tres-secret" not in bytes(server.secret_ciphertext)
    assert "tres-secret" not in client.get(reverse("backoffice:webinar-server")).content.decode()
