"""Staff journey in Chromium: a social worker checks in participants and closes the session; axe on staff pages."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import axe_violations, sign_in
from tests.workshops import factories as wf


@pytest.mark.django_db(transaction=True)
def test_social_worker_records_attendance_and_the_pages_are_accessible(page, make_user):
    social_worker = make_user("social_worker", "92")
    workshop = wf.workshop("92", days=2, capacity=10)
    wf.public_registration(workshop, first_name="Awa")
    wf.public_registration(workshop, first_name="Léa")
    # The session started half an hour ago (moving the clock instead would end the staff session).
    from django.utils import timezone

    from parcours.workshops.models import Workshop

    Workshop.objects.filter(pk=workshop.pk).update(starts_at=timezone.now() - timedelta(minutes=30))
    sign_in(page, social_worker)
    page.get_by_role("link", name="Séances").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Séances")
    assert axe_violations(page) == []
    page.locator(f'a[href="/gestion/seances/{workshop.pk}/"]').click()
    expect(page.get_by_role("heading", name="Participants")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Présences et clôture").click()
    expect(page.get_by_role("button", name="Enregistrer les présences")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("group", name="Awa (1 pers.)").get_by_label("Présent(e)").check()
    page.get_by_role("group", name="Léa (1 pers.)").get_by_label("Absent(e) excusé(e)").check()
    page.get_by_role("button", name="Enregistrer les présences").click()
    expect(page.get_by_text("Présences enregistrées.")).to_be_visible()
    page.get_by_role("button", name="Clôturer et envoyer l'enquête").click()
    expect(page.get_by_text("Séance clôturée")).to_be_visible()
    workshop.refresh_from_db()
    assert workshop.status == "held"
    for url in ("/gestion/seances/nouvelle/", "/gestion/seances/series/nouvelle/", "/gestion/seances/lieux/"):
        page.goto(url)
        assert axe_violations(page) == [], url


@pytest.mark.django_db(transaction=True)
def test_the_comparison_page_is_accessible(page, make_user):
    from datetime import date

    from parcours.workshops.models import SurveyResponse

    SurveyResponse.objects.bulk_create(
        [SurveyResponse(department_code="92", format=f, session_month=date(2025, 3, 1), useful=4, answers=4,
                        format_suited=5, better_informed=4, recommend=3 + i % 3)
         for f in ("webinar", "in_person") for i in range(6)]
    )  # fmt: skip
    sign_in(page, make_user("local_pilot", "92"))
    page.goto("/gestion/seances/comparaison/?start=2025-01-01&end=2025-12-31")
    expect(page.get_by_role("heading", name="Satisfaction par format")).to_be_visible()
    expect(page.get_by_role("img", name="Satisfaction moyenne par format", exact=False)).to_be_visible()
    # Every bar is drawn: the French locale must not reach the SVG's coordinates.
    widths = page.eval_on_selector_all("svg.chart rect", "rs => rs.map(r => r.getBBox().width)")
    assert widths and all(w > 0 for w in widths), widths
    assert axe_violations(page) == []
