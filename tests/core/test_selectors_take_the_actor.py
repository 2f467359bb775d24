"""Selectors take the acting user and apply the policy themselves (issue 17).

The reads that a household's page, its panels, the step page, the MAP measure page and the workshop
pages make go through selectors that take the actor first: whoever calls them (a page, an export, an
API answer, a future module) gets the same department scope. The household page still writes ONE
audit entry: the household is opened once; the panels' reads are part of that consultation.
"""

from __future__ import annotations

import pytest
from django.http import Http404
from django.urls import reverse

from parcours.core.models import AuditEntry
from parcours.pathways import selectors as pathway_selectors
from parcours.protection import selectors as protection_selectors
from parcours.workshops import selectors as workshop_selectors
from tests import factories
from tests.pathways.factories import open_pathway
from tests.protection.factories import aid, protected_family
from tests.workshops import factories as wf


@pytest.fixture
def family_92(db, make_user):
    worker = make_user("social_worker", "92")
    household, mother, _father, _child = protected_family("92", assignee=worker)
    return worker, household, mother


def test_a_household_page_view_writes_exactly_one_audit_entry(family_92, client_for):
    worker, household, mother = family_92
    file = aid(household, mother)
    client = client_for(worker)
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.get(reverse("backoffice:household-detail", kwargs={"pk": household.pk}))
    assert response.status_code == 200
    assert file.reference in response.content.decode()  # the protection panel read the AUU files
    written = list(AuditEntry.objects.filter(id__gt=last).values_list("action", "object_id"))
    assert written == [("households.household.viewed", str(household.pk))]


@pytest.mark.parametrize(
    "read",
    [
        protection_selectors.household_reports,
        protection_selectors.household_aids,
        protection_selectors.household_safety,
        protection_selectors.parents_of,
        protection_selectors.persons_at_risk,
        protection_selectors.benefits_officers,
    ],
    ids=lambda f: f.__name__,
)
def test_protection_reads_refuse_another_department(family_92, make_user, read):
    _worker, household, _mother = family_92
    with pytest.raises(Http404):
        read(make_user("social_worker", "974"), household)


@pytest.mark.parametrize(
    "read",
    [protection_selectors.household_reports, protection_selectors.persons_at_risk],
    ids=lambda f: f.__name__,
)
def test_protection_reads_refuse_the_unassigned_on_a_restricted_household(family_92, make_user, read):
    _worker, household, _mother = family_92
    with pytest.raises(Http404):
        read(make_user("social_worker", "92"), household)


def test_the_assigned_worker_reads_the_protected_track(family_92):
    worker, household, mother = family_92
    assert [r.person_id for r in protection_selectors.household_reports(worker, household)] == [mother.pk]


def test_step_and_pathway_reads_refuse_another_department(db, make_user):
    pathway = open_pathway(children_count=1)
    stranger = make_user("social_worker", "974")
    step = pathway.steps.first()
    with pytest.raises(Http404):
        pathway_selectors.steps_of(stranger, pathway)
    with pytest.raises(Http404):
        pathway_selectors.attempts_of(stranger, step)
    assert pathway_selectors.steps_of(make_user("social_worker", "92"), pathway)


@pytest.mark.parametrize(
    "read",
    [workshop_selectors.roster, workshop_selectors.workshop_counts, workshop_selectors.facilitations],
    ids=lambda f: f.__name__,
)
def test_workshop_reads_refuse_another_department(db, make_user, read):
    workshop = wf.workshop("92")
    with pytest.raises(Http404):
        read(make_user("social_worker", "974"), workshop)
    read(make_user("social_worker", "92"), workshop)


def test_a_partner_reads_only_the_sessions_they_facilitate(db):
    workshop = wf.workshop("92")
    partner = factories.make_user("partner", "92")
    with pytest.raises(Http404):
        workshop_selectors.roster(partner, workshop)
