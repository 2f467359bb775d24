"""The facts read under the session's lock start from the registrant (the contact's value, the name
with birth date) and reach the families with violence on record through indexes: on a national
database, an OR of subqueries or a set of every sensitive family made one registration take 60 ms to
a second inside the lock (docs/decisions/perf-031). With sequential scans disabled, the plan must not
need one on the households, persons, contacts or pathways."""

from datetime import date

import pytest
from django.db import connection, transaction
from django.utils import timezone

from parcours.households.models import ContactChannel
from parcours.workshops.selectors import identity_key
from parcours.workshops.services import registrations
from tests.workshops import factories as wf

BIG_TABLES = ("households_household", "households_person", "households_contactchannel", "pathways_pathway")


def unanchored(plan: str) -> list[str]:
    """The plan's scans of a big table that no index condition bounds: a sequential scan, or a full
    index scan that reads every row. Only for a small statement: on a test base of a few rows, the
    planner may read a whole tiny table rather than probe it; the facts are checked for sequential
    scans only (an OR of subqueries or a missing index forces one even when they are disabled)."""
    lines = plan.splitlines()
    bad = []
    for i, line in enumerate(lines):
        if not any(f" on {t}" in line and "Scan" in line for t in BIG_TABLES):
            continue
        depth = len(line) - len(line.lstrip())
        details = []
        for following in lines[i + 1 :]:
            if "->" in following or len(following) - len(following.lstrip()) <= depth:
                break
            details.append(following)
        conditions = [d for d in details if "Index Cond:" in d or "Recheck Cond:" in d]
        if not conditions:
            bad.append(line.strip())
    return bad


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("with_name", [False, True], ids=["contact", "contact-and-name"])
def test_the_facts_reach_the_family_by_indexes_only(with_name):
    _, mother, father = wf.household_with_parents("92", restricted=True)
    contact = ContactChannel.objects.get(person=mother)
    father.birth_date = date(1985, 4, 12)
    father.save()
    workshop = wf.workshop(days=10)
    who = {"contact_kind": contact.kind, "contact_value": contact.value}
    if with_name:
        who.update(
            search_name=identity_key(father.last_name, father.first_name), birth_date=father.birth_date
        )
    sql, params = registrations._facts_statement(workshop.pk, now=timezone.now(), **who)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    scanned = [table for table in BIG_TABLES if f"Seq Scan on {table}" in plan]
    assert scanned == [], plan


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_family_of_a_held_registration_is_found_by_indexes_only():
    from django.test.utils import CaptureQueriesContext

    from parcours.workshops.selectors import sensitive_household_of

    household, mother, father = wf.household_with_parents("92", restricted=True)
    contact = ContactChannel.objects.get(person=mother)
    father.birth_date = date(1985, 4, 12)
    father.save()
    with CaptureQueriesContext(connection) as captured:
        found = sensitive_household_of(
            contact_kind=contact.kind,
            contact_value="inconnu@exemple.fr",
            search_name=identity_key(father.last_name, father.first_name),
            birth_date=father.birth_date,
        )
    assert found == household
    [query] = captured.captured_queries
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + query["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert unanchored(plan) == [], plan
