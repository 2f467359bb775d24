"""The import's writer: built inline or in the background, chunk after chunk, a batch writes the same
data; a failed write in the writer's thread is raised in the caller, as Django's error."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from parcours.core import audit, bulk
from parcours.core.models import AuditEntry
from parcours.households.models import Address, ContactChannel, Household, HouseholdAssignment, Person
from parcours.households.services import restrict_household
from parcours.pathways.models import Pathway, PathwayStep, SeparationEvent
from parcours.pathways.services import record_separation, record_separations
from tests import factories
from tests.pathways.factories import event_input

pytestmark = pytest.mark.django_db


def _batch():
    """Known and new households, a restricted file, a duplicate line, a household declared three
    times across chunks, the other parent, contacts, addresses, violence, no children."""
    factories.make_user("social_worker", "92")
    factories.make_user("benefits_officer", "92")
    factories.make_user("service_advisor", "92")
    sw974 = factories.make_user("social_worker", "974")
    known = factories.HouseholdFactory(department_code="92", file_number="5100000")
    helene = factories.PersonFactory(
        household=known, first_name="Hélène", last_name="Lefèvre", is_declarant=True
    )
    factories.AddressFactory(person=helene, line="8 rue Secrète")
    factories.ContactFactory(person=helene, value="helene@exemple.fr")
    record_separations(actor=None, source=SeparationEvent.Source.FILE, events=[
        event_input(external_id="OLD-1", file_number="5100000", declared_on=date(2026, 1, 5),
                    declarant_last_name="Lefèvre", declarant_first_name="Hélène"),
    ])  # fmt: skip
    restricted = factories.HouseholdFactory(department_code="974", file_number="5200000")
    restrict_household(actor=sw974, household=restricted, reason="Violences")
    HouseholdAssignment.objects.get_or_create(household=restricted, user=sw974)

    events = []
    for n in range(23):
        events.append(event_input(
            line=n + 2, external_id=f"W-{n:03d}", department="974" if n % 4 == 0 else "92",
            file_number=f"{5300000 + n}", declared_on=date(2026, 2, 1 + n), children_count=n % 3,
            violence_reported=n % 5 == 0, shared_home=n % 2 == 0, email=f"p{n}@exemple.fr",
            phone="0612345678" if n % 3 else "", phone_is_mobile=True,
            address_line=f"{n} rue des Lilas" if n % 2 else "", postal_code="92000", city="Nanterre",
            other_parent_last_name="Durand" if n % 3 == 1 else "", other_parent_first_name="Julien",
        ))  # fmt: skip
    events.insert(3, event_input(line=40, external_id="NEW-1", file_number="5100000", declared_on=date(2026, 3, 2),
                                 declarant_last_name="Lefèvre", declarant_first_name="Hélène",
                                 email="helene@exemple.fr", phone="0611223344", phone_is_mobile=True,
                                 address_line="4 rue Neuve", postal_code="92000", city="Nanterre"))  # fmt: skip
    events.insert(8, event_input(line=41, external_id="W-002", department="92", file_number="5999999"))
    events.insert(12, event_input(line=42, external_id="R-1", department="974", file_number="5200000",
                                  violence_reported=True))  # fmt: skip
    for line, day in ((43, 9), (44, 20), (45, 11)):  # one household three times: the 20th wins
        events.insert(line - 30, event_input(line=line, external_id=f"T-{line}", file_number="5400000",
                                             declared_on=date(2026, 2, day), other_parent_last_name="Durand",
                                             other_parent_first_name="Julien"))  # fmt: skip
    return events


def _snapshot():
    """The data, with what differs between two runs (ids, instants) replaced by stable keys."""
    pathways = sorted(
        (p.event.external_id, p.household.file_number, p.status, p.closed_reason, str(p.declarant),
         sorted((s.kind, s.status, s.assignee_id, s.due_at, s.protected_deadline, s.withdrawn_reason)
                for s in p.steps.all()))
        for p in Pathway.objects.select_related("event", "household", "declarant")
    )  # fmt: skip
    people = sorted(Person.objects.values_list("household__file_number", "search_name", "is_declarant"))
    contacts = sorted(ContactChannel.objects.values_list("person__search_name", "kind", "value", "is_safe"))
    addresses = sorted(Address.objects.values_list("person__search_name", "line"))
    files = dict(Household.objects.values_list("pk", "file_number"))
    opened = sorted(  # "Parcours n° <id> du dossier 92-…", in the household's scope
        (e.department, e.object_ref.split(" du dossier ")[1], files[int(e.scope.removeprefix("household:"))])
        for e in AuditEntry.objects.filter(action="pathways.pathway.opened")
    )
    return pathways, people, contacts, addresses, opened


def assert_copies_agree():
    """Columns that repeat another table's value agree with it (the database checks it too: the
    composite foreign keys, or SQLite's triggers, of pathways/migrations/0001_initial.py)."""
    assert not SeparationEvent.objects.exclude(department=F("household__department")).exists()
    assert not Pathway.objects.exclude(household=F("event__household")).exists()
    assert not Pathway.objects.exclude(department=F("household__department")).exists()
    assert not PathwayStep.objects.exclude(household=F("pathway__household")).exists()
    assert not PathwayStep.objects.exclude(department=F("pathway__department")).exists()


def _run(settings, events, *, background: bool, chunk_size: int):
    settings.PATHWAYS_IMPORT_BACKGROUND_MIN = 1 if background else 10**9
    with transaction.atomic():
        report = record_separations(actor=None, events=list(events), source=SeparationEvent.Source.FILE,
                                    chunk_size=chunk_size)  # fmt: skip
        assert audit.verify().ok
        assert_copies_agree()
        outcome = ([(r.line, r.external_id, r.created, r.duplicate_of_line) for r in report.results],
                   report.created, report.existing, report.households_created, _snapshot())  # fmt: skip
        transaction.set_rollback(True)
    return outcome


def test_inline_and_background_chunked_writes_give_the_same_data(settings):
    events = _batch()
    inline = _run(settings, events, background=False, chunk_size=5000)
    for chunk_size in (1, 4, 7):
        assert _run(settings, events, background=True, chunk_size=chunk_size) == inline
    results, created, existing, households_created, (pathways, people, *_rest) = inline
    # 23 new households (their declarant, and 8 other parents), one declared three times (2 people),
    # the restricted file (a new declarant), and Hélène, already on file.
    assert len(people) == 23 + 8 + 2 + 1 + 1
    assert "None" not in {p[4] for p in pathways}, "a pathway without its declarant"
    assert (created, existing, households_created) == (len(events) - 1, 1, 23 + 1)
    assert [line for line, *_ in results] == sorted(line for line, *_ in results)
    by_id = {p[0]: p for p in pathways}
    assert by_id["OLD-1"][2:4] == (
        Pathway.Status.CLOSED,
        "Une nouvelle déclaration de séparation a ouvert un autre parcours",
    )
    assert by_id["NEW-1"][2] == Pathway.Status.OPEN
    assert [by_id[f"T-{line}"][2] for line in (43, 44, 45)] == ["closed", "open", "closed"]
    assert not by_id["T-43"][5] and by_id["T-44"][5]
    contacts = [c[1:3] for c in _rest[0] if c[0] == "lefevre helene"]
    assert sorted(contacts) == [("email", "helene@exemple.fr"), ("sms", "0611223344")]
    sw974 = HouseholdAssignment.objects.get(household__file_number="5200000").user_id
    assert {s[2] for s in by_id["R-1"][5]} <= {sw974, None}


def test_a_write_failing_in_the_background_is_raised_in_the_caller_as_django_error():
    household = factories.HouseholdFactory(department_code="92", file_number="6100000")
    table = bulk.Table(Household, ["id", "department", "file_number", "is_allocataire"])
    with transaction.atomic():
        writer = bulk.Writer(background=True).start()
        table.add(household.pk + 1000, household.department_id, "6100001", True)
        writer.send(table)
        table.add(
            household.pk + 1001, household.department_id, "6100000", True
        )  # (department, file_number) taken
        writer.send(table)
        with pytest.raises(IntegrityError):
            writer.close()
        transaction.set_rollback(True)
    assert list(Household.objects.values_list("file_number", flat=True)) == ["6100000"]


def test_more_rows_than_one_statement_takes_are_all_written():
    department = factories.department("92")
    table = bulk.Table(Household, ["id", "department", "file_number", "is_allocataire"])
    ids = bulk.reserve_ids(Household, 1234)
    for pk in ids:
        table.add(pk, department.pk, f"{7000000 + pk}", pk % 2 == 0)
    with transaction.atomic():
        bulk.Writer().send(table)
    assert Household.objects.count() == 1234
    assert Household.objects.filter(is_allocataire=True).count() == sum(1 for pk in ids if pk % 2 == 0)
    assert Household.objects.get(pk=ids[-1]).file_number == f"{7000000 + ids[-1]}"
    assert len(table) == 0


def test_sqlite_statements_take_few_shapes_whatever_the_number_of_rows():
    from parcours.core.bulk import _statement_sizes

    for count in (0, 1, 511, 512, 513, 1234, 24_999):
        sizes = _statement_sizes(count, 512)
        assert sum(sizes) == count
        assert all(size == 512 or size & (size - 1) == 0 for size in sizes)  # powers of two under 512
        assert len([s for s in sizes if s != 512]) == len({s for s in sizes if s != 512})
    assert _statement_sizes(1234, 512) == [512, 512, 128, 64, 16, 2]
    assert _statement_sizes(100, 468) == [64, 32, 4]


def test_chunks_cover_every_event_once_and_taper_at_the_end_in_the_background():
    from parcours.pathways.services.opening import _chunks

    assert _chunks(12_000, 5000, tapered=False) == [(0, 5000), (5000, 10_000), (10_000, 12_000)]
    assert _chunks(0, 5000, tapered=True) == []
    for count in (1, 7, 4999, 5000, 12_000, 100_000):
        for tapered in (False, True):
            bounds = _chunks(count, 5000, tapered=tapered)
            covered = [i for start, end in bounds for i in range(start, end)]
            assert covered == list(range(count))
            assert all(0 < end - start <= 5000 for start, end in bounds)
    tail = _chunks(100_000, 5000, tapered=True)[-5:]
    assert [end - start for start, end in tail] == [2500, 1250, 625, 312, 313]


def test_a_separation_recorded_from_the_form_repeats_the_same_household_and_department():
    factories.make_user("social_worker", "974")
    advisor = factories.make_user("service_advisor", "974")
    household = factories.HouseholdFactory(department_code="974", file_number="5500000")
    event, created = record_separation(
        actor=advisor, event=event_input(department="974", file_number="5500000", children_count=2)
    )
    assert created and event.household == household and event.pathway.steps.exists()
    assert_copies_agree()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("background", [False, True])
def test_a_broken_link_is_refused_by_the_database_and_the_import_writes_nothing(settings, background):
    """A planner that forgot to write the households: its people would point nowhere. The
    database's constraint refuses them (as the table is written in the background, at commit
    otherwise), and nothing is written."""
    from parcours.core.bulk import Writer

    events = _batch()
    before = (Household.objects.count(), Person.objects.count(), SeparationEvent.objects.count())
    send = Writer.send

    def forgetful(self, table):
        if table.model is Household:
            table.take()
            return
        send(self, table)

    settings.PATHWAYS_IMPORT_BACKGROUND_MIN = 1 if background else 10_000
    Writer.send = forgetful
    try:
        with pytest.raises(IntegrityError, match="(?i)foreign key"):
            record_separations(actor=None, source=SeparationEvent.Source.FILE, events=events, chunk_size=7)
    finally:
        Writer.send = send
    assert (Household.objects.count(), Person.objects.count(), SeparationEvent.objects.count()) == before


@pytest.mark.django_db(transaction=True)
def test_every_link_of_the_rows_an_import_writes_has_its_database_constraint():
    from django.db import connection

    from parcours.pathways.services.opening import IMPORT_MODELS

    with connection.cursor() as cursor:
        for model in IMPORT_MODELS:
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
            constrained = {tuple(c["columns"]) for c in constraints.values() if c["foreign_key"]}
            for field in model._meta.concrete_fields:
                if field.is_relation:
                    assert (field.column,) in constrained, (model._meta.db_table, field.column)


def test_null_columns_are_left_to_the_database_and_a_repeated_json_is_serialised_once():
    table = bulk.Table(
        AuditEntry,
        ["id", "object_id", "object_ref", "department", "scope", "hash"],
        fixed={"actor": None, "action": "test.bulk", "object_type": "t", "data": {"é": [1, 2]}},
    )
    assert "actor_id" not in table.columns and "action" in table.columns
    first = (AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1000
    for n in range(3):
        table.add(first + n, str(n), f"réf {n}", "92", "", "h")
    assert all(len(row) == len(table.columns) for row in table.rows)
    with transaction.atomic():
        bulk.Writer().send(table)
        written = list(
            AuditEntry.objects.filter(action="test.bulk").order_by("id").values_list("actor_id", "data")
        )
        transaction.set_rollback(True)
    assert written == [(None, {"é": [1, 2]})] * 3
