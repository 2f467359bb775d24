"""Issue 23: a session created or moved onto a public holiday of its department is a warning the
staff member confirms, not a refusal; the department's own days count (La Réunion's 20 December)."""

from datetime import date, datetime, time

import pytest
import time_machine
from django.urls import reverse

from parcours.workshops import services
from parcours.workshops.models import Workshop

pytestmark = pytest.mark.django_db

NOW = "2026-12-01 09:00 +01:00"


def _create(pilot, day: date, **extra):
    return services.create_workshop(
        actor=pilot,
        format="webinar",
        starts_at=datetime.combine(day, time(18), tzinfo=pilot.department.tzinfo),
        capacity=10,
        languages=["fr"],
        **extra,
    )


@time_machine.travel(NOW, tick=False)
def test_a_session_on_christmas_day_asks_for_confirmation_and_writes_nothing(make_user):
    pilot = make_user("local_pilot", "92")
    with pytest.raises(services.HolidayToConfirm) as warning:
        _create(pilot, date(2026, 12, 25))
    assert warning.value.message == (
        "Le vendredi 25 décembre 2026 (Noël) est un jour férié dans les Hauts-de-Seine : "
        "confirmez pour garder cette date, ou choisissez-en une autre."
    )
    assert not Workshop.objects.exists()
    workshop = _create(pilot, date(2026, 12, 25), holiday_confirmed=True)
    assert workshop.local_start().date() == date(2026, 12, 25)
    assert _create(pilot, date(2026, 12, 23)).pk


@time_machine.travel(NOW, tick=False)
def test_the_departments_own_holidays_count(make_user):
    with pytest.raises(services.HolidayToConfirm) as warning:
        _create(make_user("local_pilot", "974"), date(2026, 12, 20))
    assert "(Abolition de l'esclavage) est un jour férié à La Réunion" in warning.value.message
    assert _create(make_user("local_pilot", "92"), date(2026, 12, 20)).pk  # not a holiday in 92


@time_machine.travel(NOW, tick=False)
def test_moving_a_session_onto_a_holiday_asks_and_other_edits_do_not(make_user):
    pilot = make_user("local_pilot", "92")
    workshop = _create(pilot, date(2026, 12, 25), holiday_confirmed=True)
    services.update_workshop(actor=pilot, workshop=workshop, capacity=12)  # same day: no new question
    other = _create(pilot, date(2026, 12, 30))
    with pytest.raises(services.HolidayToConfirm):
        services.update_workshop(
            actor=pilot, workshop=other, starts_at=datetime(2027, 1, 1, 18, tzinfo=pilot.department.tzinfo)
        )
    other.refresh_from_db()
    assert other.local_start().date() == date(2026, 12, 30)


@time_machine.travel(NOW, tick=False)
def test_a_series_names_its_holidays_first(make_user):
    pilot = make_user("local_pilot", "92")
    rule = {
        "actor": pilot, "format": "webinar", "frequency": "weekly", "interval": 1, "weekday": 4, "start_time": time(18),
        "duration_minutes": 120, "capacity": 10, "languages": ["fr"], "first_date": date(2026, 12, 10),
        "last_date": date(2027, 1, 2),
    }  # fmt: skip
    with pytest.raises(services.HolidayToConfirm) as warning:
        services.create_series(**rule)
    assert warning.value.message.startswith(
        "Le vendredi 25 décembre 2026 (Noël), le vendredi 1er janvier 2027 (Jour de l'an) sont des jours fériés"
    )
    assert not Workshop.objects.exists()
    _, workshops = services.create_series(**rule, holiday_confirmed=True)
    assert len(workshops) == 4


@time_machine.travel(NOW, tick=False)
def test_the_form_warns_then_creates_once_confirmed(make_user, client_for):
    client = client_for(make_user("local_pilot", "92"))
    data = {
        "title": "Parents après la séparation", "format": "webinar", "day": "2026-12-25", "start": "18:00",
        "duration_minutes": 120, "capacity": 15, "languages": ["fr"], "public_notes": "", "room_url": "",
    }  # fmt: skip
    response = client.post(reverse("backoffice:workshop-create"), data)
    html = response.content.decode()
    assert response.status_code == 200 and not Workshop.objects.exists()
    assert "Le vendredi 25 décembre 2026 (Noël) est un jour férié" in html
    assert 'name="holiday_confirmed" value="on"' in html
    assert "Confirmer et enregistrer à cette date" in html
    response = client.post(reverse("backoffice:workshop-create"), {**data, "holiday_confirmed": "on"})
    assert response.status_code == 302 and Workshop.objects.count() == 1
