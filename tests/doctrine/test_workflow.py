"""The workflow of a practice sheet: who may do which transition, comments, audit, versions, scope."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from parcours.core.models import AuditEntry
from parcours.doctrine import selectors, services
from parcours.doctrine.models import Practice, Theme
from tests import factories
from tests.doctrine import factories as df

pytestmark = pytest.mark.django_db
S = Practice.State


def _draft(user, **data):
    data = {
        "title": "Séance Parents après la séparation en webinaire",
        "summary": "Une séance en ligne.",
        "role_description": "La Caf organise la séance.",
        **data,
    }
    return services.create_practice(actor=user, data=data)


def test_the_whole_workflow_by_role_with_comments_audit_and_versions():
    worker = factories.make_user("social_worker", "92")
    pilot = factories.make_user("local_pilot", "92")
    national = factories.make_user("national_pilot", None)
    practice = _draft(worker)
    assert practice.state == S.DRAFT and practice.department.code == "92"
    practice = services.transition(actor=worker, practice=practice, action="submit")
    with pytest.raises(ValidationError, match="commentaire est obligatoire"):
        services.transition(actor=pilot, practice=practice, action="request_changes")
    practice = services.transition(
        actor=pilot, practice=practice, action="request_changes", comment="Précisez le budget."
    )
    practice = services.update_practice(actor=worker, practice=practice, data={"budget": 5000})
    practice = services.transition(actor=worker, practice=practice, action="submit", comment="Budget ajouté")
    practice = services.transition(actor=pilot, practice=practice, action="validate")
    practice = services.transition(
        actor=national, practice=practice, action="publish", comment="Bienvenue dans la doctrine"
    )
    practice.refresh_from_db()
    assert practice.state == S.PUBLISHED
    assert [t.to_state for t in practice.transitions.all()] == [
        S.SUBMITTED,
        S.CHANGES_REQUESTED,
        S.SUBMITTED,
        S.VALIDATED,
        S.PUBLISHED,
    ]
    assert practice.transitions.get(to_state=S.CHANGES_REQUESTED).comment == "Précisez le budget."
    actions = list(
        AuditEntry.objects.filter(object_type="doctrine.practice").values_list("action", flat=True)
    )
    for verb in ("created", "submitted", "changes_requested", "validated", "published"):
        assert f"doctrine.practice.{verb}" in actions
    assert (
        AuditEntry.objects.get(action="doctrine.practice.changes_requested").reason == "Précisez le budget."
    )
    # A second publication keeps the first version, and both can be compared.
    practice = services.transition(
        actor=pilot, practice=practice, action="request_changes", comment="Mettre à jour 2026"
    )
    practice = services.update_practice(
        actor=worker, practice=practice, data={"title": "Séance en webinaire (2026)"}
    )
    practice = services.transition(actor=worker, practice=practice, action="submit")
    practice = services.transition(actor=pilot, practice=practice, action="validate")
    practice = services.transition(actor=national, practice=practice, action="publish")
    versions = list(practice.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].data["Titre"] == "Séance Parents après la séparation en webinaire"
    assert versions[1].data["Titre"] == "Séance en webinaire (2026)"
    practice = services.transition(actor=national, practice=practice, action="archive")
    practice.refresh_from_db()
    assert practice.state == S.ARCHIVED


@pytest.mark.parametrize(
    ("role", "action", "state"),
    [
        ("social_worker", "validate", S.SUBMITTED),
        ("social_worker", "publish", S.VALIDATED),
        ("local_pilot", "publish", S.VALIDATED),
        ("national_pilot", "validate", S.SUBMITTED),
        ("national_pilot", "submit", S.DRAFT),
        ("partner", "submit", S.DRAFT),
        ("benefits_officer", "archive", S.PUBLISHED),
    ],
)
def test_a_role_without_the_transition_is_refused(role, action, state):
    user = factories.make_user(role, None if role == "national_pilot" else "92")
    practice = df.practice("92", state=state, by=user)
    with pytest.raises(PermissionDenied):
        services.transition(actor=user, practice=practice, action=action, comment="x")


def test_a_local_pilot_reviews_only_the_sheets_of_their_caf():
    pilot = factories.make_user("local_pilot", "92")
    elsewhere = df.practice("974", state=S.SUBMITTED)
    with pytest.raises(Http404):
        services.transition(actor=pilot, practice=elsewhere, action="validate")


def test_a_transition_from_a_wrong_state_is_refused():
    national = factories.make_user("national_pilot", None)
    practice = df.practice("92", state=S.SUBMITTED)
    with pytest.raises(ValidationError, match="n'est pas possible"):
        services.transition(actor=national, practice=practice, action="publish")


def test_published_sheets_are_read_across_departments_but_not_the_others():
    reader = factories.make_user("service_advisor", "974")
    published = df.practice("92", state=S.PUBLISHED)
    submitted = df.practice("92", state=S.SUBMITTED)
    draft = df.practice("974", state=S.DRAFT, by=factories.make_user("social_worker", "974"))
    assert selectors.practice_for(reader, published.pk) == published
    for hidden in (submitted, draft):
        with pytest.raises(Http404):
            selectors.practice_for(reader, hidden.pk)
    visible = set(selectors.practices_for(reader).values_list("pk", flat=True))
    assert published.pk in visible and submitted.pk not in visible and draft.pk not in visible


def test_a_draft_is_its_author_s_and_only_editable_states_change():
    author = factories.make_user("social_worker", "92")
    colleague = factories.make_user("social_worker", "92")
    practice = _draft(author)
    with pytest.raises(Http404):
        services.update_practice(actor=colleague, practice=practice, data={"title": "Autre"})
    services.transition(actor=author, practice=practice, action="submit")
    with pytest.raises(ValidationError, match="ne se modifie plus"):
        services.update_practice(actor=author, practice=practice, data={"title": "Autre"})


def test_partners_come_from_the_caf_directory_and_national_pilot_tags_themes():
    from tests.protection import factories as pf

    author = factories.make_user("social_worker", "92")
    foreign = pf.partner("974", name="CIDFF de La Réunion")
    with pytest.raises(ValidationError, match="annuaire"):
        services.create_practice(
            actor=author, data={"title": "Convention avec le CIDFF"}, partners=[(foreign, "juriste")]
        )
    national = factories.make_user("national_pilot", None)
    practice = df.practice("92", state=S.PUBLISHED)
    theme = Theme.objects.get(code="partenariats")
    services.set_themes(actor=national, practice=practice, themes=[theme])
    assert list(practice.themes.all()) == [theme]
    assert practice.versions.first().data["Thèmes"] == theme.label


def test_an_autosave_built_on_an_older_revision_is_refused_and_changes_nothing():
    worker = factories.make_user("social_worker", "92")
    practice = _draft(worker)
    assert practice.revision == 0
    practice = services.update_practice(
        actor=worker, practice=practice, data={"team": "Accueil"}, autosave=True, base_revision=0
    )
    assert practice.revision == 1
    fundings = [{"source": "local_funds", "amount": 4000, "year": 2025, "instrument": ""}]
    practice = services.update_practice(actor=worker, practice=practice, data={}, fundings=fundings)
    assert practice.revision == 2
    for stale in (1, None):
        with pytest.raises(ValidationError, match="rechargez la page"):
            services.update_practice(
                actor=worker,
                practice=practice,
                data={"team": "Ancien brouillon"},
                fundings=[],
                autosave=True,
                base_revision=stale,
            )
    practice.refresh_from_db()
    assert practice.team == "Accueil" and practice.fundings.count() == 1 and practice.revision == 2
