"""The rules of a template step, as pure functions: conditions on the situation and deadlines.

Conditions are stored as a list of alternatives (any may match), each a mapping
flag -> required value. Pilots write them as short French expressions:
"enfants", "enfants et non violences", "enfants ou violences"; an empty expression means always.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError

from parcours.core import calendar as workdays
from parcours.core.models import Department

FLAGS = ("has_children", "violence_reported", "shared_home", "not_allocataire")
# The words pilots type, and how they read back.
WORDS = {
    "enfants": "has_children",
    "violences": "violence_reported",
    "logement_commun": "shared_home",
    "non_allocataire": "not_allocataire",
}
FLAG_WORDS = {flag: word for word, flag in WORDS.items()}
FLAG_LABELS = {
    "has_children": "enfants à charge",
    "violence_reported": "violences signalées",
    "shared_home": "logement commun",
    "not_allocataire": "non allocataire",
}


def parse_conditions(text: str) -> list[dict[str, bool]]:
    """'enfants et non violences ou violences' -> [{'has_children': True, 'violence_reported': False}, ...]."""
    text = " ".join((text or "").lower().split())
    if not text or text == "toujours":
        return []
    alternatives = []
    for part in text.split(" ou "):
        clause: dict[str, bool] = {}
        for term in part.split(" et "):
            words = term.split()
            negated = bool(words) and words[0] == "non"
            if negated:
                words = words[1:]
            if len(words) != 1 or words[0] not in WORDS:
                raise ValidationError(
                    f"Condition « {term} » incomprise : utilisez {', '.join(WORDS)}, "
                    "reliés par « et » / « ou », précédés au besoin de « non »."
                )
            flag = WORDS[words[0]]
            if flag in clause and clause[flag] != (not negated):
                raise ValidationError(f"Condition contradictoire : « {part} ».")
            clause[flag] = not negated
        alternatives.append(clause)
    return alternatives


def format_conditions(conditions: list[dict[str, bool]]) -> str:
    if not conditions:
        return ""
    return " ou ".join(
        " et ".join(("" if value else "non ") + FLAG_WORDS[flag] for flag, value in clause.items())
        for clause in conditions
    )


def describe_conditions(conditions: list[dict[str, bool]]) -> str:
    """A sentence for the UI: 'si enfants à charge et sans violences signalées'."""
    if not conditions:
        return "toujours"
    parts = []
    for clause in conditions:
        parts.append(
            " et ".join(
                FLAG_LABELS[flag] if value else f"sans {FLAG_LABELS[flag]}" for flag, value in clause.items()
            )
        )
    return "si " + " ; ou si ".join(parts)


def validate_conditions(conditions) -> None:
    if not isinstance(conditions, list) or not all(isinstance(c, dict) for c in conditions):
        raise ValidationError("Les conditions sont une liste d'alternatives.")
    for clause in conditions:
        for flag, value in clause.items():
            if flag not in FLAGS or not isinstance(value, bool):
                raise ValidationError(f"Condition inconnue : {flag}.")


def applies(conditions: list[dict[str, bool]], situation: dict[str, bool]) -> bool:
    if not conditions:
        return True
    return any(all(situation.get(flag) == value for flag, value in clause.items()) for clause in conditions)


# Step kinds never proposed when violence is alleged, whatever a template says: family mediation
# (Code civil art. 373-2-10; the protected track has none). A rule of the domain, not of the data:
# templates are refused on save and the planner checks again when it plans (defence in depth).
# A module adds its own kinds with `never_in_violence_cases("kind")`.
NEVER_IN_VIOLENCE: set[str] = {"mediation_offer"}


def never_in_violence_cases(kind: str) -> str:
    NEVER_IN_VIOLENCE.add(kind)
    return kind


def step_applies(kind: str, conditions: list[dict[str, bool]], situation: dict[str, bool]) -> bool:
    """Whether a template step applies to the situation: its conditions, and never a step of a kind
    excluded in violence cases when violence is reported."""
    if situation.get("violence_reported") and kind in NEVER_IN_VIOLENCE:
        return False
    return applies(conditions, situation)


def violence_case_problem(kind: str, conditions: list[dict[str, bool]]) -> str | None:
    """Why a step's conditions would propose it when violence is reported (None: they never do)."""
    if kind not in NEVER_IN_VIOLENCE:
        return None
    # Each alternative must require "non violences": one that does not matches a violence case.
    if not conditions or any(clause.get("violence_reported") is not False for clause in conditions):
        return (
            "une étape de ce type (médiation familiale) n'est jamais proposée quand des violences sont "
            "signalées (Code civil, art. 373-2-10) : chaque condition doit comporter « non violences », "
            "par exemple « enfants et non violences »"
        )
    return None


def add_months(day: date, months: int) -> date:
    """Calendar months, the last day of a shorter month standing in (31 August + 6 = 28 February)."""
    return day + relativedelta(months=months)


@dataclass(frozen=True)
class Deadline:
    value: int
    unit: str

    def describe(self) -> str:
        from parcours.pathways.models import DeadlineUnit

        if self.value == 0 and self.unit != DeadlineUnit.HOURS:
            return "le jour même"
        return f"{self.value} {DeadlineUnit(self.unit).label}"


class DeadlineCalculator:
    """Computes due instants in a department's calendar and time zone, memoised for bulk imports."""

    def __init__(self):
        self._cache: dict = {}

    def due(
        self, department: Department, deadline: Deadline, *, base_on: date, base_at: datetime | None = None
    ):
        """The aware instant a step is due.

        Day-based deadlines end at 23:59:59 local time on the computed day; hour-based ones run
        from `base_at` (a precise instant), or from midnight local time on `base_on`.
        """
        from parcours.pathways.models import DeadlineUnit

        if deadline.unit == DeadlineUnit.HOURS:
            start = base_at or datetime(base_on.year, base_on.month, base_on.day, tzinfo=department.tzinfo)
            return start + timedelta(hours=deadline.value)
        key = (department.calendar_key, deadline.value, deadline.unit, base_on)
        found = self._cache.get(key)
        if found is None:
            if deadline.unit == DeadlineUnit.WORKING_DAYS:
                day = workdays.add_working_days(department, base_on, deadline.value)
            elif deadline.unit == DeadlineUnit.CALENDAR_DAYS:
                day = base_on + timedelta(days=deadline.value)
            else:
                day = add_months(base_on, deadline.value)
            found = workdays.end_of_day(department, day)
            self._cache[key] = found
        return found
