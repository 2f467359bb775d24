"""Recording an audit entry waits for nobody: two PostgreSQL connections, one holding an import's
transaction open, the other reading and writing audited pages meanwhile. (SQLite has one writer
at a time by design: an audited page writes its entry, so there it waits for any writer.)"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from parcours.core import audit
from parcours.core.models import AuditEntry
from parcours.households import selectors, services
from parcours.households.models import Address
from parcours.pathways.models import SeparationEvent
from parcours.pathways.services import record_separations
from tests import factories
from tests.pathways.factories import event_input

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BOUND = 3.0  # seconds: a request that waited on the import would hit lock_timeout first


class Holder(threading.Thread):
    """Connection 1: runs `work` in a transaction and keeps it open until released."""

    def __init__(self, work):
        super().__init__(daemon=True)
        self.work, self.holding, self.release, self.error = work, threading.Event(), threading.Event(), None

    def run(self):
        try:
            with transaction.atomic():
                self.work()
                self.holding.set()
                assert self.release.wait(60)
        except BaseException as error:  # noqa: BLE001 (reported by the test)
            self.error = error
        finally:
            self.holding.set()
            connections.close_all()

    def __enter__(self):
        self.start()
        assert self.holding.wait(120) and self.error is None, self.error
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.join(60)
        assert self.error is None, self.error


def _bounded(label, action):
    started = time.monotonic()
    result = action()
    elapsed = time.monotonic() - started
    assert elapsed < BOUND, f"{label} a attendu {elapsed:.1f} s"
    return result


def test_audited_reads_and_writes_do_not_wait_for_an_open_import(settings):
    settings.PATHWAYS_IMPORT_BACKGROUND_MIN = 10  # the import's background writer, as for a file
    social_worker = factories.make_user("social_worker", "92")
    household = factories.HouseholdFactory(department_code="92", file_number="8100000")
    person = factories.PersonFactory(household=household)
    factories.AddressFactory(person=person, line="1 rue Ancienne")
    events = [event_input(department="92", file_number=f"{8200000 + n}") for n in range(40)]
    with connection.cursor() as cursor:  # a wait on a lock fails instead of hanging the test
        cursor.execute(f"SET lock_timeout = '{int(BOUND)}s'")
    before = AuditEntry.objects.count()

    with Holder(lambda: record_separations(actor=None, source=SeparationEvent.Source.FILE, events=events)):
        # An audited read (the household page's selector) and an audited write (its address form's service).
        seen = _bounded("la lecture d'un foyer", lambda: selectors.household_for(social_worker, household.pk))
        assert seen == household
        _bounded("une écriture auditée", lambda: services.set_address(
            actor=social_worker, person=person, line="2 rue Neuve", postal_code="92000", city="Nanterre"
        ))  # fmt: skip
        assert Address.objects.get(person=person).line == "2 rue Neuve"
        for n in range(20):
            _bounded(
                "une entrée d'audit", lambda n=n: audit.record(social_worker, "core.test.read", data={"n": n})
            )
        # The sealer does not wait either: it seals what is committed, the import's entries later.
        sealed = _bounded("le scelleur", audit.seal)
        assert sealed == AuditEntry.objects.count() - before
        assert audit.verify().ok

    # Once the import has committed, its 40 entries were sealed at its end (a later seal than the
    # pages' ones), and everything verifies.
    opened = AuditEntry.objects.filter(action="pathways.pathway.opened")
    assert opened.count() == 40 and not opened.filter(seal__isnull=True).exists()
    assert audit.seal() == 0
    result = audit.verify()
    assert result.ok and result.unsealed == 0 and result.checked == AuditEntry.objects.count()


def test_an_entry_committed_after_later_ones_were_sealed_joins_a_later_seal():
    actor = factories.make_user("social_worker", "92")
    early = {}

    def write_early():
        early["entry"] = audit.record(actor, "core.test.early")

    with Holder(write_early):
        later = [audit.record(actor, "core.test.later") for _ in range(2)]
        assert audit.seal() == 2
        assert early["entry"].id < later[0].id
        result = audit.verify()
        assert result.ok and result.unsealed == 0  # the open transaction's entry is not visible yet
    assert audit.seal() == 1
    assert AuditEntry.objects.get(id=early["entry"].id).seal_id == 2
    result = audit.verify()
    assert result.ok and result.checked == 3 and result.unsealed == 0
