"""The bilan's pages: who sees what, the dashboard's figures, definitions one click away, SVG charts."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape

from parcours.core import indicators
from parcours.evaluation import services
from parcours.evaluation.models import ContextFigure
from tests import factories


@pytest.fixture
def demo_year(db, settings):
    settings.DEBUG = True
    settings.DEMO_MODE = True
    call_command("seed_demo", "--scale", "0.2", stdout=StringIO())
    services.refresh()


def test_the_national_pilot_sees_every_indicator_with_intervals_and_hidden_cells(demo_year, client_for):
    pilot = factories.make_user("national_pilot", None)
    page = client_for(pilot).get(reverse("backoffice:evaluation-dashboard"))
    html = page.content.decode()
    assert page.status_code == 200
    for indicator in indicators.all_indicators():
        assert escape(indicator.label) in html
        assert (
            f'href="{reverse("backoffice:evaluation-definitions")}#{indicator.code.replace(".", "")}"' in html
        )
    assert "France entière" in html and "&lt; 11" in html and " à " in html
    assert html.count("<svg") >= len(indicators.all_indicators())
    # every chart is followed by its data table, and no SVG coordinate carries a French decimal comma
    for svg in re.findall(r"<svg.*?</svg>", html, flags=re.S):
        assert not re.search(r'(?:x|y|x1|x2|y1|y2|width|height)="\d+,\d', svg)
    assert re.search(r"</svg>.*?</figure>\s*<div class=\"table-responsive\"[^>]*>\s*<table", html, flags=re.S)


def test_a_local_pilot_sees_their_department_compared_with_the_others_and_cannot_choose_national(
    demo_year, client_for
):
    pilot = factories.make_user("local_pilot", "92")
    html = (
        client_for(pilot)
        .get(reverse("backoffice:evaluation-dashboard") + "?perimetre=national")
        .content.decode()
    )
    assert "Hauts-de-Seine (92), année" in html
    assert 'value="national"' not in html
    assert "Ensemble des départements" in html and "La Réunion" in html


@pytest.mark.parametrize("role", ["social_worker", "service_advisor", "benefits_officer", "partner"])
def test_casework_roles_and_partners_see_nothing_of_the_bilan(db, client_for, role):
    user = factories.make_user(role, "92")
    client = client_for(user)
    for name in (
        "evaluation-dashboard",
        "evaluation-definitions",
        "evaluation-context",
        "export-evaluation-bilan",
    ):
        assert client.get(reverse(f"backoffice:{name}")).status_code == 403
    assert "Bilan de l'expérimentation" not in client.get(reverse("backoffice:home")).content.decode()


def test_the_definitions_page_documents_each_indicator(db, client_for):
    html = (
        client_for(factories.make_user("local_pilot", "92"))
        .get(reverse("backoffice:evaluation-definitions"))
        .content.decode()
    )
    for indicator in indicators.all_indicators():
        assert f'id="{indicator.code.replace(".", "")}"' in html
        assert escape(indicator.definition) in html


def test_the_national_pilot_updates_a_context_figure_with_its_source(db, client_for):
    pilot = factories.make_user("national_pilot", None)
    figure = ContextFigure.objects.get(label__startswith="Personnes tuées")
    response = client_for(pilot).post(
        reverse("backoffice:evaluation-context-edit"),
        {
            "figure": figure.pk,
            "label": figure.label,
            "value": "174",
            "unit": "personnes",
            "period": "2019",
            "source": "Délégation aux victimes, ministère de l'Intérieur (révisé)",
            "source_url": "",
            "published_on": "2020-08-17",
            "note": "",
            "order": figure.order,
        },
    )
    assert response.status_code == 302
    figure.refresh_from_db()
    assert figure.value == 174 and figure.updated_by == pilot and "révisé" in figure.source
    local = factories.make_user("local_pilot", "92")
    assert client_for(local).post(reverse("backoffice:evaluation-context-edit"), {}).status_code == 403
    html = client_for(local).get(reverse("backoffice:evaluation-context")).content.decode()
    assert "174" in html and "Modifier" not in html


def test_the_official_figures_are_dated_and_sourced(db):
    figures = {f.label: f for f in ContextFigure.objects.all()}
    killed = next(f for label, f in figures.items() if label.startswith("Personnes tuées"))
    assert killed.value == 173 and "146 femmes et 27 hommes" in killed.note and killed.period == "2019"
    assert any(f.value == 142310 and "SSMSI" in f.source for f in figures.values())
    assert any(f.value == 295000 and "Cadre de vie et sécurité" in f.source for f in figures.values())
