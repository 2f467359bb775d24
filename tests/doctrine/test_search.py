"""French search: accents, plurals and stems, on SQLite and PostgreSQL; facets; the degradation
without a stemmer; highlighted extracts escaped."""

import pytest

from parcours.doctrine import search, selectors
from parcours.doctrine.models import Practice, Theme
from tests import factories
from tests.doctrine import factories as df

pytestmark = pytest.mark.django_db
S = Practice.State


@pytest.fixture
def corpus():
    theme = Theme.objects.get(code="aller-vers")
    return {
        "violences": df.practice(
            "92",
            state=S.PUBLISHED,
            title="Contact sous 72 h",
            summary="Victimes de violences conjugales contactées vite.",
            themes=[theme],
        ),
        "mediation": df.practice(
            "27",
            state=S.PUBLISHED,
            title="Orientation",
            summary="Refus de la médiation familiale en cas d'emprise.",
            role="Information.",
            funding=("state_grant", 5000, 2024),
        ),
        "reunion": df.practice(
            "974",
            state=S.PUBLISHED,
            title="Permanence à Saint-Denis",
            summary="Une permanence hebdomadaire.",
            role="Accueil.",
            year=2023,
        ),
        "hidden": df.practice(
            "86",
            state=S.SUBMITTED,
            title="Violence économique",
            summary="Sécurisation du dossier allocataire.",
        ),
    }


def _titles(user, **params):
    result = selectors.search_practices(user, selectors.SearchQuery(**params))
    return {hit.practice.title for hit in result.hits}, result


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("violence", "Contact sous 72 h"),
        ("VIOLENCES", "Contact sous 72 h"),
        ("reunion", "Permanence à Saint-Denis"),  # the Caf's name: « La Réunion »
        ("mediation familiale", "Orientation"),
        ("médiation familiales", "Orientation"),
    ],
)
def test_accents_case_and_plurals_do_not_matter(corpus, q, expected):
    reader = factories.make_user("social_worker", "47")
    titles, _ = _titles(reader, q=q)
    assert expected in titles
    assert "Violence économique" not in titles  # submitted in another Caf: not readable from 47


def test_all_words_must_match_and_nonsense_finds_nothing(corpus):
    reader = factories.make_user("social_worker", "47")
    assert _titles(reader, q="mediation permanence")[0] == set()
    assert _titles(reader, q="zzzqqq")[0] == set()


def test_facets_filter_and_count(corpus):
    reader = factories.make_user("social_worker", "47")
    titles, result = _titles(reader, q="", caf="974")
    assert titles == {"Permanence à Saint-Denis"}
    _, everything = _titles(reader)
    cafs = {value: n for value, _, n in everything.facets["caf"]}
    assert cafs == {"27": 1, "92": 1, "974": 1}
    assert _titles(reader, financement="state_grant")[0] == {"Orientation"}
    assert _titles(reader, annee="2023")[0] == {"Permanence à Saint-Denis"}
    assert _titles(reader, theme="aller-vers")[0] == {"Contact sous 72 h"}
    assert _titles(reader, dimension="funding", q="permanence")[0] == {"Permanence à Saint-Denis"}


def test_own_caf_sees_its_submitted_sheet_in_the_search(corpus):
    titles, _ = _titles(factories.make_user("local_pilot", "86"), q="violences")
    assert "Violence économique" in titles


def test_extracts_are_highlighted_and_escaped(corpus):
    practice = corpus["violences"]
    Practice.objects.filter(pk=practice.pk).update(summary="<script>x</script> violences conjugales")
    text = search.extract("<script>x</script> violences conjugales", "violence")
    assert "<mark>violences</mark>" in text and "<script>" not in text and "&lt;script&gt;" in text


def test_without_a_stemmer_the_search_degrades_to_prefixes(corpus, monkeypatch):
    monkeypatch.setattr(search, "STEMMER_OVERRIDE", False)
    if not search.is_postgres():
        search.rebuild_index()
    reader = factories.make_user("social_worker", "47")
    assert "Contact sous 72 h" in _titles(reader, q="violence")[0]  # prefix of « violences »
    assert "Orientation" in _titles(reader, q="mediation familiale")[0]
    assert "Permanence à Saint-Denis" in _titles(reader, q="reunion")[0]
    assert "<mark>violences</mark>" in search.extract("des violences", "violence")


@pytest.mark.postgres
def test_postgres_uses_the_french_unaccent_configuration_and_its_gin_index(corpus):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_tsvector('parcours_french', 'Médiations familiales à La Réunion')::text")
        vector = cursor.fetchone()[0]
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'doctrine_practice_vector_gin'")
        index = cursor.fetchone()[0]
        cursor.execute(
            "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a "
            "ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
            "WHERE a.attrelid = 'doctrine_practice'::regclass AND a.attname = 'search_vector'"
        )
        generated = cursor.fetchone()[0]
    assert "'mediat'" in vector and "'reunion'" in vector
    assert "gin" in index and "search_vector" in index
    assert "parcours_french" in generated and "search_document" in generated
