"""The AUU rules (law 2023-140, CASF L.214-8 ff. and D.214-11 ff.), as small pure functions.

Decisions taken here, and documented in docs/protection.md:
- "12 months" is counted in calendar months with dateutil's relativedelta: a proof dated 15 March
  2025 is accepted up to and including 15 March 2026 (exactly twelve months old is not "older than
  twelve months"), refused from 16 March 2026. On a month end the date is clipped: a proof of
  29 February 2024 is accepted up to 28 February 2025. 11 months 30 days: accepted; 12 months 1 day:
  refused.
- The proof's age is taken on the day the request is received (the person cannot be blamed for the
  Caf's processing time).
- One aid per twelve months per person: counted from the date of the first aid's attribution
  decision (D.214-… "à compter de la date de la décision d'attribution"); a new request received
  twelve months to the day after it is accepted.
- The ceiling itself is on the grant side: "ressources inférieures ou égales au plafond" — at the
  ceiling, a grant; one cent above, a loan. The scale in force on the day of receipt applies.
- Payment deadline: 3 working days after receipt (5 for a person who is not an allocataire),
  counted with the department's public holidays (core.calendar): the day of receipt is not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from parcours.core import calendar
from parcours.protection.choices import ACCEPTED_PROOFS, CEILING_MAX_CHILDREN, AidForm, ProofKind

PROOF_VALIDITY = relativedelta(months=12)
RENEWAL_PERIOD = relativedelta(months=12)
DEADLINE_ALLOCATAIRE = 3
DEADLINE_NON_ALLOCATAIRE = 5


def french_date(day: date) -> str:
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
              "octobre", "novembre", "décembre"]  # fmt: skip
    return f"{'1er' if day.day == 1 else day.day} {months[day.month - 1]} {day.year}"


def euros(amount: Decimal) -> str:
    """1 234,56 — the French way, with a narrow no-break space between thousands."""
    whole, cents = f"{Decimal(amount):.2f}".split(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return "\u202f".join(groups) + "," + cents


def proof_expiry(proof_date: date) -> date:
    """The last day on which a request may rely on this proof."""
    return proof_date + PROOF_VALIDITY


def proof_problem(proof_kind: str, proof_date: date, received_on: date) -> str | None:
    """Why the proof cannot support the request, or None."""
    if proof_kind == ProofKind.MAIN_COURANTE:
        return (
            "Une main courante n'est pas un justificatif recevable : l'aide exige une ordonnance de "
            "protection, un dépôt de plainte ou un signalement au procureur de la République."
        )
    if proof_kind not in ACCEPTED_PROOFS:
        return "Type de justificatif inconnu."
    if received_on > proof_expiry(proof_date):
        return (
            f"Le justificatif du {french_date(proof_date)} a plus de 12 mois à la date de la demande "
            f"({french_date(received_on)}) : il n'était recevable que jusqu'au {french_date(proof_expiry(proof_date))}."
        )
    return None


def renewal_date(first_decision_on: date) -> date:
    """The first day on which a new request may be granted after an aid attributed on that date."""
    return first_decision_on + RENEWAL_PERIOD


def renewal_problem(previous_decisions: list[date], received_on: date) -> str | None:
    """Why a new aid cannot be granted (an aid attributed less than 12 months earlier), or None."""
    # Any other attribution whose 12-month period covers the request (one decided after the request
    # was received, in a concurrent file, counts too).
    recent = sorted(d for d in previous_decisions if received_on < renewal_date(d))
    if not recent:
        return None
    first = recent[0]
    return (
        f"Une aide a déjà été attribuée à cette personne le {french_date(first)} : une seule aide par "
        f"période de 12 mois. Une nouvelle demande est possible à partir du {french_date(renewal_date(first))}."
    )


# A decision may be corrected by a benefits officer within the delay of an administrative appeal
# (recours administratif préalable: two months from the decision, code des relations entre le
# public et l'administration L.411-2 and R.421-1).
CORRECTION_MONTHS = 2


def correction_deadline(decided_on: date) -> date:
    """The last day on which a decision of that date may be corrected."""
    return decided_on + relativedelta(months=CORRECTION_MONTHS)


def intake_warnings(proof_kind: str, proof_date: date, received_on: date, previous: list[date]) -> list[str]:
    """What the benefits officer must look at before deciding (never a decision by itself)."""
    return [
        w
        for w in (proof_problem(proof_kind, proof_date, received_on), renewal_problem(previous, received_on))
        if w
    ]


def payment_deadline_days(is_allocataire: bool) -> int:
    return DEADLINE_ALLOCATAIRE if is_allocataire else DEADLINE_NON_ALLOCATAIRE


def due_date(department, received_on: date, *, is_allocataire: bool) -> date:
    return calendar.add_working_days(department, received_on, payment_deadline_days(is_allocataire))


@dataclass(frozen=True)
class TimeLeft:
    working_days: int  # negative when late
    late: bool

    @property
    def label(self) -> str:
        n = self.working_days
        if self.late:
            return f"En retard de {-n} jour{'s' if -n > 1 else ''} ouvré{'s' if -n > 1 else ''}"
        if n == 0:
            return "À payer aujourd'hui"
        return f"{n} jour{'s' if n > 1 else ''} ouvré{'s' if n > 1 else ''} restant{'s' if n > 1 else ''}"


def time_left(department, due_on: date, today: date) -> TimeLeft:
    """Working days from `today` to the deadline; late once the deadline has passed unpaid."""
    if today > due_on:
        # Late by the working days elapsed since the deadline (at least one: the day after it).
        return TimeLeft(-max(1, calendar.working_days_between(department, due_on, today)), True)
    return TimeLeft(calendar.working_days_between(department, today, due_on), False)


def aid_form(monthly_resources: Decimal, ceiling: Decimal) -> str:
    """ "grant" when the resources are at or under the ceiling, "loan" above it (one cent is enough)."""
    return AidForm.GRANT if Decimal(monthly_resources) <= Decimal(ceiling) else AidForm.LOAN


def ceiling_line(children_count: int) -> int:
    """The line of the scale for that number of children (the last one is "3 or more")."""
    if children_count < 0:
        raise ValueError("children_count >= 0")
    return min(children_count, CEILING_MAX_CHILDREN)
