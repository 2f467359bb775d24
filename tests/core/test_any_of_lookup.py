"""`field__any_of=[ids]` (core/lookups.py): the same rows as `__in`, bound as one parameter."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parcours.households.models import Household, Person
from tests import factories


@pytest.fixture
def households(db):
    department = factories.department("92")
    made = [Household.objects.create(department=department, file_number=f"{9100000 + n}") for n in range(4)]
    for household in made:
        Person.objects.create(
            household=household, role="parent", first_name="A", last_name="B", search_name="a b"
        )
    return made


def test_any_of_selects_exactly_the_listed_ids_on_a_key_and_a_foreign_key(households):
    chosen = [households[0].pk, households[2].pk]
    assert sorted(Household.objects.filter(pk__any_of=chosen).values_list("pk", flat=True)) == chosen
    by_in = Person.objects.filter(household_id__in=chosen).values_list("pk", flat=True)
    by_any = Person.objects.filter(household_id__any_of=chosen).values_list("pk", flat=True)
    assert sorted(by_any) == sorted(by_in)
    assert not Household.objects.filter(pk__any_of=[]).exists()


def test_any_of_binds_the_whole_list_as_one_parameter(households):
    ids = [h.pk for h in households] + list(range(10**9, 10**9 + 500))
    with CaptureQueriesContext(connection) as queries:
        assert Household.objects.filter(pk__any_of=ids).count() == len(households)
    (query,) = queries.captured_queries
    assert query["sql"].count(str(10**9 + 499)) == 1  # the list once, not 500 placeholders
    assert "IN (%s" not in query["sql"]


def test_any_of_refuses_what_is_not_an_integer(households):
    with pytest.raises((TypeError, ValueError)):
        list(Household.objects.filter(pk__any_of=["1; DROP TABLE households_household"]))
