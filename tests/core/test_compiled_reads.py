"""Hot reads built once per process (core.compiled): the same instances as the ORM's, and the ORM's
query building runs once, not on every read."""

from unittest import mock

import pytest
from django.db import transaction
from django.db.models.sql.compiler import SQLCompiler
from django.http import Http404

from parcours.core.compiled import CompiledRead
from parcours.workshops import selectors
from parcours.workshops.models import Workshop
from parcours.workshops.services.registrations import lock_workshop
from tests.workshops import factories as wf

pytestmark = pytest.mark.django_db


def _columns(obj) -> tuple:
    return tuple(getattr(obj, f.attname) for f in obj._meta.concrete_fields)


def _same(got, expected) -> None:
    assert _columns(got) == _columns(expected)
    assert _columns(got.department) == _columns(expected.department)
    assert (got.venue is None and expected.venue is None) or _columns(got.venue) == _columns(expected.venue)
    assert not got._state.adding and got._state.db == "default"


@pytest.mark.parametrize("format_", ["in_person", "webinar"])  # with a venue, and without (LEFT JOIN)
def test_the_public_session_is_the_orms_with_its_department_and_venue(format_):
    workshop = wf.workshop(format=format_, capacity=7, languages=["fr", "ar"])
    expected = Workshop.objects.select_related("department", "venue").get(pk=workshop.pk)
    _same(selectors.public_workshop(workshop.department.code, workshop.pk), expected)
    with transaction.atomic():
        _same(lock_workshop(workshop.pk), expected)


def test_a_draft_another_departments_code_or_no_session_is_not_found():
    draft = wf.workshop(status=Workshop.Status.DRAFT)
    published = wf.workshop()
    for code, pk in (("92", draft.pk), ("974", published.pk), ("92", 10**9), ("92", 2**70)):
        with pytest.raises(Http404):
            selectors.public_workshop(code, pk)
    with transaction.atomic(), pytest.raises(Workshop.DoesNotExist):
        lock_workshop(10**9)


@pytest.mark.django_db(transaction=True)  # not inside the test's own transaction
def test_the_lock_is_refused_outside_a_transaction():
    workshop = wf.workshop()
    with pytest.raises(transaction.TransactionManagementError):
        lock_workshop(workshop.pk)


def test_the_orm_builds_the_reads_sql_once_not_on_every_read():
    workshop = wf.workshop()
    selectors.public_workshop(workshop.department.code, workshop.pk)
    with transaction.atomic():
        lock_workshop(workshop.pk)
    with mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql) as built:
        for _ in range(3):
            selectors.public_workshop(workshop.department.code, workshop.pk)
            with transaction.atomic():
                lock_workshop(workshop.pk)
    assert built.call_count == 0


def test_a_marker_the_orm_does_not_pass_as_a_parameter_falls_back_to_the_queryset():
    # `pk__in=[]`-like folding: here the marker is turned into SQL text by `extra`, never a parameter.
    workshop = wf.workshop()
    read = CompiledRead(lambda pk: Workshop.objects.filter(pk=int(pk) if pk != "\x00pk" else 0), pk="\x00pk")
    assert read.plan() is None
    assert read.first(pk=str(workshop.pk)).pk == workshop.pk


def test_a_registration_changes_the_seats_without_building_an_orm_update():
    from django.db.models.sql.compiler import SQLUpdateCompiler

    workshop = wf.workshop(capacity=5)
    wf.public_registration(workshop)
    with mock.patch.object(
        SQLUpdateCompiler, "as_sql", autospec=True, side_effect=SQLUpdateCompiler.as_sql
    ) as built:
        wf.public_registration(workshop)
    assert built.call_count == 0
    workshop.refresh_from_db()
    assert workshop.seats_taken == 2  # and the seats were counted


def test_a_public_registration_is_inserted_without_building_an_orm_insert():
    from django.db.models.sql.compiler import SQLInsertCompiler

    from parcours.workshops.models import Registration

    workshop = wf.workshop(capacity=5)
    wf.public_registration(workshop)
    with mock.patch.object(
        SQLInsertCompiler, "as_sql", autospec=True, side_effect=SQLInsertCompiler.as_sql
    ) as built:
        registration = wf.public_registration(workshop)
    assert Registration not in {call.args[0].query.model for call in built.call_args_list}
    fresh = Registration.objects.get(pk=registration.pk)
    assert _columns(fresh) == _columns(registration)  # what the ORM reads back is what was written


def test_the_plain_insert_writes_what_save_writes_and_leaves_listened_models_to_save():
    from django.db.models.signals import post_save

    from parcours.core import compiled
    from parcours.workshops.models import Registration

    workshop = wf.workshop(capacity=5)

    def new(email):
        return Registration(workshop=workshop, status="waiting", source="public", first_name="Awa",
                            contact_kind="email", contact_value=email)  # fmt: skip

    plain, saved = compiled.insert(new("a@exemple.fr")), new("b@exemple.fr")
    saved.save(force_insert=True)
    skip = {"id", "public_id", "contact_value", "created_at"}
    names = [f.attname for f in Registration._meta.concrete_fields if f.attname not in skip]
    fresh = Registration.objects.in_bulk([plain.pk, saved.pk])
    assert [getattr(fresh[plain.pk], n) for n in names] == [getattr(fresh[saved.pk], n) for n in names]
    assert not plain._state.adding and plain.public_id == fresh[plain.pk].public_id

    heard = []

    def listener(sender, instance, created, **kwargs):
        heard.append((instance.pk, created))

    post_save.connect(listener, sender=Registration)
    try:
        listened = compiled.insert(new("c@exemple.fr"))
    finally:
        post_save.disconnect(listener, sender=Registration)
    assert heard == [(listened.pk, True)]


# --- statements prepared once per connection (PostgreSQL) -------------------------------------------


def _run(sql: str, params: list) -> tuple[list, list]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from parcours.core import compiled

    with CaptureQueriesContext(connection) as captured, connection.cursor() as cursor:
        compiled.execute(cursor, sql, params)
        rows = cursor.fetchall()
    return rows, [q["sql"] for q in captured.captured_queries]


_SQL = 'SELECT "id", "capacity" FROM "workshops_workshop" WHERE "id" = %s AND "title" NOT LIKE %s'


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # the connection is closed and opened again
def test_a_hot_statement_is_prepared_once_per_connection_then_only_executed():
    from django.db import connection

    from parcours.core import compiled

    workshop = wf.workshop(capacity=7)
    expected = [(workshop.pk, 7)]
    first, sqls = _run(_SQL, [workshop.pk, "%%rien%%"])
    assert first == expected
    assert [s.split(" ")[0] for s in sqls] == ["PREPARE", "EXECUTE"]
    again, sqls = _run(_SQL, [workshop.pk, "%%rien%%"])
    assert again == expected
    assert [s.split(" ")[0] for s in sqls] == ["EXECUTE"]  # parsed and planned once, not at every run
    assert compiled.original_sql(sqls[0]) == _SQL  # what a query log (and the lock's test) reads
    # A new connection is a new server session: prepared again.
    connection.close()
    _, sqls = _run(_SQL, [workshop.pk, "%%rien%%"])
    assert [s.split(" ")[0] for s in sqls] == ["PREPARE", "EXECUTE"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_statement_prepared_in_a_rolled_back_transaction_is_still_there():
    workshop = wf.workshop(capacity=3)
    with pytest.raises(RuntimeError), transaction.atomic():
        _run(_SQL, [workshop.pk, "x"])
        raise RuntimeError
    rows, sqls = _run(_SQL, [workshop.pk, "x"])
    assert rows == [(workshop.pk, 3)] and [s.split(" ")[0] for s in sqls] == ["EXECUTE"]


def test_prepared_statements_can_be_turned_off(settings):
    settings.PARCOURS_PREPARED_STATEMENTS = False
    workshop = wf.workshop(capacity=5)
    rows, sqls = _run(_SQL, [workshop.pk, "x"])
    assert rows == [(workshop.pk, 5)] and len(sqls) == 1 and sqls[0].startswith("SELECT")
