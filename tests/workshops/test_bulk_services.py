"""The two bulk writes that used to be loops in staff views: publishing a series, inviting from the worklist."""

from datetime import date

import pytest
import time_machine
from django.utils import timezone

from parcours.households.models import Person
from parcours.workshops import services
from parcours.workshops.models import Invitation, Workshop
from tests import factories
from tests.pathways.factories import open_pathway
from tests.workshops import factories as wf


def _series_with_drafts(manager):
    series, _ = services.create_series(
        actor=manager,
        publish=False,
        title="Parents après la séparation",
        format="webinar",
        frequency="weekly",
        interval=1,
        weekday=timezone.localdate().weekday(),
        start_time=timezone.datetime(2000, 1, 1, 18, 0).time(),
        duration_minutes=120,
        capacity=10,
        languages=["fr"],
        first_date=timezone.localdate() + timezone.timedelta(days=1),
        last_date=timezone.localdate() + timezone.timedelta(days=30),
        holiday_confirmed=True,  # dates relative to today may fall on a public holiday
    )
    return series


def test_publishing_a_series_publishes_each_future_draft(db, make_user):
    manager = make_user("local_pilot", "92")
    series = _series_with_drafts(manager)
    outcome = services.publish_series(actor=manager, series=series)
    assert len(outcome.published) == series.workshops.count() >= 4 and outcome.refused == []
    assert set(series.workshops.values_list("status", flat=True)) == {Workshop.Status.PUBLISHED}


def test_a_session_that_cannot_be_published_is_reported_and_the_others_still_are(db, make_user):
    manager = make_user("local_pilot", "92")
    series = _series_with_drafts(manager)
    first, *others = series.workshops.order_by("starts_at")
    Workshop.objects.filter(pk=first.pk).update(format="in_person", venue=None)  # no place: refused
    outcome = services.publish_series(actor=manager, series=series)
    assert [w.pk for w, _ in outcome.refused] == [first.pk]
    assert sorted(w.pk for w in outcome.published) == sorted(w.pk for w in others)
    assert Workshop.objects.get(pk=first.pk).status == Workshop.Status.DRAFT


def test_publishing_another_departments_series_is_refused(db, make_user):
    series = _series_with_drafts(make_user("local_pilot", "92"))
    from django.http import Http404

    with pytest.raises(Http404):
        services.publish_series(actor=make_user("local_pilot", "974"), series=series)
    assert not series.workshops.filter(status=Workshop.Status.PUBLISHED).exists()


def _due_pathway():
    pathway = open_pathway(children_count=1, declared_on=date(2026, 3, 2))
    for parent in pathway.household.members.filter(role=Person.Role.PARENT):
        factories.ContactFactory(person=parent)
    return pathway


@time_machine.travel("2026-03-10 10:00 +01:00", tick=False)
def test_bulk_invitation_invites_only_the_chosen_due_steps(db, make_user):
    advisor = make_user("service_advisor", "92")
    chosen, left = _due_pathway(), _due_pathway()
    wf.workshop("92")
    step = chosen.steps.get(kind="workshop_invitation")
    outcome = services.invite_households(actor=advisor, step_ids=[str(step.pk), "not-a-step"])
    assert outcome.error is None and outcome.sent == chosen.household.members.filter(role="parent").count()
    assert set(Invitation.objects.values_list("household_id", flat=True)) == {chosen.household_id}
    assert not Invitation.objects.filter(household=left.household).exists()


@time_machine.travel("2026-03-10 10:00 +01:00", tick=False)
def test_bulk_invitation_reports_the_refusal_that_stopped_it(db, make_user):
    advisor = make_user("service_advisor", "92")
    steps = [_due_pathway().steps.get(kind="workshop_invitation") for _ in range(2)]
    # No session open: the first household is refused, and the refusal is reported.
    outcome = services.invite_households(actor=advisor, step_ids=[s.pk for s in steps])
    assert outcome.sent == 0 and outcome.error is not None
    assert "Aucune séance" in outcome.error.messages[0]


@time_machine.travel("2026-03-10 10:00 +01:00", tick=False)
def test_bulk_invitation_ignores_steps_outside_the_actors_scope(db, make_user):
    other = open_pathway(children_count=1, declared_on=date(2026, 3, 2), department="974")
    wf.workshop("92")
    step = other.steps.get(kind="workshop_invitation")
    outcome = services.invite_households(actor=make_user("service_advisor", "92"), step_ids=[step.pk])
    assert outcome.sent == 0 and not Invitation.objects.exists()
