"""Working steps: outcomes, contact attempts, assignment, closing the pathway, the timeline, and
the selectors other modules use."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from parcours.core.models import AuditEntry
from parcours.households import timeline
from parcours.households.models import HouseholdAssignment
from parcours.households.services import restrict_household
from parcours.pathways import selectors
from parcours.pathways.models import Pathway, PathwayStep
from parcours.pathways.services import (
    assign_step,
    complete_step,
    record_contact_attempt,
    record_separation,
    update_situation,
)
from parcours.pathways.services.steps import CLOSED_AT_REVIEW
from tests import factories
from tests.pathways.factories import event_input, open_pathway

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def social_worker(db):
    return factories.make_user("social_worker", "92")


@pytest.fixture
def pathway(social_worker):
    return open_pathway(children_count=2)


def step(pathway, kind):
    return pathway.steps.get(kind=kind)


def test_a_step_is_done_with_its_outcome_and_audited(pathway, social_worker):
    done = complete_step(
        actor=social_worker, step=step(pathway, "social_worker_contact"), outcome="done", note="RDV fixé"
    )
    done.refresh_from_db()
    assert (done.status, done.outcome, done.note, done.closed_by) == (
        "closed",
        "done",
        "RDV fixé",
        social_worker,
    )
    entry = AuditEntry.objects.get(action="pathways.step.completed")
    assert entry.data == {"kind": "social_worker_contact", "outcome": "done"}
    assert entry.scope == f"household:{pathway.household_id}"


def test_declined_or_not_applicable_needs_a_note(pathway, social_worker):
    with pytest.raises(ValidationError, match="Précisez"):
        complete_step(actor=social_worker, step=step(pathway, "mediation_offer"), outcome="declined")
    assert step(pathway, "mediation_offer").status == "open"
    complete_step(
        actor=social_worker, step=step(pathway, "mediation_offer"), outcome="declined", note="Refus"
    )


def test_unreachable_needs_three_unsuccessful_attempts(pathway, social_worker):
    contact = step(pathway, "social_worker_contact")
    record_contact_attempt(actor=social_worker, step=contact, channel="phone", result="no_answer")
    record_contact_attempt(actor=social_worker, step=contact, channel="sms", result="message_left")
    record_contact_attempt(actor=social_worker, step=contact, channel="phone", result="reached")
    with pytest.raises(
        ValidationError, match="au moins 3 tentatives de contact sans succès ; 2 enregistrées"
    ):
        complete_step(actor=social_worker, step=contact, outcome="unreachable")
    record_contact_attempt(actor=social_worker, step=contact, channel="letter", result="no_answer")
    assert complete_step(actor=social_worker, step=contact, outcome="unreachable").outcome == "unreachable"


def test_a_step_cannot_be_done_twice(pathway, social_worker):
    contact = step(pathway, "social_worker_contact")
    complete_step(actor=social_worker, step=contact, outcome="done")
    with pytest.raises(ValidationError, match="n'est plus à faire"):
        complete_step(actor=social_worker, step=contact, outcome="done")
    with pytest.raises(ValidationError, match="n'est plus à faire"):
        record_contact_attempt(actor=social_worker, step=contact, channel="phone", result="reached")


def test_an_attempt_cannot_be_dated_in_the_future(pathway, social_worker):
    with pytest.raises(ValidationError, match="futur"):
        record_contact_attempt(actor=social_worker, step=step(pathway, "social_worker_contact"), channel="phone",
                               result="reached", attempted_at=timezone.now() + timedelta(hours=2))  # fmt: skip
    assert not step(pathway, "social_worker_contact").attempts.exists()


def test_only_casework_staff_of_the_department_work_steps(pathway):
    contact = step(pathway, "social_worker_contact")
    with pytest.raises(Http404):
        complete_step(actor=factories.make_user("social_worker", "974"), step=contact, outcome="done")
    for role in ("local_pilot", "partner"):
        with pytest.raises(PermissionDenied):
            complete_step(actor=factories.make_user(role, "92"), step=contact, outcome="done")


def test_the_review_closes_the_pathway_and_withdraws_what_is_left(pathway, social_worker):
    complete_step(actor=social_worker, step=step(pathway, "information_offer"), outcome="done")
    complete_step(
        actor=social_worker, step=step(pathway, "review_closure"), outcome="done", note="Bilan fait"
    )
    pathway.refresh_from_db()
    assert (pathway.status, pathway.closed_reason) == (Pathway.Status.CLOSED, CLOSED_AT_REVIEW)
    statuses = dict(pathway.steps.values_list("kind", "status"))
    assert statuses["information_offer"] == "closed" and statuses["review_closure"] == "closed"
    assert statuses["mediation_offer"] == "withdrawn"
    assert AuditEntry.objects.filter(action="pathways.pathway.closed").count() == 1


# --- assignment ------------------------------------------------------------------------------


def test_steps_go_to_the_least_loaded_colleague_holding_the_role(db):
    first, second = factories.make_user("social_worker", "92"), factories.make_user("social_worker", "92")
    advisor = factories.make_user("service_advisor", "92")
    one = open_pathway(children_count=1)
    open_pathway(children_count=1)
    social_work = PathwayStep.objects.filter(responsible_role="social_worker").order_by("pk")
    # contact, mediation, review of each file
    assert [s.assignee for s in social_work] == [first, second, first, second, first, second]
    assert step(one, "information_offer").assignee == advisor
    assert step(one, "rights_appointment").assignee is None  # no benefits officer in this Caf yet


def test_a_file_declared_with_violence_gets_one_social_worker_and_only_its_assigned_staff(db):
    """Issue 15: the file is restricted at once to the pathway's social worker (the least loaded);
    steps of other roles wait for the local pilot to assign someone to the file."""
    first, second = factories.make_user("social_worker", "92"), factories.make_user("social_worker", "92")
    factories.make_user("service_advisor", "92")
    one = open_pathway(children_count=0, violence_reported=True)
    two = open_pathway(children_count=0, violence_reported=True)
    for pathway, worker in ((one, first), (two, second)):
        steps = {s.kind: s.assignee for s in pathway.steps.all()}
        assert steps["social_worker_contact"] == steps["review_closure"] == worker
        assert steps["information_offer"] is None
        assert set(pathway.household.assignments.values_list("user", flat=True)) == {worker.pk}


def test_loads_counted_beforehand_steer_the_assignment_as_counted_ones_would(db):
    from parcours.pathways.services.planning import Assigner, open_steps_by_assignee

    first, second = factories.make_user("social_worker", "92"), factories.make_user("social_worker", "92")
    for _ in range(2):  # a contact and a review each: first, second, first, second
        open_pathway(children_count=0, violence_reported=True)
    PathwayStep.objects.filter(assignee=first).order_by("pk").first().delete()
    counted = open_steps_by_assignee()
    assert counted == {first.pk: 1, second.pk: 2}
    department = first.organisation.department_id
    given = Assigner([department], loads={**counted, 999_999: 7})  # someone of another Caf: ignored
    assert given.load == Assigner([department]).load == counted
    assert given.pick(department, "social_worker").user_id == first.pk
    assert Assigner([department], loads={first.pk: 9}).pick(department, "social_worker").user_id == second.pk


def test_the_loads_are_counted_beforehand_only_outside_a_transaction(db):
    """In a transaction, another connection would not see its rows: the import counts them itself."""
    from parcours.pathways.services.planning import open_steps_in_background

    assert open_steps_in_background() is None


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_loads_are_counted_on_postgresql_while_the_file_is_checked():
    from django.db import connection

    from parcours.pathways.services.planning import open_steps_by_assignee, open_steps_in_background

    factories.make_user("social_worker", "92"), factories.make_user("social_worker", "92")
    open_pathway(children_count=2)
    open_pathway(children_count=0, violence_reported=True)
    loads = open_steps_in_background()
    if connection.vendor == "sqlite":  # one connection: nothing runs beside it
        assert loads is None
    else:
        assert loads() == open_steps_by_assignee() and sum(loads().values()) >= 4


def test_the_staff_form_gives_the_recorder_the_steps_of_their_role(db):
    factories.make_user("service_advisor", "92")
    recorder = factories.make_user("service_advisor", "92")
    event, created = record_separation(actor=recorder, event=event_input(children_count=1))
    assert created and event.pathway.steps.get(kind="information_offer").assignee == recorder
    assert event.recorded_by == recorder and event.source == "form"
    again, created = record_separation(actor=recorder, event=event_input(external_id=event.external_id))
    assert not created and again == event


def test_a_step_is_reassigned_to_a_colleague_holding_its_role(pathway, social_worker):
    colleague = factories.make_user("social_worker", "92")
    contact = assign_step(
        actor=social_worker, step=step(pathway, "social_worker_contact"), assignee=colleague
    )
    assert contact.assignee == colleague
    with pytest.raises(ValidationError, match="rôle « travailleur social »"):
        assign_step(actor=social_worker, step=contact, assignee=factories.make_user("benefits_officer", "92"))


def test_on_a_restricted_file_steps_go_only_to_the_staff_assigned_to_it(social_worker):
    colleague = factories.make_user("social_worker", "92")
    household = factories.HouseholdFactory(department_code="92", file_number="4444444")
    restrict_household(actor=social_worker, household=household, reason="Violences")
    pathway = open_pathway(file_number="4444444", children_count=0, violence_reported=True)
    assert step(pathway, "social_worker_contact").assignee == social_worker
    assert step(pathway, "information_offer").assignee is None
    with pytest.raises(ValidationError, match="affecté à ce dossier restreint"):
        assign_step(actor=social_worker, step=step(pathway, "social_worker_contact"), assignee=colleague)
    HouseholdAssignment.objects.create(household=household, user=colleague)
    assign_step(actor=social_worker, step=step(pathway, "social_worker_contact"), assignee=colleague)


# --- timeline and selectors ------------------------------------------------------------------


def test_the_timeline_shows_events_steps_contacts_and_changes_in_order(social_worker):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=PARIS), tick=False):
        pathway = open_pathway(children_count=2, declared_on=date(2026, 3, 2))
    with time_machine.travel(datetime(2026, 3, 3, 10, 0, tzinfo=PARIS), tick=False):
        record_contact_attempt(actor=social_worker, step=step(pathway, "social_worker_contact"), channel="phone",
                               result="no_answer", note="Messagerie")  # fmt: skip
    with time_machine.travel(datetime(2026, 3, 4, 10, 0, tzinfo=PARIS), tick=False):
        complete_step(actor=social_worker, step=step(pathway, "social_worker_contact"), outcome="done")
    with time_machine.travel(datetime(2026, 3, 5, 10, 0, tzinfo=PARIS), tick=False):
        update_situation(
            actor=social_worker, household=pathway.household, reason="Confié", violence_reported=True
        )
    entries = timeline.entries_for(social_worker, pathway.household)
    titles = [e.title for e in entries]
    # The change and its effect share their instant: the effect reads first, newest first.
    assert titles[0].startswith("Étape retirée : Proposition de médiation familiale")
    assert titles[1] == "Changement de situation"
    assert titles[2].startswith("Contact proactif d'un travailleur social : réalisée par")
    assert titles[3].startswith("Contact (appel téléphonique) : pas de réponse par")
    assert titles[-2:] == ["Parcours ouvert", "Déclaration de séparation reçue"]
    assert "Violences signalées : oui" in entries[1].detail and "Motif : Confié" in entries[1].detail
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)


def test_the_timeline_shows_nothing_to_someone_outside_the_file(pathway):
    assert selectors.timeline_entries(factories.make_user("social_worker", "974"), pathway.household) == []
    assert selectors.timeline_entries(factories.make_user("local_pilot", "92"), pathway.household) == []


def test_due_steps_lists_open_steps_of_a_kind_for_the_workshops_module(social_worker):
    early = open_pathway(children_count=1, declared_on=date(2026, 3, 2))  # invitation due 1 April
    late = open_pathway(children_count=1, declared_on=date(2026, 3, 20))  # due 19 April
    open_pathway(children_count=0)  # no invitation without children
    other = open_pathway(children_count=1, department="974")
    found = list(selectors.due_steps(social_worker, "workshop_invitation"))
    assert [s.pathway_id for s in found] == [early.pk, late.pk]
    assert [
        s.pathway_id
        for s in selectors.due_steps(social_worker, "workshop_invitation", due_by=date(2026, 4, 1))
    ] == [early.pk]
    complete_step(actor=social_worker, step=found[0], outcome="done")
    assert [s.pathway_id for s in selectors.due_steps(social_worker, "workshop_invitation")] == [late.pk]
    assert other.pk not in [s.pathway_id for s in selectors.due_steps(social_worker, "workshop_invitation")]


def test_step_for_is_audited_and_scoped(pathway, social_worker):
    contact = step(pathway, "social_worker_contact")
    assert selectors.step_for(social_worker, contact.pk) == contact
    assert AuditEntry.objects.filter(action="pathways.step.viewed", object_id=str(contact.pk)).count() == 1
    with pytest.raises(Http404):
        selectors.step_for(factories.make_user("social_worker", "974"), contact.pk)


def test_a_pathway_step_knows_when_it_is_late(pathway):
    contact = step(pathway, "social_worker_contact")
    assert contact.is_late(contact.due_at + timedelta(seconds=1))
    assert not contact.is_late(contact.due_at - timedelta(seconds=1))
    PathwayStep.objects.filter(pk=contact.pk).update(status="closed")
    contact.refresh_from_db()
    assert not contact.is_late(contact.due_at + timedelta(days=1))


def test_the_workshops_module_finds_its_invitations_and_the_violence_flag(social_worker):
    from parcours.workshops import integrations

    with_children = open_pathway(children_count=1)
    with_violence = open_pathway(children_count=1, violence_reported=True)
    steps = integrations.due_invitation_steps(social_worker)
    assert {s.pathway_id for s in steps} == {with_children.pk, with_violence.pk}
    assert integrations.violence_reported(with_violence.household)
    assert not integrations.violence_reported(with_children.household)
    integrations.complete_invitation_step(actor=social_worker, step_id=steps[0].pk, note="Invitation envoyée")
    assert PathwayStep.objects.get(pk=steps[0].pk).outcome == "done"


def test_the_assigners_heap_chooses_as_a_scan_of_every_colleague_would():
    """Thousands of picks, from pools that share colleagues (two roles), mixed with picks by site
    and on restricted files: each choice is the first of the least loaded, by id."""
    import random

    from parcours.pathways.services.planning import Assigner, Candidate

    rng = random.Random(7)
    assigner = Assigner([])  # no department: pools filled by hand
    people = {uid: Candidate(uid, rng.choice([None, 1, 2])) for uid in range(1, 30)}
    for department_id in (1, 2):
        for role in ("social_worker", "benefits_officer"):
            members = sorted(rng.sample(sorted(people), 9))
            assigner.candidates[(department_id, role)] = [people[uid] for uid in members]
    assigner.load = {uid: rng.randrange(4) for uid in people}
    expected_load = dict(assigner.load)
    for _ in range(3000):
        department_id, role = rng.choice([1, 2]), rng.choice(["social_worker", "benefits_officer"])
        pool = assigner.candidates[(department_id, role)]
        site_id = rng.choice([None, None, None, 1])
        allowed = {c.user_id for c in pool[::3]} if rng.random() < 0.1 else None
        scanned = [c for c in pool if allowed is None or c.user_id in allowed]
        if site_id is not None:
            scanned = [c for c in scanned if c.site_id == site_id] or scanned
        best = min(scanned, key=lambda c: (expected_load[c.user_id], c.user_id))
        expected_load[best.user_id] += 1
        assert assigner.pick(department_id, role, site_id=site_id, allowed=allowed) == best
    assert assigner.load == expected_load
