"""The AUU rules: proof age, one aid per 12 months, the payment deadline, grant or loan."""

from datetime import date
from decimal import Decimal

import pytest

from parcours.protection import rules
from parcours.protection.models import EmergencyAid, ResourceCeiling
from tests import factories
from tests.protection.factories import CEILINGS_2023_12

P = EmergencyAid.ProofKind


# --- proof --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [P.PROTECTION_ORDER, P.COMPLAINT, P.PROSECUTOR_REPORT])
def test_a_proof_of_11_months_and_30_days_is_accepted(kind):
    # 2 January 2025 + 11 months = 2 December 2025, + 30 days = 1 January 2026.
    assert rules.proof_problem(kind, date(2025, 1, 2), date(2026, 1, 1)) is None


@pytest.mark.parametrize("kind", [P.PROTECTION_ORDER, P.COMPLAINT, P.PROSECUTOR_REPORT])
def test_a_proof_of_12_months_and_1_day_is_refused_with_its_last_valid_day(kind):
    problem = rules.proof_problem(kind, date(2025, 1, 2), date(2026, 1, 3))
    assert "plus de 12 mois" in problem
    assert "2 janvier 2026" in problem  # the last day it could be used


def test_a_proof_of_exactly_12_months_is_not_older_than_12_months():
    assert rules.proof_problem(P.COMPLAINT, date(2025, 3, 15), date(2026, 3, 15)) is None
    assert rules.proof_problem(P.COMPLAINT, date(2025, 3, 15), date(2026, 3, 16)) is not None


def test_twelve_months_after_29_february_is_28_february():
    assert rules.proof_expiry(date(2024, 2, 29)) == date(2025, 2, 28)
    assert rules.proof_problem(P.PROTECTION_ORDER, date(2024, 2, 29), date(2025, 2, 28)) is None
    assert rules.proof_problem(P.PROTECTION_ORDER, date(2024, 2, 29), date(2025, 3, 1)) is not None


def test_a_main_courante_is_not_a_proof_however_recent():
    problem = rules.proof_problem(P.MAIN_COURANTE, date(2026, 3, 1), date(2026, 3, 2))
    assert problem.startswith("Une main courante n'est pas un justificatif recevable")


# --- one aid per 12 months ----------------------------------------------------------------------


def test_a_second_request_within_12_months_is_refused_with_the_date_of_the_first():
    problem = rules.renewal_problem([date(2025, 6, 1)], date(2026, 5, 31))
    assert "1er juin 2025" in problem
    assert "à partir du 1er juin 2026" in problem


def test_a_request_12_months_after_the_first_attribution_is_possible():
    assert rules.renewal_problem([date(2025, 6, 1)], date(2026, 6, 1)) is None
    assert rules.renewal_problem([date(2024, 1, 10), date(2025, 1, 9)], date(2026, 1, 9)) is None


def test_an_attribution_decided_after_the_request_was_received_counts_too():
    # Two files of the same person: the other one was attributed while this one waited.
    assert "10 mars 2026" in rules.renewal_problem([date(2026, 3, 10)], date(2026, 3, 9))


def test_no_previous_attribution_no_problem():
    assert rules.renewal_problem([], date(2026, 3, 9)) is None


# --- payment deadline: working days of the department -------------------------------------------


@pytest.mark.parametrize(
    ("code", "received", "allocataire", "due"),
    [
        # 92: Wednesday 13 May 2026, Thursday 14 is Ascension → Fri 15, Mon 18, Tue 19.
        ("92", date(2026, 5, 13), True, date(2026, 5, 19)),
        ("92", date(2026, 5, 13), False, date(2026, 5, 21)),
        # 92: Friday 10 July 2026, Tuesday 14 July → Mon 13, Wed 15, Thu 16.
        ("92", date(2026, 7, 10), True, date(2026, 7, 16)),
        # Friday 17 December 2027: Monday 20 December is a public holiday in La Réunion only.
        ("92", date(2027, 12, 17), True, date(2027, 12, 22)),
        ("974", date(2027, 12, 17), True, date(2027, 12, 23)),
        # …and 5 working days for a non-allocataire: Tue 21 → Mon 27 (25 December is a Saturday).
        ("974", date(2027, 12, 17), False, date(2027, 12, 27)),
        ("92", date(2027, 12, 17), False, date(2027, 12, 24)),
        # A request received on a Saturday: counting starts on Monday.
        ("974", date(2026, 3, 7), True, date(2026, 3, 11)),
    ],
)
def test_the_payment_is_due_3_working_days_after_receipt_or_5_for_a_non_allocataire(
    db, code, received, allocataire, due
):
    assert rules.due_date(factories.department(code), received, is_allocataire=allocataire) == due


def test_time_left_counts_working_days_and_flags_late_files(db):
    dep = factories.department("92")
    due = date(2026, 7, 16)  # Thursday
    assert rules.time_left(dep, due, date(2026, 7, 13)) == rules.TimeLeft(2, False)  # 14 July is not counted
    assert rules.time_left(dep, due, due).label == "À payer aujourd'hui"
    assert rules.time_left(dep, due, date(2026, 7, 17)) == rules.TimeLeft(-1, True)
    late = rules.time_left(dep, due, date(2026, 7, 20))  # Monday: Fri 17 and Mon 20 elapsed
    assert late.late and late.label == "En retard de 2 jours ouvrés"
    # A Saturday after a Friday deadline is already late.
    assert rules.time_left(dep, date(2026, 7, 17), date(2026, 7, 18)).late


# --- grant or loan ------------------------------------------------------------------------------


@pytest.mark.parametrize("children", [0, 1, 2, 3])
def test_resources_at_the_ceiling_give_a_grant_and_one_cent_above_a_loan(db, children):
    ceiling = ResourceCeiling.in_force(date(2026, 3, 2), children)
    assert ceiling.monthly_amount == CEILINGS_2023_12[children]
    assert rules.aid_form(ceiling.monthly_amount, ceiling.monthly_amount) == EmergencyAid.Form.GRANT
    assert (
        rules.aid_form(ceiling.monthly_amount + Decimal("0.01"), ceiling.monthly_amount)
        == EmergencyAid.Form.LOAN
    )
    assert rules.aid_form(Decimal("0"), ceiling.monthly_amount) == EmergencyAid.Form.GRANT


def test_four_children_and_more_use_the_line_of_three(db):
    assert ResourceCeiling.in_force(date(2026, 3, 2), 5).monthly_amount == Decimal("4564.18")


def test_the_scale_in_force_on_the_day_of_receipt_applies(db):
    from parcours.protection.models import ResourceCeiling

    ResourceCeiling.objects.create(valid_from=date(2026, 4, 1), children=0, monthly_amount=Decimal("2100.00"))
    assert ResourceCeiling.in_force(date(2026, 3, 31), 0).monthly_amount == Decimal("2074.63")
    assert ResourceCeiling.in_force(date(2026, 4, 1), 0).monthly_amount == Decimal("2100.00")
    assert ResourceCeiling.in_force(date(2023, 11, 30), 0) is None  # before the first scale


def test_amounts_are_written_the_french_way():
    assert rules.euros(Decimal("2074.63")) == "2\u202f074,63"
    assert rules.euros(Decimal("500")) == "500,00"
    assert rules.euros(Decimal("1234567.5")) == "1\u202f234\u202f567,50"
