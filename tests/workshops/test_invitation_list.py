"""The invitation page is bounded: the due steps are paginated and filtered in the database."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from parcours.pathways.models import PathwayStep, StepKind
from tests import factories
from tests.pathways import factories as pf


def _due_invitation_steps(n: int, department: str = "92"):
    for i in range(n):
        pathway = pf.open_pathway(department=department)
        PathwayStep.objects.filter(pathway=pathway, kind=StepKind.WORKSHOP_INVITATION).update(
            due_at=timezone.now() + timedelta(days=i)
        )


def test_due_steps_come_by_pages_of_fifty_with_a_constant_number_of_queries(db, client_for):
    _due_invitation_steps(55)
    client = client_for(factories.make_user("social_worker", "92"))
    url = reverse("backoffice:invitation-list")
    first = client.get(url).content.decode()
    assert first.count('name="step"') == 50
    assert "(55, par échéance ; 50 sur cette page)" in first
    assert "etapes=2" in first
    second = client.get(url, {"etapes": 2}).content.decode()
    assert second.count('name="step"') == 5
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"etapes": 2})
    _due_invitation_steps(30)
    with CaptureQueriesContext(connection) as more:
        client.get(url, {"etapes": 2})
    assert len(more) == len(few)


def test_due_steps_are_filtered_by_deadline_and_file_number(db, client_for):
    _due_invitation_steps(6)
    client = client_for(factories.make_user("social_worker", "92"))
    url = reverse("backoffice:invitation-list")
    soon = (timezone.localdate() + timedelta(days=2)).isoformat()
    assert client.get(url, {"due_by": soon}).content.decode().count('name="step"') == 3
    step = PathwayStep.objects.filter(kind=StepKind.WORKSHOP_INVITATION).select_related("household").first()
    page = client.get(url, {"reference": step.household.reference}).content.decode()
    assert page.count('name="step"') == 1 and step.household.reference in page
    refused = client.get(url, {"due_by": "31/02/2026"}).content.decode()
    assert "Échéance au plus tard le" in refused and "alert-danger" in refused
