"""The satisfaction survey: answers apart from identity, one answer per ticket, results from 5 answers."""

from datetime import date, timedelta

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from parcours.workshops import selectors, services
from parcours.workshops.models import Registration, SurveyResponse, SurveyToken, Workshop
from parcours.workshops.services.survey import token_hash
from tests import factories
from tests.workshops import factories as wf

GOOD = {"useful": 5, "answers": 4, "format_suited": 5, "better_informed": 4, "recommend": 5}


def test_an_answer_has_no_relation_at_all_in_the_schema():
    """No foreign key, one-to-one or many-to-many from an answer, and nothing points to it: no join leads
    from an answer to a registration, a person, a ticket or even a session."""
    fields = SurveyResponse._meta.get_fields(include_hidden=True)
    assert [f.name for f in fields if f.is_relation] == []
    for model in apps.get_models():
        for field in model._meta.get_fields(include_hidden=True):
            assert getattr(field, "related_model", None) is not SurveyResponse, (
                f"{model.__name__}.{field.name}"
            )
    # No moment either (it could be matched with when a ticket was used), and a random primary key.
    assert not [f for f in fields if isinstance(f, models.DateTimeField)]
    assert isinstance(SurveyResponse._meta.pk, models.UUIDField)


def test_a_ticket_has_no_link_to_the_registration():
    assert {f.related_model for f in SurveyToken._meta.get_fields() if f.is_relation} == {Workshop}


def _held_workshop(make_user, present: int, code: str = "92", format: str = "in_person"):
    social_worker = make_user("social_worker", code)
    workshop = wf.workshop(code, format=format, days=2, capacity=30)
    registrations = [wf.public_registration(workshop) for _ in range(present + 1)]
    with time_machine.travel(workshop.starts_at + timedelta(hours=1)):
        marks = {r.pk: "present" for r in registrations[:present]}
        marks[registrations[-1].pk] = "absent"
        services.record_attendance(actor=social_worker, workshop=workshop, marks=marks)
        services.close_workshop(actor=social_worker, workshop=workshop)
    return workshop, registrations


def test_closing_sends_one_ticket_per_person_present(db, make_user):
    workshop, registrations = _held_workshop(make_user, present=3)
    assert SurveyToken.objects.filter(workshop=workshop).count() == 3
    sent = Registration.objects.filter(workshop=workshop, survey_sent_at__isnull=False)
    assert {r.attendance for r in sent} == {"present"}


def test_closing_needs_every_attendance(db, make_user):
    social_worker = make_user("social_worker", "92")
    workshop = wf.workshop(days=2)
    wf.public_registration(workshop)
    with (
        time_machine.travel(workshop.starts_at + timedelta(hours=2)),
        pytest.raises(ValidationError, match="présence"),
    ):
        services.close_workshop(actor=social_worker, workshop=workshop)


def _ticket(workshop) -> str:
    token = f"ticket-{workshop.pk}-{SurveyToken.objects.count()}"
    SurveyToken.objects.create(
        token_hash=token_hash(token), workshop=workshop, expires_at=workshop.starts_at + timedelta(days=30)
    )
    return token


def test_a_ticket_serves_once_and_the_answer_copies_only_grouping_keys(db):
    workshop = wf.workshop("974", format="webinar")
    token = _ticket(workshop)
    services.submit_survey(token=token, answers=GOOD, comment="Très clair")
    with pytest.raises(ValidationError, match="déjà répondu"):
        services.submit_survey(token=token, answers=GOOD)
    answer = SurveyResponse.objects.get()
    assert (answer.department_code, answer.format) == ("974", "webinar")
    assert answer.session_month == workshop.local_start().date().replace(day=1)
    assert answer.score == pytest.approx(4.6)


def test_an_expired_or_unknown_ticket_records_nothing(db):
    workshop = wf.workshop()
    token = _ticket(workshop)
    with (
        time_machine.travel(workshop.starts_at + timedelta(days=31)),
        pytest.raises(ValidationError, match="close"),
    ):
        services.submit_survey(token=token, answers=GOOD)
    with pytest.raises(ValidationError, match="pas valide"):
        services.submit_survey(token="inconnu", answers=GOOD)
    assert SurveyResponse.objects.count() == 0


def test_an_answer_out_of_the_scale_is_refused(db):
    token = _ticket(wf.workshop())
    with pytest.raises(ValidationError):
        services.submit_survey(token=token, answers={**GOOD, "useful": 6})
    assert not SurveyToken.objects.get().used


def test_the_survey_page_records_an_answer_once(db, client):
    token = _ticket(wf.workshop())
    url = reverse("portal:survey", kwargs={"token": token})
    assert "anonyme" in client.get(url).content.decode()
    response = client.post(url, {**GOOD, "comment": ""})
    assert "Merci pour votre réponse" in response.content.decode()
    response = client.post(url, GOOD)
    assert "déjà répondu" in response.content.decode()
    assert SurveyResponse.objects.count() == 1


def _answers(count: int, *, code="92", format="in_person", month=date(2025, 1, 1), score=4):
    SurveyResponse.objects.bulk_create(
        [
            SurveyResponse(
                department_code=code,
                format=format,
                session_month=month,
                comment=f"avis {i}" if i == 0 else "",
                useful=score,
                answers=score,
                format_suited=score,
                better_informed=score,
                recommend=max(1, score - (i % 2)),
            )  # fmt: skip
            for i in range(count)
        ]
    )


def test_results_are_shown_only_from_five_answers_for_the_grouping(db, make_user):
    pilot = make_user("local_pilot", "92")
    _answers(4, format="in_person")
    _answers(5, format="webinar")
    result = selectors.comparison(
        pilot, department=factories.department("92"), start=date(2025, 1, 1), end=date(2025, 6, 30)
    )
    rows = {row.format: row for row in result.rows}
    assert (rows["in_person"].answers, rows["in_person"].shown, rows["in_person"].satisfaction) == (
        4,
        False,
        None,
    )
    assert rows["in_person"].comments == []
    assert rows["webinar"].shown and rows["webinar"].satisfaction is not None
    assert rows["webinar"].comments == ["avis 0"]


def test_answers_of_a_survey_still_open_are_not_counted(db, make_user):
    pilot = make_user("local_pilot", "92")
    this_month = date.today().replace(day=1)
    _answers(6, format="webinar", month=this_month)
    result = selectors.comparison(
        pilot, department=factories.department("92"), start=this_month - timedelta(days=40), end=date.today()
    )
    assert {row.format: row.answers for row in result.rows}["webinar"] == 0


def test_comparison_counts_turnout_by_format_with_wilson(db, make_user):
    pilot = make_user("local_pilot", "92")
    _held_workshop(make_user, present=3, format="webinar")
    today = date.today()
    result = selectors.comparison(
        pilot,
        department=factories.department("92"),
        start=today - timedelta(days=30),
        end=today + timedelta(days=30),
    )
    webinar = {row.format: row for row in result.rows}["webinar"]
    assert (webinar.registered, webinar.present) == (4, 3)
    assert webinar.turnout.estimate == pytest.approx(0.75)
    assert 0.3 < webinar.turnout.low < 0.75 < webinar.turnout.high <= 1


def test_the_comparison_page_has_a_data_table_for_every_chart(db, make_user, client_for):
    pilot = make_user("local_pilot", "92")
    _answers(6, format="webinar")
    _answers(5, format="in_person", score=3)
    response = client_for(pilot).get(
        reverse("backoffice:workshop-comparison"),
        {"department": factories.department("92").pk, "start": "2025-01-01", "end": "2025-12-31"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<svg") == 2
    assert html.count("<table") >= 3
    assert "Satisfaction moyenne par format" in html and "IC 95 %" in html


def test_a_local_pilot_cannot_compare_another_department(db, make_user):
    pilot = make_user("local_pilot", "92")
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.comparison(
            pilot, department=factories.department("974"), start=date(2025, 1, 1), end=date(2025, 2, 1)
        )


def test_the_comparison_asks_statistical_secrecy_for_the_survey_minimum(db, make_user, monkeypatch):
    """core.secrecy is the one place that decides: its survey rule, not a threshold of the page's own."""
    from parcours.core import secrecy

    pilot = make_user("local_pilot", "92")
    _answers(7, format="webinar")
    real = secrecy.threshold
    monkeypatch.setattr(
        secrecy, "threshold", lambda rule=secrecy.GENERAL: 8 if rule == secrecy.SURVEY else real(rule)
    )
    result = selectors.comparison(
        pilot, department=factories.department("92"), start=date(2025, 1, 1), end=date(2025, 6, 30)
    )
    webinar = {row.format: row for row in result.rows}["webinar"]
    assert (webinar.answers, webinar.shown, webinar.satisfaction, webinar.comments) == (7, False, None, [])
    assert result.threshold == 8


def test_the_survey_rule_is_its_own_setting_beside_the_general_threshold(settings):
    from parcours.core import secrecy

    settings.PARCOURS_STATISTICAL_SECRECY_THRESHOLD, settings.PARCOURS_WORKSHOP_SURVEY_MIN_ANSWERS = 11, 5
    assert (secrecy.threshold(), secrecy.threshold(secrecy.SURVEY)) == (11, 5)
    assert (secrecy.shown(4, rule=secrecy.SURVEY), secrecy.shown(5, rule=secrecy.SURVEY)) == (None, 5)
    assert secrecy.shown(5) is None
    with pytest.raises(ValueError):
        secrecy.threshold("sondage")
