"""The menu's badges: counted once per period, then read from the shared cache in one round trip."""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from parcours.backoffice import navigation
from tests import factories


@pytest.fixture
def two_badges(monkeypatch, db):
    reverse("backoffice:home")  # the URL modules register their own items when first loaded
    calls = []

    def counter(name, value):
        def count(user):
            calls.append(name)
            return value

        return count

    items = [
        navigation.NavItem("Accueil", "backoffice:home", "households.view", count=counter("a", 3)),
        navigation.NavItem(
            "Foyers", "backoffice:household-search", "households.view", count=counter("b", None)
        ),
    ]
    monkeypatch.setattr(navigation, "NAV", items)
    return calls


def _items(user):
    user.is_verified = lambda: True  # signed in with both factors, as django-otp marks it
    request = RequestFactory().get("/gestion/")
    request.user = user
    return navigation.items_for(request)


def test_badges_are_counted_once_then_read_together_from_the_cache(two_badges):
    user = factories.make_user("social_worker", "92")
    first = _items(user)
    assert [item["count"] for item in first] == [3, None] and two_badges == ["a", "b"]
    with CaptureQueriesContext(connection) as queries:
        again = _items(type(user).objects.select_related("organisation__department").get(pk=user.pk))
    reads = [q["sql"] for q in queries.captured_queries if "parcours_cache" in q["sql"]]
    assert [item["count"] for item in again] == [3, None]  # None too is kept: no badge, no recount
    assert two_badges == ["a", "b"]
    assert len(reads) == 1
