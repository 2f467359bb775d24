"""The doctrine's staff pages: search with bookmarkable facets, sheets (creation, autosave), workflow
buttons, versions side by side, synthesis (SVG without decimal commas), document composition."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from parcours.core.models import AuditEntry
from parcours.doctrine import services
from parcours.doctrine.models import Chapter, Practice
from tests import factories
from tests.doctrine import factories as df
from tests.protection import factories as pf

pytestmark = pytest.mark.django_db
S = Practice.State


def test_search_page_with_query_and_facets_in_the_query_string(client_for):
    df.practice(
        "974", state=S.PUBLISHED, title="Permanence à Saint-Denis", summary="Violences conjugales : accueil."
    )
    df.practice("92", state=S.PUBLISHED, title="Convention avec le CIDFF", summary="Violences et droits.")
    client = client_for(factories.make_user("benefits_officer", "47"))
    response = client.get(reverse("backoffice:doctrine-search"), {"q": "violence", "caf": "974"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Permanence à Saint-Denis" in html and "Convention avec le CIDFF" not in html
    assert "<mark>Violences</mark>" in html
    assert "1 fiche " in html
    # The facet links keep the query: a search can be bookmarked and shared.
    assert "q=violence" in html and "caf=974" in html


def test_a_social_worker_writes_a_sheet_saved_as_typed_then_submits_it(client_for):
    worker = factories.make_user("social_worker", "92")
    partner = pf.partner("92", name="CIDFF des Hauts-de-Seine")
    client = client_for(worker)
    base = {
        "title": "Convention avec le CIDFF",
        "summary": "Permanences juridiques à la Caf.",
        "role_description": "La Caf accueille les permanences.",
        "pathway_steps": ["social_worker_contact"],
        "staff_fte": "0,5",
        "budget": "12 000",
        "partenaires-TOTAL_FORMS": "1",
        "partenaires-INITIAL_FORMS": "0",
        "partenaires-0-partner": str(partner.pk),
        "partenaires-0-role": "Juriste",
        "financements-TOTAL_FORMS": "1",
        "financements-INITIAL_FORMS": "0",
        "financements-0-source": "local_funds",
        "financements-0-amount": "8 500",
        "financements-0-year": "2025",
        "indicateurs-TOTAL_FORMS": "1",
        "indicateurs-INITIAL_FORMS": "0",
        "indicateurs-0-label": "Permanences tenues",
        "indicateurs-0-value": "42",
    }
    response = client.post(reverse("backoffice:doctrine-create"), base)
    practice = Practice.objects.get()
    assert response.status_code == 302
    assert practice.staff_fte == Decimal("0.5") and practice.has_partners and practice.has_funding
    edit_page = client.get(reverse("backoffice:doctrine-edit", args=[practice.pk])).content.decode()
    assert 'name="revision" id="practice-revision" value="0"' in edit_page
    response = client.post(
        reverse("backoffice:doctrine-autosave", args=[practice.pk]),
        {**base, "title": "Convention CIDFF 2026", "revision": "0"},
    )
    assert "Brouillon enregistré" in response.content.decode()
    # The page's next autosave is built on the revision this one wrote.
    assert 'id="practice-revision" value="1" hx-swap-oob="true"' in response.content.decode()
    practice.refresh_from_db()
    assert practice.title == "Convention CIDFF 2026"
    assert AuditEntry.objects.filter(action="doctrine.practice.autosaved").count() == 1
    response = client.post(
        reverse("backoffice:doctrine-autosave", args=[practice.pk]), {**base, "title": "", "revision": "1"}
    )
    assert "Non enregistré" in response.content.decode()
    client.post(reverse("backoffice:doctrine-submit", args=[practice.pk]), {"comment": "Prête"})
    practice.refresh_from_db()
    assert practice.state == S.SUBMITTED


def test_an_autosave_that_arrives_after_the_explicit_save_changes_nothing(client_for):
    """The page's autosave left before "Enregistrer" (the funding row not yet typed) but reaches
    the server after it: it must not replace the saved funding with its older, empty rows."""
    worker = factories.make_user("social_worker", "92")
    practice = df.practice("92", state=S.DRAFT, by=worker, funding=None)
    client = client_for(worker)
    page = client.get(reverse("backoffice:doctrine-edit", args=[practice.pk])).content.decode()
    revision = re.search(r'id="practice-revision" value="(\d+)"', page).group(1)
    sheet = {
        "title": practice.title,
        "summary": practice.summary,
        "role_description": practice.role_description,
        "pathway_steps": ["social_worker_contact"],
        "revision": revision,
        "partenaires-TOTAL_FORMS": "0",
        "partenaires-INITIAL_FORMS": "0",
        "financements-TOTAL_FORMS": "1",
        "financements-INITIAL_FORMS": "0",
        "indicateurs-TOTAL_FORMS": "0",
        "indicateurs-INITIAL_FORMS": "0",
    }
    saved = client.post(
        reverse("backoffice:doctrine-edit", args=[practice.pk]),
        {
            **sheet,
            "financements-0-source": "local_funds",
            "financements-0-amount": "4 000",
            "financements-0-year": "2025",
        },
    )
    assert saved.status_code == 302
    late = client.post(reverse("backoffice:doctrine-autosave", args=[practice.pk]), sheet)
    html = late.content.decode()
    assert "Non enregistré" in html and "rechargez la page" in html and "hx-swap-oob" not in html
    practice.refresh_from_db()
    assert practice.fundings.count() == 1 and practice.revision == int(revision) + 1
    assert not AuditEntry.objects.filter(action="doctrine.practice.autosaved").exists()


def test_detail_offers_only_the_actor_s_transitions(client_for):
    practice = df.practice("92", state=S.SUBMITTED)
    pilot_page = client_for(factories.make_user("local_pilot", "92")).get(
        reverse("backoffice:doctrine-detail", args=[practice.pk])
    )
    assert (
        "Demander des modifications" in pilot_page.content.decode()
        and "Valider pour la Caf" in pilot_page.content.decode()
    )
    worker_page = client_for(factories.make_user("social_worker", "92")).get(
        reverse("backoffice:doctrine-detail", args=[practice.pk])
    )
    assert "Valider pour la Caf" not in worker_page.content.decode()


def test_versions_are_compared_side_by_side(client_for):
    national = factories.make_user("national_pilot", None)
    pilot = factories.make_user("local_pilot", "92")
    practice = df.practice("92", state=S.VALIDATED)
    practice = services.transition(actor=national, practice=practice, action="publish")
    practice = services.transition(
        actor=pilot, practice=practice, action="request_changes", comment="Chiffres 2026"
    )
    worker = factories.make_user("social_worker", "92")
    practice = services.update_practice(
        actor=worker, practice=practice, data={"summary": "Nouveau résumé 2026."}
    )
    practice = services.transition(actor=worker, practice=practice, action="submit")
    practice = services.transition(actor=pilot, practice=practice, action="validate")
    services.transition(actor=national, practice=practice, action="publish")
    reader = client_for(factories.make_user("social_worker", "974"))
    html = reader.get(
        reverse("backoffice:doctrine-compare", args=[practice.pk]), {"a": 1, "b": 2}
    ).content.decode()
    assert "Version 1" in html and "Version 2" in html
    assert "Nouveau résumé 2026." in html and "table-warning" in html


def test_synthesis_draws_svg_with_dot_decimals_and_the_same_table(client_for):
    df.practice("92", state=S.PUBLISHED, funding=("service_benefit", Decimal("12500.50"), 2025))
    df.practice("974", state=S.PUBLISHED, funding=("state_grant", Decimal("3333.33"), 2024))
    html = (
        client_for(factories.make_user("national_pilot", None))
        .get(reverse("backoffice:doctrine-synthesis"))
        .content.decode()
    )
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) == 2  # funding chart and map
    for svg in svgs:
        for value in re.findall(r'(?:x|y|width|height|r|cx|cy|x1|x2|y1|y2)="([^"]*)"', svg):
            assert "," not in value, value
    assert "Prestation de service" in html and "Subvention État" in html
    assert "La Réunion" in html


def test_the_national_pilot_composes_the_document(client_for):
    published = df.practice("92", state=S.PUBLISHED, title="Sécurisation du dossier allocataire")
    draft = df.practice("92", state=S.SUBMITTED)
    client = client_for(factories.make_user("national_pilot", None))
    response = client.post(
        reverse("backoffice:doctrine-document-edit"),
        {
            "chapters": "0",
            "titre-0": "Mise en sécurité",
            "intro-0": "Ce que font les Caf.",
            "pratiques-0": f"{published.pk}",
        },
    )
    assert response.status_code == 302
    assert Chapter.objects.get().entries.get().practice == published
    refused = client.post(
        reverse("backoffice:doctrine-document-edit"),
        {"chapters": "0", "titre-0": "Mise en sécurité", "pratiques-0": f"{draft.pk}"},
        follow=True,
    )
    assert "Seules des pratiques publiées" in refused.content.decode()
    html = (
        client_for(factories.make_user("service_advisor", "27"))
        .get(reverse("backoffice:doctrine-document"))
        .content.decode()
    )
    assert "Sécurisation du dossier allocataire" in html
