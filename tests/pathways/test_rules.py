"""Pathway rules: the default template's conditions, deadlines (holidays, time zones, 72 hours),
the violence switch and corrections of the situation, template versions."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from parcours.pathways import rules
from parcours.pathways.models import PathwayStep, SituationChange, StepKind
from parcours.pathways.services import StepSpec, complete_step, save_department_template, update_situation
from parcours.pathways.services.situation import MEDIATION_WITHDRAWN
from tests import factories
from tests.pathways.factories import open_pathway

PARIS = ZoneInfo("Europe/Paris")
REUNION = ZoneInfo("Indian/Reunion")
ALL_KINDS = [k.value for k in StepKind]


def kinds(pathway, status=PathwayStep.Status.OPEN):
    return list(pathway.steps.filter(status=status).order_by("position").values_list("kind", flat=True))


def step(pathway, kind):
    return pathway.steps.get(kind=kind)


def end_of_day(day: date, tz=PARIS) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=tz)


@pytest.fixture
def social_worker(db):
    return factories.make_user("social_worker", "92")


# --- conditions of the national default template ----------------------------------------------


@pytest.mark.django_db
def test_without_children_or_violence_only_information_rights_and_review_apply():
    pathway = open_pathway(children_count=0)
    assert kinds(pathway) == ["information_offer", "rights_appointment", "review_closure"]


@pytest.mark.django_db
def test_with_children_and_no_violence_every_step_applies_mediation_included():
    pathway = open_pathway(children_count=2)
    assert kinds(pathway) == ALL_KINDS


@pytest.mark.django_db
def test_with_children_and_violence_mediation_is_not_offered():
    pathway = open_pathway(children_count=2, violence_reported=True)
    assert kinds(pathway) == [k for k in ALL_KINDS if k != "mediation_offer"]


@pytest.mark.django_db
def test_violence_without_children_brings_the_social_worker_contact_for_everyone():
    pathway = open_pathway(children_count=0, violence_reported=True)
    assert kinds(pathway) == [
        "information_offer",
        "rights_appointment",
        "social_worker_contact",
        "review_closure",
    ]


@pytest.mark.django_db
def test_each_step_goes_to_its_responsible_role():
    pathway = open_pathway(children_count=1)
    roles = dict(pathway.steps.values_list("kind", "responsible_role"))
    assert roles == {
        "information_offer": "service_advisor",
        "rights_appointment": "benefits_officer",
        "social_worker_contact": "social_worker",
        "workshop_invitation": "service_advisor",
        "child_support_information": "benefits_officer",
        "mediation_offer": "social_worker",
        "review_closure": "social_worker",
    }


@pytest.mark.django_db
def test_shared_home_and_not_allocataire_conditions_of_a_department_variant():
    pilot = factories.make_user("local_pilot", "92")
    save_department_template(
        actor=pilot, name="Variante 92", change_note="Logement et non-allocataires",
        steps=[
            StepSpec("information_offer", "Information", "service_advisor", 0, "working_days"),
            StepSpec("housing_help", "Aide au relogement", "social_worker", 5, "working_days",
                     conditions=rules.parse_conditions("logement_commun")),
            StepSpec("opening_rights", "Ouverture de droits", "benefits_officer", 10, "working_days",
                     conditions=rules.parse_conditions("non_allocataire")),
        ],
    )  # fmt: skip
    assert kinds(open_pathway(shared_home=True)) == ["information_offer", "housing_help"]
    assert kinds(open_pathway(is_allocataire=False)) == ["information_offer", "opening_rights"]
    assert kinds(open_pathway()) == ["information_offer"]


@pytest.mark.django_db
def test_each_department_gets_its_variant_else_the_national_template_in_two_queries(
    django_assert_num_queries,
):
    from parcours.pathways.services.planning import current_templates

    pilot = factories.make_user("local_pilot", "974")
    save_department_template(
        actor=pilot, name="Variante 974", change_note="Un seul pas",
        steps=[StepSpec("information_offer", "Information", "service_advisor", 0, "working_days")],
    )  # fmt: skip
    departments = [factories.department(code) for code in ("92", "974", "27")]
    with django_assert_num_queries(2):  # the templates, then their steps
        found = current_templates(departments)
        steps = {code: [s.kind for s in template.steps.all()] for code, template in found.items()}
    assert found["974"].department.code == "974" and found["92"] == found["27"]
    assert found["92"].department_id is None and steps["974"] == ["information_offer"]
    assert len(steps["92"]) == 7 and steps["92"][0] == "information_offer"


# --- deadlines -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_normal_deadlines_of_the_default_template():
    pathway = open_pathway(children_count=2, declared_on=date(2026, 3, 2))  # a Monday
    due = {s.kind: s.due_at for s in pathway.steps.all()}
    assert due["information_offer"] == end_of_day(date(2026, 3, 2))
    assert due["rights_appointment"] == end_of_day(date(2026, 3, 16))  # 10 working days
    assert due["social_worker_contact"] == end_of_day(date(2026, 3, 23))  # 15 working days
    assert due["workshop_invitation"] == end_of_day(date(2026, 4, 1))  # 30 days
    assert due["review_closure"] == end_of_day(date(2026, 9, 2))  # 6 months
    assert not any(s.protected_deadline for s in pathway.steps.all())


@pytest.mark.django_db
def test_a_deadline_skips_14_july_in_92():
    pathway = open_pathway(declared_on=date(2026, 7, 6))  # Monday; 14 July 2026 is a Tuesday
    assert step(pathway, "rights_appointment").due_at == end_of_day(date(2026, 7, 21))


@pytest.mark.django_db
def test_a_deadline_skips_20_december_in_974_only():
    reunion = open_pathway(department="974", declared_on=date(2027, 12, 15), children_count=0)
    mainland = open_pathway(department="92", declared_on=date(2027, 12, 15), children_count=0)
    # 10 working days from Wednesday 15 December 2027; 20 December (Monday) is a holiday in La Réunion only.
    assert step(reunion, "rights_appointment").due_at == end_of_day(date(2027, 12, 30), REUNION)
    assert step(mainland, "rights_appointment").due_at == end_of_day(date(2027, 12, 29))


@pytest.mark.django_db
def test_a_974_step_is_late_four_hours_before_the_same_92_step():
    reunion = step(open_pathway(department="974", declared_on=date(2026, 3, 2)), "rights_appointment")
    mainland = step(open_pathway(department="92", declared_on=date(2026, 3, 2)), "rights_appointment")
    evening_in_paris = datetime(2026, 3, 16, 21, 30, tzinfo=PARIS)  # already 00:30 on the 17th in Saint-Denis
    assert reunion.is_late(evening_in_paris)
    assert not mainland.is_late(evening_in_paris)
    assert reunion.due_at == datetime(2026, 3, 16, 19, 59, 59, tzinfo=UTC)


@pytest.mark.django_db
def test_violence_at_declaration_gives_5_working_days_and_72_hours():
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=PARIS), tick=False):
        pathway = open_pathway(children_count=0, violence_reported=True, declared_on=date(2026, 3, 2))
    rights, contact = step(pathway, "rights_appointment"), step(pathway, "social_worker_contact")
    assert rights.due_at == end_of_day(date(2026, 3, 9)) and rights.protected_deadline
    assert contact.due_at == datetime(2026, 3, 5, 10, 0, tzinfo=PARIS) and contact.protected_deadline


# --- the violence switch and other changes ----------------------------------------------------


@pytest.fixture
def pathway_in_progress(social_worker):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=PARIS), tick=False):
        pathway = open_pathway(children_count=2, declared_on=date(2026, 3, 2))
    with time_machine.travel(datetime(2026, 3, 3, 11, 0, tzinfo=PARIS), tick=False):
        complete_step(
            actor=social_worker, step=step(pathway, "information_offer"), outcome="done", note="Appel"
        )
    return pathway


@pytest.mark.django_db
def test_mediation_step_is_withdrawn_when_violence_is_reported(pathway_in_progress, social_worker):
    with time_machine.travel(datetime(2026, 3, 4, 14, 0, tzinfo=PARIS), tick=False):
        update_situation(actor=social_worker, household=pathway_in_progress.household,
                         reason="Confié lors de l'entretien", violence_reported=True)  # fmt: skip
    mediation = step(pathway_in_progress, "mediation_offer")
    assert mediation.status == PathwayStep.Status.WITHDRAWN
    assert mediation.withdrawn_reason.startswith(MEDIATION_WITHDRAWN)
    change = SituationChange.objects.get(pathway=pathway_in_progress)
    assert change.changes == {"violence_reported": [False, True]}
    assert change.effects["withdrawn"] == [mediation.label]


@pytest.mark.django_db
def test_violence_reported_later_shortens_deadlines_from_the_moment_it_is_known(
    pathway_in_progress, social_worker
):
    with time_machine.travel(datetime(2026, 3, 4, 14, 0, tzinfo=PARIS), tick=False):
        update_situation(actor=social_worker, household=pathway_in_progress.household,
                         reason="Confié lors de l'entretien", violence_reported=True)  # fmt: skip
    rights, contact = (
        step(pathway_in_progress, "rights_appointment"),
        step(pathway_in_progress, "social_worker_contact"),
    )
    assert (
        rights.due_at == end_of_day(date(2026, 3, 11)) and rights.protected_deadline
    )  # 5 working days from the 4th
    assert (
        contact.due_at == datetime(2026, 3, 7, 14, 0, tzinfo=PARIS) and contact.protected_deadline
    )  # 72 hours
    # The review keeps its six months.
    assert step(pathway_in_progress, "review_closure").due_at == end_of_day(date(2026, 9, 2))


@pytest.mark.django_db
def test_nothing_done_is_lost_when_the_situation_changes(pathway_in_progress, social_worker):
    done = step(pathway_in_progress, "information_offer")
    with time_machine.travel(datetime(2026, 3, 4, 14, 0, tzinfo=PARIS), tick=False):
        update_situation(actor=social_worker, household=pathway_in_progress.household, reason="Erreur de saisie",
                         violence_reported=True, children_count=0)  # fmt: skip
    done.refresh_from_db()
    assert (done.status, done.outcome, done.note) == (PathwayStep.Status.CLOSED, "done", "Appel")
    # Without children, the steps for children go; the contact stays, for violence.
    assert kinds(pathway_in_progress) == ["rights_appointment", "social_worker_contact", "review_closure"]


@pytest.mark.django_db
def test_a_corrected_children_count_adds_the_steps_for_children_counted_from_the_correction(social_worker):
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=PARIS), tick=False):
        pathway = open_pathway(children_count=0, declared_on=date(2026, 3, 2))
    with time_machine.travel(datetime(2026, 3, 10, 9, 0, tzinfo=PARIS), tick=False):
        update_situation(
            actor=social_worker, household=pathway.household, reason="Enfants oubliés", children_count=2
        )
    assert kinds(pathway) == ALL_KINDS
    assert step(pathway, "social_worker_contact").due_at == end_of_day(
        date(2026, 3, 31)
    )  # 15 working days from the 10th
    assert step(pathway, "rights_appointment").due_at == end_of_day(date(2026, 3, 16))  # unchanged


@pytest.mark.django_db
def test_a_withdrawn_step_comes_back_when_the_situation_calls_for_it_again(social_worker):
    pathway = open_pathway(children_count=2)
    update_situation(
        actor=social_worker, household=pathway.household, reason="Signalement", violence_reported=True
    )
    update_situation(
        actor=social_worker, household=pathway.household, reason="Signalement erroné", violence_reported=False
    )
    mediation = step(pathway, "mediation_offer")
    assert mediation.status == PathwayStep.Status.OPEN and mediation.withdrawn_reason == ""
    assert SituationChange.objects.filter(pathway=pathway).count() == 2


@pytest.mark.django_db
def test_update_situation_without_a_pathway_returns_none(social_worker):
    household = factories.HouseholdFactory(department_code="92")
    assert (
        update_situation(actor=social_worker, household=household, reason="x", violence_reported=True) is None
    )


@pytest.mark.django_db
def test_update_situation_needs_a_reason_and_changes_nothing_without_one(social_worker):
    pathway = open_pathway(children_count=2)
    with pytest.raises(ValidationError):
        update_situation(
            actor=social_worker, household=pathway.household, reason="  ", violence_reported=True
        )
    pathway.refresh_from_db()
    assert not pathway.violence_reported and not SituationChange.objects.exists()


@pytest.mark.django_db
def test_update_situation_is_refused_to_another_department():
    from django.http import Http404

    pathway = open_pathway(children_count=2)
    stranger = factories.make_user("social_worker", "974")
    with pytest.raises(Http404):
        update_situation(actor=stranger, household=pathway.household, reason="x", violence_reported=True)


@pytest.mark.django_db
def test_the_audit_of_a_situation_change_names_fields_not_values(pathway_in_progress, social_worker):
    from parcours.core.models import AuditEntry

    update_situation(
        actor=social_worker, household=pathway_in_progress.household, reason="Confié", violence_reported=True
    )
    entry = AuditEntry.objects.get(action="pathways.situation.changed")
    assert entry.data["fields"] == ["violence_reported"]
    assert "True" not in str(entry.data) and "true" not in str(entry.data)
    assert entry.scope == f"household:{pathway_in_progress.household_id}"


# --- templates -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_pathway_keeps_the_template_version_it_opened_with(social_worker):
    first = open_pathway(children_count=2)
    pilot = factories.make_user("local_pilot", "92")
    national = first.template
    steps = [StepSpec.of(s) for s in national.steps.all() if s.kind != "mediation_offer"]
    variant = save_department_template(
        actor=pilot, name="Variante 92", change_note="Sans médiation", steps=steps
    )
    second = open_pathway(children_count=2)
    first.refresh_from_db()
    assert first.template == national and second.template == variant and variant.version == 1
    assert "mediation_offer" in kinds(first) and "mediation_offer" not in kinds(second)
    # Re-evaluating the first pathway still reads its own version.
    update_situation(actor=social_worker, household=first.household, reason="Correction", children_count=3)
    assert "mediation_offer" in kinds(first)


@pytest.mark.django_db
def test_saving_a_variant_again_makes_a_new_current_version():
    pilot = factories.make_user("local_pilot", "92")
    spec = [StepSpec("information_offer", "Information", "service_advisor", 0, "working_days")]
    one = save_department_template(actor=pilot, name="V", change_note="un", steps=spec)
    two = save_department_template(actor=pilot, name="V", change_note="deux", steps=spec)
    one.refresh_from_db()
    assert (one.version, one.is_current, two.version, two.is_current) == (1, False, 2, True)


@pytest.mark.parametrize(
    "steps, message",
    [
        ([], "au moins une étape"),
        ([StepSpec("a", "A", "social_worker", 1, "working_days")], "code « a »"),
        ([StepSpec("same", "A", "social_worker", 1, "working_days")] * 2, "en double"),
        ([StepSpec("step_one", "A", "social_worker", 1, "working_days", 5, "")], "délai protégé"),
        ([StepSpec("step_one", "A", "local_pilot", 1, "working_days")], "rôle responsable"),
    ],
)
@pytest.mark.django_db
def test_a_bad_template_is_refused_in_french_and_nothing_is_saved(steps, message):
    from parcours.pathways.models import PathwayTemplate

    pilot = factories.make_user("local_pilot", "92")
    with pytest.raises(ValidationError, match=message):
        save_department_template(actor=pilot, name="V", change_note="essai", steps=steps)
    assert not PathwayTemplate.objects.filter(department__code="92").exists()


@pytest.mark.parametrize(
    "text, parsed",
    [
        ("", []),
        ("enfants", [{"has_children": True}]),
        ("enfants et non violences", [{"has_children": True, "violence_reported": False}]),
        ("enfants ou violences", [{"has_children": True}, {"violence_reported": True}]),
        ("  Logement_commun  ET non_allocataire ", [{"shared_home": True, "not_allocataire": True}]),
    ],
)
def test_conditions_are_written_in_french_words(text, parsed):
    assert rules.parse_conditions(text) == parsed
    assert rules.parse_conditions(rules.format_conditions(parsed)) == parsed


@pytest.mark.parametrize("text", ["enfant", "enfants et", "enfants et non enfants", "si enfants"])
def test_a_condition_that_cannot_be_read_is_refused(text):
    with pytest.raises(ValidationError):
        rules.parse_conditions(text)


def test_months_are_added_day_clamped():
    assert rules.add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert rules.add_months(date(2026, 3, 2), 6) == date(2026, 9, 2)
