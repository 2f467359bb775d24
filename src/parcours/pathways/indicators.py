"""The pathways module's indicators of the bilan (registered in core.indicators).

Every function reads the raw tables, month by month of the declaration date (a million pathways
never sit in memory at once), and yields one `Cell` per department × month × breakdown it has
facts for. The evaluation app stores, totals, suppresses and publishes them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time

from django.db.models import Case, Count, F, Min, Q, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from parcours.core import indicators
from parcours.core.calendar import working_day_number
from parcours.core.indicators import Cell, Window
from parcours.pathways.models import ContactAttempt, Pathway, PathwayStep, StepKind

indicators.breakdown(
    "track", "Parcours", {"normal": "parcours standard", "protected": "parcours protégé (violences)"}
)
indicators.breakdown("children", "Enfants", {"with": "avec enfant(s)", "without": "sans enfant"})
OFFERS = (
    StepKind.RIGHTS_APPOINTMENT,
    StepKind.SOCIAL_WORKER_CONTACT,
    StepKind.WORKSHOP_INVITATION,
    StepKind.CHILD_SUPPORT_INFORMATION,
    StepKind.MEDIATION_OFFER,
)
indicators.breakdown("step", "Offre", {kind.value: kind.label for kind in OFFERS})

TRACK = Case(When(violence_reported=True, then=Value("protected")), default=Value("normal"))
STEP_TRACK = Case(When(pathway__violence_reported=True, then=Value("protected")), default=Value("normal"))


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _pathways(window: Window, month: date | None = None):
    start, end = (month, _next_month(month)) if month else (window.start, window.end_exclusive)
    qs = Pathway.objects.filter(declared_on__gte=start, declared_on__lt=end)
    if window.departments:
        qs = qs.filter(department__code__in=window.departments)
    return qs


def _steps(window: Window, **filters):
    qs = PathwayStep.objects.filter(
        pathway__declared_on__gte=window.start, pathway__declared_on__lt=window.end_exclusive, **filters
    )
    if window.departments:
        qs = qs.filter(department__code__in=window.departments)
    return qs


def _month(value) -> date:
    if isinstance(value, datetime):
        return value.date().replace(day=1)
    return value.replace(day=1)


@indicators.register(
    code="pathways.separations",
    label="Séparations déclarées",
    definition=(
        "Nombre de séparations déclarées à la Caf (une déclaration ouvre un parcours). Compté : "
        "chaque déclaration reçue, qu'elle vienne d'un fichier, de l'API ou d'une saisie. Unité : "
        "foyers. Placée dans le mois de la date de déclaration. Ventilations : parcours (protégé "
        "lorsque des violences sont signalées, à la déclaration ou ensuite) et présence d'enfants."
    ),
    unit=indicators.COUNT,
    breakdowns=("track", "children"),
    value_unit="foyers",
    order=10,
)
def separations(window: Window):
    rows = (
        _pathways(window)
        .annotate(
            month=TruncMonth("declared_on"),
            track=TRACK,
            children=Case(When(children_count__gt=0, then=Value("with")), default=Value("without")),
        )
        .values("department__code", "month", "track", "children")
        .annotate(n=Count("id"))
    )
    for row in rows:
        yield Cell(
            row["department__code"],
            _month(row["month"]),
            {"track": row["track"], "children": row["children"]},
            numerator=row["n"],
        )


# --- delay from declaration to first contact ---------------------------------------------------

CONTACT_STEPS = (StepKind.RIGHTS_APPOINTMENT, StepKind.SOCIAL_WORKER_CONTACT)


def _first_contact_delays(window: Window) -> dict[tuple, Counter]:
    """{(department, month, track): Counter(working days → pathways)}, for pathways reached at least once.

    The first contact is the earliest of: a contact attempt that reached the person, or the
    completion ("réalisée") of the rights appointment or of the social worker's contact.
    """
    histograms: dict[tuple, Counter] = defaultdict(Counter)
    for month in window.months():
        pathways = _pathways(window, month)
        attempts = dict(
            ContactAttempt.objects.filter(
                result=ContactAttempt.Result.REACHED, step__pathway__in=pathways.values("pk")
            )
            .values("step__pathway_id")
            .annotate(first=Min("attempted_at"))
            .values_list("step__pathway_id", "first")
        )
        completions = dict(
            PathwayStep.objects.filter(
                kind__in=CONTACT_STEPS,
                outcome=PathwayStep.Outcome.DONE,
                pathway__in=pathways.values("pk"),
            )
            .values("pathway_id")
            .annotate(first=Min("closed_at"))
            .values_list("pathway_id", "first")
        )
        rows = pathways.values_list(
            "pk",
            "department__code",
            "department__holiday_subdivision",
            "department__timezone",
            "declared_on",
            "violence_reported",
        )
        zones: dict[str, object] = {}
        for pk, code, subdivision, zone, declared_on, violence in rows.iterator(chunk_size=5000):
            moments = [m for m in (attempts.get(pk), completions.get(pk)) if m is not None]
            if not moments:
                continue
            if zone not in zones:
                from zoneinfo import ZoneInfo

                zones[zone] = ZoneInfo(zone)
            contacted_on = timezone.localtime(min(moments), zones[zone]).date()
            days = max(
                0,
                working_day_number(subdivision, contacted_on) - working_day_number(subdivision, declared_on),
            )
            histograms[(code, month, "protected" if violence else "normal")][days] += 1
    return histograms


def _delay_cells(window: Window):
    for (code, month, track), histogram in window.shared(
        "pathways.first_contact", lambda: _first_contact_delays(window)
    ).items():
        yield Cell(
            code, month, {"track": track}, numerator=sum(histogram.values()), distribution=dict(histogram)
        )


DELAY_DEFINITION = (
    "Délai entre la date de déclaration de la séparation et le premier contact avec la famille, "
    "en jours ouvrés du département (week-ends et jours fériés locaux exclus ; le jour de la "
    "déclaration ne compte pas). Premier contact : la première tentative de contact qui a joint la "
    "personne, ou la réalisation du rendez-vous des droits ou du contact du travailleur social si "
    "elle est antérieure. Population : les parcours dont la famille a été jointe (les autres ne "
    "sont pas comptés ; leur nombre se lit dans les délais respectés). Placé dans le mois de la "
    "déclaration. Ventilation : parcours standard ou protégé."
)


@indicators.register(
    code="pathways.first_contact_median",
    label="Délai jusqu'au premier contact — médiane",
    definition=f"Médiane : la moitié des familles jointes l'ont été en ce nombre de jours ou moins. {DELAY_DEFINITION}",
    unit=indicators.MEDIAN,
    breakdowns=("track",),
    value_unit="jours ouvrés",
    order=20,
)
def first_contact_median(window: Window):
    yield from _delay_cells(window)


@indicators.register(
    code="pathways.first_contact_p90",
    label="Délai jusqu'au premier contact — 90e centile",
    definition=f"90e centile : 90 % des familles jointes l'ont été en ce nombre de jours ou moins. {DELAY_DEFINITION}",
    unit=indicators.P90,
    breakdowns=("track",),
    value_unit="jours ouvrés",
    order=21,
)
def first_contact_p90(window: Window):
    yield from _delay_cells(window)


# --- deadlines -------------------------------------------------------------------------------


def _on_time(window: Window, kind: str):
    """Steps of `kind` that are due (closed, or past their deadline): on time = done by the deadline."""
    now = timezone.now()
    rows = (
        _steps(window, kind=kind)
        .exclude(status=PathwayStep.Status.WITHDRAWN)
        .exclude(outcome=PathwayStep.Outcome.NOT_APPLICABLE)
        .filter(Q(status=PathwayStep.Status.CLOSED) | Q(due_at__lt=now))
        .annotate(month=TruncMonth("pathway__declared_on"), track=STEP_TRACK)
        .values("department__code", "month", "track")
        .annotate(
            due=Count("id"),
            on_time=Count(
                "id",
                filter=Q(
                    status=PathwayStep.Status.CLOSED,
                    outcome=PathwayStep.Outcome.DONE,
                    closed_at__lte=F("due_at"),
                ),
            ),
        )
    )
    for row in rows:
        yield Cell(
            row["department__code"],
            _month(row["month"]),
            {"track": row["track"]},
            numerator=row["on_time"],
            denominator=row["due"],
        )


ON_TIME_POPULATION = (
    "Dénominateur : les étapes échues (terminées, ou dont l'échéance est passée), hors étapes "
    "retirées ou sans objet. Numérateur : celles réalisées au plus tard à leur échéance. Placé "
    "dans le mois de la déclaration ; ventilation : parcours standard ou protégé."
)


@indicators.register(
    code="pathways.rights_appointment_on_time",
    label="Rendez-vous des droits tenu dans le délai",
    definition=(
        "Part des rendez-vous des droits réalisés dans leur délai : 10 jours ouvrés après la "
        "déclaration, 5 jours ouvrés en parcours protégé. " + ON_TIME_POPULATION
    ),
    unit=indicators.SHARE,
    breakdowns=("track",),
    order=30,
)
def rights_appointment_on_time(window: Window):
    yield from _on_time(window, StepKind.RIGHTS_APPOINTMENT)


@indicators.register(
    code="pathways.social_worker_contact_on_time",
    label="Contact du travailleur social dans le délai",
    definition=(
        "Part des contacts proactifs d'un travailleur social réalisés dans leur délai : 15 jours "
        "calendaires après la déclaration, 72 heures en parcours protégé. " + ON_TIME_POPULATION
    ),
    unit=indicators.SHARE,
    breakdowns=("track",),
    order=31,
)
def social_worker_contact_on_time(window: Window):
    yield from _on_time(window, StepKind.SOCIAL_WORKER_CONTACT)


@indicators.register(
    code="pathways.take_up",
    label="Recours à chaque offre",
    definition=(
        "Part des offres acceptées par la famille : étapes terminées « réalisée » parmi les étapes "
        "terminées réalisées, déclinées ou dont la famille est restée injoignable (les étapes sans "
        "objet, retirées ou encore ouvertes ne comptent pas). Unité : foyers. Placé dans le mois de "
        "la déclaration ; ventilation : l'offre (rendez-vous des droits, contact du travailleur "
        "social, séance Parents après la séparation, information pension alimentaire, médiation)."
    ),
    unit=indicators.SHARE,
    breakdowns=("step",),
    order=40,
)
def take_up(window: Window):
    answered = (PathwayStep.Outcome.DONE, PathwayStep.Outcome.DECLINED, PathwayStep.Outcome.UNREACHABLE)
    rows = (
        _steps(window, kind__in=OFFERS, status=PathwayStep.Status.CLOSED, outcome__in=answered)
        .annotate(month=TruncMonth("pathway__declared_on"))
        .values("department__code", "month", "kind")
        .annotate(total=Count("id"), done=Count("id", filter=Q(outcome=PathwayStep.Outcome.DONE)))
    )
    for row in rows:
        yield Cell(
            row["department__code"],
            _month(row["month"]),
            {"step": row["kind"]},
            numerator=row["done"],
            denominator=row["total"],
        )


@indicators.register(
    code="pathways.staff_load",
    label="Charge des travailleurs sociaux — médiane",
    definition=(
        "Nombre d'étapes ouvertes confiées à chaque travailleur social, relevé le dernier jour du "
        "mois à minuit (aujourd'hui pour le mois en cours) ; médiane parmi les travailleurs "
        "sociaux qui ont au moins une étape ouverte ce jour-là. Unité : étapes par travailleur "
        "social. Compte des pratiques, non des personnes : pas de secret statistique."
    ),
    unit=indicators.MEDIAN,
    people=False,
    value_unit="étapes ouvertes",
    order=50,
)
def staff_load(window: Window):
    now = timezone.now()
    for month in window.months():
        moment = min(timezone.make_aware(datetime.combine(_next_month(month), time.min)), now)
        if moment < timezone.make_aware(datetime.combine(month, time.min)):
            continue
        qs = PathwayStep.objects.filter(
            responsible_role="social_worker", assignee__isnull=False, opened_at__lt=moment
        ).filter(Q(closed_at__isnull=True) | Q(closed_at__gte=moment))
        if window.departments:
            qs = qs.filter(department__code__in=window.departments)
        histograms: dict[str, Counter] = defaultdict(Counter)
        for code, _assignee, n in (
            qs.values("department__code", "assignee_id")
            .annotate(n=Count("id"))
            .values_list("department__code", "assignee_id", "n")
        ):
            histograms[code][n] += 1
        for code, histogram in histograms.items():
            yield Cell(code, month, {}, numerator=sum(histogram.values()), distribution=dict(histogram))
