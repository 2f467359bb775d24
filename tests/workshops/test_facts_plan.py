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
