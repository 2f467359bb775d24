"""Concurrent AUU requests and decisions on PostgreSQL (row locks; SQLite serialises writers anyway)."""

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from parcours.households.models import HouseholdAssignment
from parcours.protection import services
from parcours.protection.models import EmergencyAid
from tests import factories
from tests.protection.factories import aid, ensure_ceilings, protected_family

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _in_threads(count, target):
    barrier = threading.Barrier(count)
    outcomes = []

    def run(index):
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                outcomes.append(target(index))
        except ValidationError as exc:
            outcomes.append(exc)
        except Exception as exc:  # anything else fails the test below
            outcomes.append(RuntimeError(repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not [o for o in outcomes if isinstance(o, RuntimeError)], outcomes
    return outcomes


def test_the_same_request_registered_at_six_desks_at_once_gives_one_file():
    officer = factories.make_user("benefits_officer", "92")
    household, mother, _, _ = protected_family("92", assignee=officer)
    today = household.department.local_today()

    def register(index):
        return services.register_aid_request(
            actor=officer, household=household, person=mother, received_on=today,
            proof_kind="complaint", proof_date=today,
        ).pk  # fmt: skip

    outcomes = _in_threads(6, register)
    assert len([o for o in outcomes if isinstance(o, int)]) == 1
    assert all("déjà en cours" in str(o) for o in outcomes if isinstance(o, ValidationError))
    assert EmergencyAid.objects.filter(person=mother).count() == 1


def test_two_files_of_the_same_person_decided_at_once_give_one_aid():
    ensure_ceilings()
    officer = factories.make_user("benefits_officer", "92")
    files = []
    for _ in range(2):
        household, mother, _, _ = protected_family("92", assignee=officer)
        mother.first_name, mother.last_name, mother.birth_date = "Nadia", "Hoarau", date(1990, 4, 1)
        mother.save()
        files.append(aid(household, mother, officer=officer))
        HouseholdAssignment.objects.get_or_create(household=household, user=officer)

    def decide(index):
        return services.decide_aid(
            actor=officer, aid=EmergencyAid.objects.get(pk=files[index].pk), monthly_resources="900",
            children_count=1, amount="800",
        ).status  # fmt: skip

    outcomes = _in_threads(2, decide)
    # One grant; the other decision is refused by the service (one aid per 12 months) and the file
    # stays for the officer to refuse with a reason: the software never refuses in her place.
    granted = [o for o in outcomes if o == EmergencyAid.Status.GRANTED]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(granted) == 1 and len(refused) == 1, outcomes
    assert "12 mois" in " ".join(refused[0].messages)
