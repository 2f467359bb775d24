"""The protection module's indicators of the bilan: the aide universelle d'urgence (AUU)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from django.db.models import Case, Count, F, Q, Value, When
from django.db.models.functions import TruncMonth

from parcours.core import indicators
from parcours.core.calendar import working_day_number
from parcours.core.indicators import Cell, Window
from parcours.protection import rules
from parcours.protection.models import EmergencyAid

indicators.breakdown(
    "decision",
    "Décision",
    {
        "grant": "accordée (aide)",
        "loan": "accordée (prêt)",
        "refused": "refusée",
        "pending": "en cours d'instruction",
    },
)
indicators.breakdown(
    "reason",
    "Motif du refus",
    {
        "proof_not_accepted": "justificatif non recevable (main courante)",
        "proof_too_old": "justificatif de plus de 12 mois",
        "renewal": "aide déjà attribuée dans les 12 mois",
        "other": "autre motif (décision de l'agent)",
    },
)
indicators.breakdown("allocataire", "Allocataire", {"yes": "allocataire", "no": "non allocataire"})

DEPARTMENT = "household__department__code"
ALLOCATAIRE = Case(When(is_allocataire=True, then=Value("yes")), default=Value("no"))


def _aids(window: Window):
    qs = EmergencyAid.objects.filter(received_on__gte=window.start, received_on__lt=window.end_exclusive)
    if window.departments:
        qs = qs.filter(**{f"{DEPARTMENT}__in": window.departments})
    return qs


@indicators.register(
    code="protection.aid_requests",
    label="Demandes d'aide universelle d'urgence",
    definition=(
        "Nombre de demandes d'aide universelle d'urgence reçues. Unité : demandes (une personne "
        "n'a droit qu'à une aide par période de 12 mois). Placée dans le mois de réception ; "
        "ventilation : décision (accordée sous forme d'aide non remboursable, accordée sous forme "
        "de prêt sans intérêt, refusée, en cours d'instruction)."
    ),
    unit=indicators.COUNT,
    breakdowns=("decision",),
    value_unit="demandes",
    order=70,
)
def aid_requests(window: Window):
    decision = Case(
        When(status=EmergencyAid.Status.REFUSED, then=Value("refused")),
        When(status=EmergencyAid.Status.RECEIVED, then=Value("pending")),
        When(form=EmergencyAid.Form.LOAN, then=Value("loan")),
        default=Value("grant"),
    )
    rows = (
        _aids(window)
        .annotate(month=TruncMonth("received_on"), decision=decision)
        .values(DEPARTMENT, "month", "decision")
        .annotate(n=Count("id"))
    )
    for row in rows:
        yield Cell(
            row[DEPARTMENT], row["month"].replace(day=1), {"decision": row["decision"]}, numerator=row["n"]
        )


def refusal_reason(proof_kind: str, proof_date: date, received_on: date, reason: str) -> str:
    """The reason of a refusal, from the facts the rules decided on (the free text is never published)."""
    if proof_kind == EmergencyAid.ProofKind.MAIN_COURANTE:
        return "proof_not_accepted"
    if received_on > rules.proof_expiry(proof_date):
        return "proof_too_old"
    if reason.startswith("Une aide a déjà été attribuée"):
        return "renewal"
    return "other"


@indicators.register(
    code="protection.aid_refusals",
    label="Demandes d'aide d'urgence refusées, par motif",
    definition=(
        "Nombre de demandes d'aide universelle d'urgence refusées, selon le motif établi par les "
        "règles : main courante (non recevable), justificatif de plus de 12 mois, aide déjà "
        "attribuée dans les 12 mois, autre motif de l'agent. Unité : demandes. Placée dans le mois "
        "de réception de la demande."
    ),
    unit=indicators.COUNT,
    breakdowns=("reason",),
    value_unit="demandes",
    order=71,
)
def aid_refusals(window: Window):
    counts: Counter = Counter()
    rows = (
        _aids(window)
        .filter(status=EmergencyAid.Status.REFUSED)
        .values_list(DEPARTMENT, "received_on", "proof_kind", "proof_date", "refusal_reason")
    )
    for code, received_on, proof_kind, proof_date, reason in rows.iterator(chunk_size=2000):
        counts[
            (code, received_on.replace(day=1), refusal_reason(proof_kind, proof_date, received_on, reason))
        ] += 1
    for (code, month, reason), n in counts.items():
        yield Cell(code, month, {"reason": reason}, numerator=n)


@indicators.register(
    code="protection.aid_payment_delay",
    label="Délai de paiement de l'aide d'urgence — médiane",
    definition=(
        "Médiane du nombre de jours ouvrés du département entre la réception de la demande et le "
        "paiement (le jour de réception ne compte pas), parmi les aides payées. Unité : jours "
        "ouvrés. Placé dans le mois de réception ; ventilation : allocataire ou non."
    ),
    unit=indicators.MEDIAN,
    breakdowns=("allocataire",),
    value_unit="jours ouvrés",
    order=72,
)
def aid_payment_delay(window: Window):
    histograms: dict[tuple, Counter] = defaultdict(Counter)
    rows = (
        _aids(window)
        .filter(status=EmergencyAid.Status.PAID, paid_on__isnull=False)
        .values_list(
            DEPARTMENT,
            "household__department__holiday_subdivision",
            "received_on",
            "paid_on",
            "is_allocataire",
        )
    )
    for code, subdivision, received_on, paid_on, allocataire in rows.iterator(chunk_size=2000):
        days = max(0, working_day_number(subdivision, paid_on) - working_day_number(subdivision, received_on))
        histograms[(code, received_on.replace(day=1), "yes" if allocataire else "no")][days] += 1
    for (code, month, allocataire), histogram in histograms.items():
        yield Cell(
            code,
            month,
            {"allocataire": allocataire},
            numerator=sum(histogram.values()),
            distribution=dict(histogram),
        )


@indicators.register(
    code="protection.aid_paid_on_time",
    label="Aides d'urgence payées dans le délai légal",
    definition=(
        "Part des aides accordées payées au plus tard à leur échéance : 3 jours ouvrés après la "
        "réception de la demande, 5 pour une personne non allocataire. Dénominateur : les aides "
        "payées, et celles accordées non payées dont l'échéance est passée. Unité : demandes. "
        "Placée dans le mois de réception ; ventilation : allocataire ou non."
    ),
    unit=indicators.SHARE,
    breakdowns=("allocataire",),
    order=73,
)
def aid_paid_on_time(window: Window):
    from django.utils import timezone

    today = timezone.localdate()
    rows = (
        _aids(window)
        .filter(Q(status=EmergencyAid.Status.PAID) | Q(status=EmergencyAid.Status.GRANTED, due_on__lt=today))
        .annotate(month=TruncMonth("received_on"), allocataire=ALLOCATAIRE)
        .values(DEPARTMENT, "month", "allocataire")
        .annotate(
            n=Count("id"),
            on_time=Count("id", filter=Q(status=EmergencyAid.Status.PAID, paid_on__lte=F("due_on"))),
        )
    )
    for row in rows:
        yield Cell(
            row[DEPARTMENT],
            row["month"].replace(day=1),
            {"allocataire": row["allocataire"]},
            numerator=row["on_time"],
            denominator=row["n"],
        )
