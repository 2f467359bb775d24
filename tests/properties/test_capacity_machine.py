"""Capacity, waiting list, offers and cancellations as a state machine: hypothesis drives random
sequences of registrations, cancellations, party changes and answers to offers through the real
services, and checks the invariants after every step."""

from __future__ import annotations

import contextlib
from itertools import count

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from parcours.core.policy import THE_PUBLIC, LinkHolder
from parcours.workshops import services
from parcours.workshops.models import Registration, Workshop
from tests.workshops import factories as wf

Status = Registration.Status
_emails = count(1)


class CapacityMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # A fresh session per run: runs share the test's transaction, not their rows.
        self.workshop = wf.workshop("92", format="webinar", days=10, capacity=4)
        self.ever_offered: set[int] = set()
        self.ended: set[int] = set()

    def _rows(self):
        return list(Registration.objects.filter(workshop=self.workshop).order_by("waitlisted_at", "pk"))

    def _pick(self, status, index):
        rows = [r for r in self._rows() if r.status in status]
        return rows[index % len(rows)] if rows else None

    def _note_offers(self):
        self.ever_offered |= {r.pk for r in self._rows() if r.status == Status.OFFERED}

    @rule(party=st.integers(min_value=1, max_value=3))
    def register(self, party):
        workshop = Workshop.objects.get(pk=self.workshop.pk)
        queue_before = Registration.objects.filter(workshop=workshop, status=Status.WAITING).exists()
        fits = workshop.seats_left >= party and not queue_before
        outcome = services.register(
            actor=THE_PUBLIC, workshop=workshop, first_name="Camille", party_size=party,
            contact_kind="email", contact_value=f"parent{next(_emails)}@exemple.fr",
        )  # fmt: skip
        assert outcome.registration.status == (Status.CONFIRMED if fits else Status.WAITING)
        self._note_offers()

    @rule(index=st.integers(min_value=0, max_value=20))
    def cancel(self, index):
        registration = self._pick(Registration.ACTIVE, index)
        if registration is None:
            return
        services.cancel_registration(actor=LinkHolder(registration=registration), registration=registration)
        self.ended.add(registration.pk)
        self._note_offers()

    @rule(index=st.integers(min_value=0, max_value=20), accept=st.booleans())
    def answer_offer(self, index, accept):
        registration = self._pick((Status.OFFERED,), index)
        if registration is None:
            return
        actor = LinkHolder(registration=registration)
        if accept:
            services.accept_offer(actor=actor, registration=registration)
        else:
            services.decline_offer(actor=actor, registration=registration)
            self.ended.add(registration.pk)
        self._note_offers()

    @rule(index=st.integers(min_value=0, max_value=20), party=st.integers(min_value=1, max_value=3))
    def change_party(self, index, party):
        registration = self._pick(Registration.ACTIVE, index)
        if registration is None:
            return
        # More people than free seats is refused, and nothing changes (the invariants check it).
        with contextlib.suppress(ValidationError):
            services.update_registration(
                actor=LinkHolder(registration=registration), registration=registration,
                party_size=party, accessibility_needs=registration.accessibility_needs,
            )  # fmt: skip
        self._note_offers()

    @invariant()
    def seats_taken_is_what_the_registrations_hold(self):
        workshop = Workshop.objects.get(pk=self.workshop.pk)
        held = sum(r.party_size for r in self._rows() if r.status in Registration.HOLDING_SEATS)
        assert workshop.seats_taken == held <= workshop.capacity

    @invariant()
    def a_freed_seat_goes_to_the_head_of_the_queue(self):
        workshop = Workshop.objects.get(pk=self.workshop.pk)
        waiting = [r for r in self._rows() if r.status == Status.WAITING]
        if waiting:
            assert waiting[0].party_size > workshop.seats_left  # else it would have been offered

    @invariant()
    def a_registration_is_offered_a_seat_at_most_once(self):
        back_in_queue = {r.pk for r in self._rows() if r.status == Status.WAITING} & self.ever_offered
        assert back_in_queue == set()

    @invariant()
    def an_ended_registration_stays_ended(self):
        revived = {r.pk for r in self._rows() if r.status in Registration.ACTIVE} & self.ended
        assert revived == set()


@pytest.mark.django_db
def test_capacity_waiting_list_and_cancellations_keep_their_invariants():
    run_state_machine_as_test(
        CapacityMachine,
        settings=settings(
            max_examples=30, stateful_step_count=25, deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )  # fmt: skip
