"""Issue 15, rule 5: no mediation in a violence case, whatever the template says — refused on save
(service and template editor), and the planner enforces it again (form, file, situation change)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from parcours.pathways import rules
from parcours.pathways.models import PathwayTemplate, TemplateStep
from parcours.pathways.services import (
    StepSpec,
    save_department_template,
    save_national_template,
    update_situation,
)
from tests import factories
from tests.pathways.factories import open_pathway
from tests.pathways.test_pages import formset_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def pilot(db):
    factories.caf("92")
    from parcours.pathways.defaults import ensure_national_template

    ensure_national_template()
    return factories.make_user("local_pilot", "92")


def national_specs(**changes):
    national = PathwayTemplate.objects.get(department__isnull=True, is_current=True)
    specs = [StepSpec.of(s) for s in national.steps.order_by("position")]
    for spec in specs:
        for name, value in changes.get(spec.kind, {}).items():
            setattr(spec, name, value)
    return specs


@pytest.mark.parametrize(
    "conditions",
    [
        [{"has_children": True}],  # the scenario: "enfants"
        [],  # always
        [{"has_children": True, "violence_reported": True}],
        [{"has_children": True, "violence_reported": False}, {"shared_home": True}],
    ],
)
def test_a_template_whose_mediation_could_reach_a_violence_case_is_refused(pilot, conditions):
    specs = national_specs(mediation_offer={"conditions": conditions})
    with pytest.raises(ValidationError) as error:
        save_department_template(actor=pilot, name="Variante", change_note="Médiation", steps=specs)
    assert "médiation familiale" in str(error.value) and "non violences" in str(error.value)
    national = factories.make_user("national_pilot", None)
    with pytest.raises(ValidationError):
        save_national_template(actor=national, name="National", change_note="Médiation", steps=specs)


def test_a_kind_marked_never_in_violence_cases_follows_the_same_rule(pilot):
    rules.never_in_violence_cases("coparenting_coaching")
    try:
        specs = national_specs()
        specs.append(StepSpec("coparenting_coaching", "Coaching coparental", "social_worker", 10,
                              "working_days", conditions=[{"has_children": True}]))  # fmt: skip
        with pytest.raises(ValidationError):
            save_department_template(actor=pilot, name="Variante", change_note="Coaching", steps=specs)
        specs[-1].conditions = [{"has_children": True, "violence_reported": False}]
        save_department_template(actor=pilot, name="Variante", change_note="Coaching", steps=specs)
    finally:
        rules.NEVER_IN_VIOLENCE.discard("coparenting_coaching")


def test_protected_deadlines_cannot_be_lengthened_beyond_the_national_ones(pilot):
    longer = national_specs(social_worker_contact={"protected_deadline_value": 96})
    with pytest.raises(ValidationError) as error:
        save_department_template(actor=pilot, name="Variante", change_note="Délai", steps=longer)
    assert "modèle national" in str(error.value)
    none = national_specs(
        social_worker_contact={"protected_deadline_value": None, "protected_deadline_unit": ""}
    )
    with pytest.raises(ValidationError):
        save_department_template(actor=pilot, name="Variante", change_note="Délai", steps=none)
    shorter = national_specs(social_worker_contact={"protected_deadline_value": 48})
    save_department_template(actor=pilot, name="Variante", change_note="Délai", steps=shorter)


def test_the_template_editor_explains_the_refusal_in_french(pilot, client_for):
    national = PathwayTemplate.objects.get(department__isnull=True, is_current=True)
    index = list(national.steps.values_list("kind", flat=True)).index("mediation_offer")
    response = client_for(pilot).post(
        reverse("backoffice:template-edit"),
        formset_data(national, **{f"etapes-{index}-conditions": "enfants"}),
    )
    html = response.content.decode()
    assert (
        response.status_code == 200
        and "n&#x27;est jamais proposée quand des violences sont signalées" in html
    )
    assert not PathwayTemplate.objects.filter(department__code="92").exists()


def _sneak_in_mediation_for_everyone(pilot):
    """Data changed behind the service's back (an old row, a manual fix): the planner still refuses."""
    template = save_department_template(
        actor=pilot, name="Variante", change_note="Copie", steps=national_specs()
    )
    TemplateStep.objects.filter(template=template, kind="mediation_offer").update(
        conditions=[{"has_children": True}]
    )
    return template


@pytest.mark.parametrize("source", ["file", "form"])
def test_the_planner_never_plans_mediation_in_a_violence_case(pilot, source):
    _sneak_in_mediation_for_everyone(pilot)
    actor = factories.make_user("service_advisor", "92") if source == "form" else None
    pathway = open_pathway(actor=actor, source=source, children_count=2, violence_reported=True)
    assert pathway.template.department is not None
    assert not pathway.steps.filter(kind="mediation_offer").exists()
    ordinary = open_pathway(children_count=2)
    assert ordinary.steps.filter(kind="mediation_offer").exists()


def test_a_situation_change_withdraws_mediation_even_from_a_tampered_template(pilot):
    _sneak_in_mediation_for_everyone(pilot)
    pathway = open_pathway(children_count=2)
    assert pathway.steps.get(kind="mediation_offer").status == "open"
    worker = factories.make_user("social_worker", "92")
    update_situation(
        actor=worker, household=pathway.household, reason="Violences confiées", violence_reported=True
    )
    assert pathway.steps.get(kind="mediation_offer").status == "withdrawn"
