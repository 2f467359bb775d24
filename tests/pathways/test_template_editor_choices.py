"""Issue 23: the pathway template editor offers French choices — step types by their label, and the
conditions as select lists (« avec enfants à charge », « sans violence signalée »…) — while a post
of codes and of the conditions' words (older pages, scripts) still works. Refusals stay in French."""

import pytest
from django.urls import reverse

from parcours.pathways.models import PathwayTemplate
from tests import factories
from tests.pathways.test_pages import formset_data


@pytest.fixture
def pilot(db):
    factories.caf("92")
    from parcours.pathways.defaults import ensure_national_template

    ensure_national_template()
    return factories.make_user("local_pilot", "92")


def _national():
    return PathwayTemplate.objects.get(department__isnull=True, is_current=True)


def _index(template, kind: str) -> int:
    return list(template.steps.values_list("kind", flat=True)).index(kind)


def _as_selects(template, **changes):
    """What the page posts now: conditions in the selects, the combined text left empty."""
    data = formset_data(template)
    for i, step in enumerate(template.steps.all()):
        data[f"etapes-{i}-conditions"] = ""
        if len(step.conditions) == 1:
            for flag, value in step.conditions[0].items():
                data[f"etapes-{i}-si_{flag}"] = "oui" if value else "non"
    data.update(changes)
    return data


def test_the_editor_shows_french_choices_not_codes(pilot, client_for):
    html = client_for(pilot).get(reverse("backoffice:template-edit")).content.decode()
    assert '<option value="rights_appointment" selected>Rendez-vous des droits</option>' in html
    assert "Autre étape (propre au département)…" in html
    assert "Proposée si…" in html
    mediation = _index(_national(), "mediation_offer")
    # The national mediation step: "with children and no violence", shown in the two selects.
    assert f'name="etapes-{mediation}-si_has_children"' in html
    assert '<option value="oui" selected>Avec enfants à charge</option>' in html
    assert '<option value="non" selected>Sans violence signalée</option>' in html
    assert "enfants et non violences" not in html


def test_conditions_chosen_in_the_selects_are_saved(pilot, client_for):
    national = _national()
    info = _index(national, "information_offer")
    response = client_for(pilot).post(
        reverse("backoffice:template-edit"),
        _as_selects(
            national, **{f"etapes-{info}-si_has_children": "oui", f"etapes-{info}-si_not_allocataire": "non"}
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    variant = PathwayTemplate.objects.get(department__code="92", is_current=True)
    assert variant.steps.get(kind="information_offer").conditions == [
        {"has_children": True, "not_allocataire": False}
    ]
    assert (
        variant.steps.get(kind="mediation_offer").conditions
        == national.steps.get(kind="mediation_offer").conditions
    )


def test_an_other_step_is_named_by_its_new_code(pilot, client_for):
    national = _national()
    n = national.steps.count()
    new = {f"etapes-{n}-kind": "autre", f"etapes-{n}-new_kind": "aide_relogement",
           f"etapes-{n}-label": "Aide au relogement", f"etapes-{n}-responsible_role": "social_worker",
           f"etapes-{n}-deadline_value": "5", f"etapes-{n}-deadline_unit": "working_days",
           f"etapes-{n}-si_shared_home": "oui", f"etapes-{n}-ORDER": "20"}  # fmt: skip
    client = client_for(pilot)
    missing = client.post(
        reverse("backoffice:template-edit"), _as_selects(national, **{**new, f"etapes-{n}-new_kind": ""})
    )
    assert (
        missing.status_code == 200 and "Indiquez le code de l&#x27;autre étape." in missing.content.decode()
    )
    response = client.post(reverse("backoffice:template-edit"), _as_selects(national, **new))
    assert response.status_code == 302
    variant = PathwayTemplate.objects.get(department__code="92", is_current=True)
    assert variant.steps.get(kind="aide_relogement").conditions == [{"shared_home": True}]
    # Next time, the department's own step is offered by its label.
    html = client.get(reverse("backoffice:template-edit")).content.decode()
    assert '<option value="aide_relogement" selected>Aide au relogement</option>' in html


def test_mediation_with_children_only_is_refused_in_french_from_the_selects(pilot, client_for):
    national = _national()
    mediation = _index(national, "mediation_offer")
    response = client_for(pilot).post(
        reverse("backoffice:template-edit"),
        _as_selects(national, **{f"etapes-{mediation}-si_violence_reported": ""}),
    )
    assert response.status_code == 200
    assert "n&#x27;est jamais proposée quand des violences sont signalées" in response.content.decode()
    assert not PathwayTemplate.objects.filter(department__code="92").exists()


def test_selects_and_combined_text_together_are_refused(pilot, client_for):
    national = _national()
    info = _index(national, "information_offer")
    response = client_for(pilot).post(
        reverse("backoffice:template-edit"),
        _as_selects(
            national, **{f"etapes-{info}-si_has_children": "oui", f"etapes-{info}-conditions": "violences"}
        ),
    )
    assert response.status_code == 200
    assert "pas les deux" in response.content.decode()
