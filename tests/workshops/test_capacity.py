"""Capacity is never exceeded, the waiting list is served in order, a freed seat is offered exactly once."""

import os
import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.test import Client
from django.urls import reverse

from parcours.core.policy import LinkHolder
from parcours.workshops import services
from parcours.workshops.models import Registration, Workshop
from tests.workshops import factories as wf

Status = Registration.Status


def seats(workshop):
    workshop.refresh_from_db()
    return workshop.seats_taken


def test_registrations_are_confirmed_until_full_then_go_to_the_waiting_list(db):
    workshop = wf.workshop(capacity=3)
    first = wf.public_registration(workshop, party_size=2)
    second = wf.public_registration(workshop, party_size=1)
    third = wf.public_registration(workshop, party_size=1)
    assert [first.status, second.status, third.status] == [Status.CONFIRMED, Status.CONFIRMED, Status.WAITING]
    assert seats(workshop) == 3


def test_a_party_that_does_not_fit_waits_even_if_seats_remain(db):
    workshop = wf.workshop(capacity=3)
    wf.public_registration(workshop, party_size=2)
    waiting = wf.public_registration(workshop, party_size=2)
    assert waiting.status == Status.WAITING
    assert seats(workshop) == 2


def test_nobody_jumps_the_queue_when_a_single_seat_is_free(db):
    workshop = wf.workshop(capacity=3)
    wf.public_registration(workshop, party_size=2)
    wf.public_registration(workshop, party_size=2)  # waits: only one seat left
    latecomer = wf.public_registration(workshop, party_size=1)
    assert latecomer.status == Status.WAITING


def test_the_database_itself_refuses_more_seats_than_the_capacity(db):
    workshop = wf.workshop(capacity=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Workshop.objects.filter(pk=workshop.pk).update(seats_taken=F("capacity") + 1)


def test_the_capacity_cannot_be_lowered_under_the_seats_already_given(db, make_user):
    pilot = make_user("local_pilot", "92")
    workshop = wf.workshop(capacity=4)
    wf.public_registration(workshop, party_size=3)
    with pytest.raises(ValidationError) as error:
        services.update_workshop(actor=pilot, workshop=workshop, capacity=2)
    assert "déjà attribuées" in str(error.value)
    assert Workshop.objects.get(pk=workshop.pk).capacity == 4


def test_a_party_larger_than_allowed_is_refused_with_a_french_error(db):
    workshop = wf.workshop(capacity=10)
    with pytest.raises(ValidationError) as error:
        wf.public_registration(workshop, party_size=7)
    assert "de 1 à 4" in str(error.value)
    assert seats(workshop) == 0


def test_registrations_close_at_the_deadline_for_the_public_but_not_for_staff(db, make_user):
    workshop = wf.workshop(days=3)
    with time_machine.travel(workshop.registration_deadline + timedelta(minutes=1)):
        with pytest.raises(ValidationError, match="closes"):
            wf.public_registration(workshop)
        advisor = make_user("service_advisor", "92")
        outcome = services.register(
            actor=advisor,
            workshop=workshop,
            first_name="Inès",
            contact_kind="sms",
            contact_value="+33612345678",
        )
    assert outcome.registration.status == Status.CONFIRMED


def test_drafts_and_cancelled_sessions_take_no_registration(db):
    for status in (Workshop.Status.DRAFT, Workshop.Status.CANCELLED):
        workshop = wf.workshop(status=status)
        with pytest.raises(ValidationError, match="pas ouverte"):
            wf.public_registration(workshop)


# --- the waiting list ---------------------------------------------------------------------------------


def test_a_freed_seat_is_offered_to_the_first_person_waiting_and_only_to_her(db):
    workshop = wf.workshop(capacity=1)
    holder = wf.public_registration(workshop)
    first = wf.public_registration(workshop)
    second = wf.public_registration(workshop)
    services.cancel_registration(actor=LinkHolder(registration=holder), registration=holder)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.OFFERED
    assert first.offer_expires_at is not None
    assert second.status == Status.WAITING
    assert seats(workshop) == 1  # the offer holds the seat


def test_cancelling_releases_the_seat_at_once_when_nobody_waits(db):
    workshop = wf.workshop(capacity=2)
    registration = wf.public_registration(workshop, party_size=2)
    assert seats(workshop) == 2
    services.cancel_registration(actor=LinkHolder(registration=registration), registration=registration)
    assert seats(workshop) == 0


def test_an_offer_not_taken_in_time_lapses_and_goes_to_the_next_person_each_once(db):
    workshop = wf.workshop(capacity=1, days=20)
    holder = wf.public_registration(workshop)
    first = wf.public_registration(workshop)
    second = wf.public_registration(workshop)
    services.cancel_registration(actor=LinkHolder(registration=holder), registration=holder)
    first.refresh_from_db()
    with time_machine.travel(first.offer_expires_at + timedelta(minutes=1)):
        assert services.expire_offers() == 1
        assert services.expire_offers() == 0  # nothing twice
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.OFFER_EXPIRED
    assert second.status == Status.OFFERED
    assert Registration.objects.filter(workshop=workshop, offered_at__isnull=False).count() == 2
    assert seats(workshop) == 1


def test_accepting_an_offer_confirms_the_place(db):
    workshop = wf.workshop(capacity=1)
    holder = wf.public_registration(workshop)
    waiting = wf.public_registration(workshop)
    services.cancel_registration(actor=LinkHolder(registration=holder), registration=holder)
    services.accept_offer(actor=LinkHolder(registration=waiting), registration=waiting)
    waiting.refresh_from_db()
    assert waiting.status == Status.CONFIRMED
    assert seats(workshop) == 1


def test_an_expired_offer_can_no_longer_be_accepted(db):
    workshop = wf.workshop(capacity=1, days=20)
    holder = wf.public_registration(workshop)
    waiting = wf.public_registration(workshop)
    services.cancel_registration(actor=LinkHolder(registration=holder), registration=holder)
    waiting.refresh_from_db()
    with (
        time_machine.travel(waiting.offer_expires_at + timedelta(seconds=1)),
        pytest.raises(ValidationError, match="plus valable"),
    ):
        services.accept_offer(actor=LinkHolder(registration=waiting), registration=waiting)
    waiting.refresh_from_db()
    assert waiting.status == Status.OFFER_EXPIRED
    assert seats(workshop) == 0


def test_declining_an_offer_passes_it_on(db):
    workshop = wf.workshop(capacity=1)
    holder = wf.public_registration(workshop)
    first = wf.public_registration(workshop)
    second = wf.public_registration(workshop)
    services.cancel_registration(actor=LinkHolder(registration=holder), registration=holder)
    services.decline_offer(actor=LinkHolder(registration=first), registration=first)
    second.refresh_from_db()
    assert second.status == Status.OFFERED


def test_raising_the_capacity_offers_the_new_seats_in_order(db, make_user):
    pilot = make_user("local_pilot", "92")
    workshop = wf.workshop(capacity=1)
    wf.public_registration(workshop)
    first = wf.public_registration(workshop)
    second = wf.public_registration(workshop)
    services.update_workshop(actor=pilot, workshop=workshop, capacity=3)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Status.OFFERED, Status.OFFERED)
    assert seats(workshop) == 3


def test_a_link_holder_may_only_act_on_her_own_registration(db):
    workshop = wf.workshop()
    mine = wf.public_registration(workshop)
    other = wf.public_registration(workshop)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.cancel_registration(actor=LinkHolder(registration=mine), registration=other)


def test_a_registration_cannot_be_cancelled_once_the_session_started(db):
    workshop = wf.workshop(days=2)
    registration = wf.public_registration(workshop)
    with (
        time_machine.travel(workshop.starts_at + timedelta(minutes=5)),
        pytest.raises(ValidationError, match="commencé"),
    ):
        services.cancel_registration(actor=LinkHolder(registration=registration), registration=registration)


def test_moving_to_another_session_frees_the_old_seat_for_the_next_person(db):
    workshop = wf.workshop(capacity=1)
    other = wf.workshop(capacity=5, days=12)
    mover = wf.public_registration(workshop)
    waiting = wf.public_registration(workshop)
    outcome = services.move_registration(
        actor=LinkHolder(registration=mover), registration=mover, target=other
    )
    mover.refresh_from_db()
    waiting.refresh_from_db()
    assert mover.status == Status.CANCELLED
    assert outcome.registration.workshop_id == other.pk
    assert outcome.registration.status == Status.CONFIRMED
    assert waiting.status == Status.OFFERED
    assert (seats(workshop), seats(other)) == (1, 1)


def test_more_people_on_a_confirmed_registration_needs_free_seats(db):
    workshop = wf.workshop(capacity=3)
    registration = wf.public_registration(workshop, party_size=1)
    wf.public_registration(workshop, party_size=2)
    with pytest.raises(ValidationError, match="Il ne reste que 0"):
        services.update_registration(
            actor=LinkHolder(registration=registration),
            registration=registration,
            party_size=2,
            accessibility_needs="",
        )
    assert seats(workshop) == 3


# --- simultaneous requests --------------------------------------------------------------------------


def _register_concurrently(workshop, requests: int) -> list[int]:
    """`requests` public registrations posted at the same instant from threads with their own connections."""
    url = reverse("portal:workshop-register", kwargs={"code": workshop.department.code, "pk": workshop.pk})
    barrier = threading.Barrier(requests)
    statuses: list[int] = []
    lock = threading.Lock()

    def post(index: int):
        client = Client(REMOTE_ADDR=f"10.1.{index // 250}.{index % 250}", raise_request_exception=False)
        try:
            barrier.wait(timeout=30)
            response = client.post(
                url,
                {
                    "first_name": f"Parent{index}",
                    "contact_kind": "email",
                    "email": f"p{index}@exemple.fr",
                    "party_size": 1,
                },
            )
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


@pytest.mark.django_db(transaction=True)
def test_simultaneous_public_registrations_never_overbook(capsys):
    requests, capacity = 40, 10
    if connection.vendor == "postgresql":
        workshop = wf.workshop(capacity=capacity)
        statuses = _register_concurrently(workshop, requests)
        workshop.refresh_from_db()
        result = {
            "database": "postgresql",
            "answers": {str(c): statuses.count(c) for c in sorted(set(statuses))},
            "confirmed": Registration.objects.filter(workshop=workshop, status=Status.CONFIRMED).count(),
            "waiting": Registration.objects.filter(workshop=workshop, status=Status.WAITING).count(),
            "seats_taken": workshop.seats_taken,
        }
    else:
        # The in-memory SQLite test database refuses concurrent writers (shared-cache table locks):
        # the same requests run in another process on a SQLite file with the production settings.
        import json
        import subprocess
        import sys

        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        completed = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "tests.workshops.concurrency_run", "--requests", str(requests), "--capacity", str(capacity)],
            capture_output=True, text=True, timeout=300, env=env, check=True,
        )  # fmt: skip
        result = json.loads(completed.stdout.strip().splitlines()[-1])
    with capsys.disabled():
        print(f"\n[concurrence] requêtes={requests} places={capacity} {result}")
    assert result["answers"] == {"302": requests}
    assert (result["confirmed"], result["waiting"]) == (capacity, requests - capacity)
    assert result["seats_taken"] == capacity


@pytest.mark.django_db(transaction=True)
def test_simultaneous_cancellations_offer_each_freed_seat_to_one_person_once():
    workshop = wf.workshop(capacity=4)
    holders = [wf.public_registration(workshop) for _ in range(4)]
    queue = [wf.public_registration(workshop) for _ in range(6)]
    barrier = threading.Barrier(len(holders))
    errors = []

    def cancel(registration):
        try:
            barrier.wait(timeout=30)
            services.cancel_registration(
                actor=LinkHolder(registration=registration), registration=registration
            )
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=cancel, args=(r,)) for r in holders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if connection.vendor == "postgresql":
        assert errors == []
    cancelled = Registration.objects.filter(pk__in=[h.pk for h in holders], status=Status.CANCELLED).count()
    offered = list(
        Registration.objects.filter(pk__in=[q.pk for q in queue], status=Status.OFFERED).order_by(
            "waitlisted_at", "pk"
        )
    )
    assert len(offered) == cancelled
    assert [r.pk for r in offered] == [q.pk for q in queue[:cancelled]]  # in queue order, nobody twice
    assert seats(workshop) == 4
