"""The local pilot's dashboard: late steps by staff member and site, deadlines met, aids to pay."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from parcours.pathways import selectors
from parcours.pathways.models import PathwayStep
from tests import factories
from tests.pathways.factories import open_pathway

URL = "/gestion/pilotage/"


def test_counts_late_steps_by_staff_member_and_shows_the_department_late_list(db, client_for):
    worker = factories.make_user("social_worker", "92", first_name="Inès", last_name="Robert")
    pathway = open_pathway(department="92")
    open_pathway(department="974")  # another department: never counted
    PathwayStep.objects.update(due_at=timezone.now() + timedelta(days=10))
    late = pathway.steps.filter(status="open")[:2]
    PathwayStep.objects.filter(pk__in=[s.pk for s in late]).update(
        due_at=timezone.now() - timedelta(days=3), assignee=worker
    )
    pilot = factories.make_user("local_pilot", "92")
    load = selectors.department_load(pilot)
    assert load["late_total"] == 2
    assert load["late_by_staff"][0]["n"] == 2 and load["late_by_staff"][0]["assignee_id"] == worker.pk
    html = client_for(pilot).get(URL).content.decode()
    assert "Inès Robert" in html and "Étapes en retard (2)" in html
    assert pathway.household.reference in html
    assert pathway.declarant.last_name.upper() not in html.upper().split("<MAIN")[1]  # no family named


def test_protected_deadlines_met_are_measured(db):
    pathway = open_pathway(department="92")
    now = timezone.now()
    first, second, third = list(pathway.steps.all()[:3])
    PathwayStep.objects.filter(pk=first.pk).update(
        status="closed", closed_at=now, due_at=now + timedelta(hours=1), protected_deadline=True
    )
    PathwayStep.objects.filter(pk=second.pk).update(
        status="closed", closed_at=now, due_at=now - timedelta(days=1), protected_deadline=True
    )
    PathwayStep.objects.filter(pk=third.pk).update(
        status="closed", closed_at=now, due_at=now + timedelta(days=1)
    )
    load = selectors.department_load(factories.make_user("local_pilot", "92"))
    assert (load["protected"].closed, load["protected"].on_time, load["protected"].percent) == (2, 1, 50)
    assert (load["ordinary"].closed, load["ordinary"].percent) == (1, 100)


def test_only_the_local_pilot_opens_it(db, client_for):
    for role in ("social_worker", "service_advisor", "benefits_officer", "partner"):
        assert client_for(factories.make_user(role, "92")).get(
            reverse("backoffice:pilot-dashboard")
        ).status_code in (
            403,
            404,
        )
