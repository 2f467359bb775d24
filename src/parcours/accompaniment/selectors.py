"""Reads of the MAP module: they take the actor, apply the policy (with its MAP record rules), and
audit the reads of a family's data."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from parcours.accompaniment.models import (
    Accompanist,
    FundingConvention,
    Handover,
    Incident,
    JudgeReport,
    MapOrganisation,
    Measure,
)
from parcours.core import audit, policy


def measures_for(actor):
    policy.require(actor, "accompaniment.view")
    qs = Measure.objects.select_related(
        "household__department",
        "map_organisation__partner",
        "referent",
        "residential_parent",
        "visiting_parent",
    )
    return policy.scope(actor, qs, "accompaniment.view")


def measure_for(actor, pk: int, permission: str = "accompaniment.view") -> Measure:
    policy.require(actor, permission)
    measure = get_object_or_404(
        Measure.objects.select_related(
            "household__department", "map_organisation__partner", "map_organisation__organisation"
        ),
        pk=pk,
    )
    policy.require(actor, permission, measure)
    audit.record(actor, "accompaniment.measure.viewed", measure)
    return measure


def order_file_for(actor, pk: int) -> Measure:
    """The judge's order attached to a measure, to download (404 without one); audited here."""
    measure = measure_for(actor, pk)
    if not measure.order_file:
        raise Http404
    audit.record(actor, "accompaniment.order.downloaded", measure)
    return measure


def handover_for(actor, pk: int, permission: str = "accompaniment.record_outcome") -> Handover:
    policy.require(actor, permission)
    handover = get_object_or_404(
        Handover.objects.select_related(
            "measure__household__department",
            "measure__map_organisation",
            "from_place",
            "to_place",
            "accompanist__user",
        ),
        pk=pk,
    )
    policy.require(actor, permission, handover)
    audit.record(actor, "accompaniment.handover.viewed", handover)
    return handover


def report_for(actor, pk: int) -> JudgeReport:
    policy.require(actor, "accompaniment.report")
    report = get_object_or_404(JudgeReport.objects.select_related("measure__household__department"), pk=pk)
    policy.require(actor, "accompaniment.report", report)
    return report


def week_bounds(tz, day: date) -> tuple[datetime, datetime, date]:
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time.min, tzinfo=tz)
    return start, datetime.combine(monday + timedelta(days=7), time.min, tzinfo=tz), monday


def handovers_of_measure(actor, measure: Measure):
    policy.require(actor, "accompaniment.view", measure)
    return measure.handovers.select_related(
        "from_place", "to_place", "accompanist__user", "from_parent", "to_parent"
    )


def my_handovers(actor, *, since: datetime | None = None):
    """An accompanist's own handovers (with the places they need), nothing else of the household."""
    policy.require(actor, "accompaniment.my_handovers")
    qs = Handover.objects.filter(accompanist__user=actor).select_related(
        "from_place", "to_place", "measure__household__department"
    )
    if since is not None:
        qs = qs.filter(to_at__gte=since)
    return qs.order_by("from_at")


def accompanists_of(actor, measure: Measure):
    """The organisation's accompanists a handover of the measure may be given to."""
    policy.require(actor, "accompaniment.view", measure)
    return Accompanist.objects.filter(
        map_organisation_id=measure.map_organisation_id, user__is_active=True
    ).select_related("user")


def incidents_of(actor, measure: Measure):
    """Incidents with their narrative: the organisation and the referent only (core.policy.RECORD_RULES)."""
    policy.require(actor, "accompaniment.view", measure)
    return Incident.objects.filter(handover__measure=measure).select_related("handover", "by_parent")


def missed_by_parent(actor, measure: Measure) -> dict[str, int]:
    policy.require(actor, "accompaniment.view", measure)
    rows = Handover.objects.filter(measure=measure)
    return {
        "residential": rows.filter(
            Q(outcome=Handover.Outcome.NOT_PRESENTED, absent_parent_id=measure.residential_parent_id)
            | Q(outcome=Handover.Outcome.CANCELLED, cancelled_by=Handover.CancelledBy.RESIDENTIAL)
        ).count(),
        "visiting": rows.filter(
            Q(outcome=Handover.Outcome.NOT_PRESENTED, absent_parent_id=measure.visiting_parent_id)
            | Q(outcome=Handover.Outcome.CANCELLED, cancelled_by=Handover.CancelledBy.VISITING)
        ).count(),
    }


def overview(actor) -> dict:
    """The local pilot's figures: measures by status and context, ending soon, incidents by category,
    load and convention of each organisation. Counts and references only, never a narrative."""
    policy.require(actor, "accompaniment.overview")
    code = actor.department_code
    measures = Measure.objects.filter(household__department__code=code)
    today = actor.department.local_today()
    organisations = MapOrganisation.objects.filter(partner__department__code=code).select_related("partner")
    conventions = {
        c.map_organisation_id: c
        for c in FundingConvention.objects.filter(map_organisation__in=organisations, year=today.year)
    }
    load = []
    for organisation in organisations:
        open_count = measures.filter(map_organisation=organisation, status=Measure.Status.ACTIVE).count()
        load.append(
            {"organisation": organisation, "open": open_count, "convention": conventions.get(organisation.pk)}
        )
    delays = _delays(measures)
    return {
        "delay_median": sorted(delays)[len(delays) // 2] if delays else None,
        "delay_count": len(delays),
        "by_status": list(measures.values("status").annotate(n=Count("pk")).order_by("status")),
        "by_context": list(measures.values("context").annotate(n=Count("pk")).order_by("context")),
        "ending_soon": list(
            measures.filter(
                status=Measure.Status.ACTIVE, ends_on__lte=today + timedelta(days=30)
            ).select_related("map_organisation__partner")
        ),
        "incidents": list(
            Incident.objects.filter(handover__measure__in=measures)
            .values("category")
            .annotate(n=Count("pk"))
            .order_by("category")
        ),
        "load": load,
        "today": today,
    }


def _delays(measures) -> list[int]:
    """Working days from the order to the first handover done, per measure that had one."""
    from django.utils import timezone

    from parcours.core import calendar

    first: dict[int, datetime] = {}
    for measure_id, at in (
        Handover.objects.filter(measure__in=measures, outcome=Handover.Outcome.DONE)
        .order_by("from_at")
        .values_list("measure_id", "from_at")
    ):
        first.setdefault(measure_id, at)
    delays = []
    for measure in measures.filter(pk__in=first).select_related("household__department"):
        department = measure.household.department
        day = timezone.localtime(first[measure.pk], department.tzinfo).date()
        delays.append(calendar.working_days_between(department, measure.order_date, day))
    return delays


def map_organisations(actor):
    return MapOrganisation.objects.filter(
        partner__department__code=actor.department_code, is_active=True, partner__is_active=True
    ).select_related("partner")
