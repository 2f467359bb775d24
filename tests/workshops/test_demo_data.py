from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from parcours.core.models import User
from parcours.workshops import selectors
from parcours.workshops.models import Registration, Workshop
from tests import factories


def test_demo_sessions_give_reunion_webinars_and_a_comparison_with_results(db, settings):
    settings.DEBUG = True
    settings.DEMO_MODE = True
    call_command("seed_demo", "--scale", "0.5", stdout=StringIO())
    upcoming = Workshop.objects.filter(status="published", starts_at__gt=timezone.now())
    assert set(upcoming.values_list("department__code", flat=True)) == {"92", "974", "27", "86", "47"}
    webinars_974 = upcoming.filter(department__code="974", format="webinar")
    assert webinars_974.exists()
    assert any(w.seats_left for w in webinars_974)  # the newcomer can register
    assert Registration.objects.filter(workshop__in=webinars_974, status="waiting").exists()  # one is full
    assert all(w.seats_taken <= w.capacity for w in Workshop.objects.all())
    pilot = User.objects.get(email="local_pilot.974@demo.parcours.fr")
    reunion = factories.department("974")
    today = reunion.local_today()  # the demo dates its sessions in the department's day, not the server's
    result = selectors.comparison(pilot, department=reunion, start=today - timedelta(days=365), end=today)
    shown = [row for row in result.rows if row.shown]
    assert {row.format for row in shown} >= {"webinar", "in_person"}
    assert all(row.turnout is not None for row in shown)
    assert result.invited > 0 and result.invitation_rate is not None
