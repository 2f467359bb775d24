"""The report to the judge: figures of the period, incidents (dates and categories) and the
organisation's observations, in French, under the organisation's header. Never an address, a place or
a narrative: what the judge needs is what happened, not where the family lives."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from django.template.loader import render_to_string
from django.utils import timezone, translation

from parcours.accompaniment.models import Handover, Incident, JudgeReport


@dataclass
class Figures:
    planned: int = 0
    done: int = 0
    cancelled: dict[str, int] = field(default_factory=dict)
    not_presented: dict[str, int] = field(default_factory=dict)
    incidents: list[tuple] = field(default_factory=list)
    establishment: int = 0


def figures(report: JudgeReport) -> Figures:
    measure = report.measure
    tz = measure.tzinfo
    start = datetime.combine(report.period_start, time.min, tzinfo=tz)
    end = datetime.combine(report.period_end, time.max, tzinfo=tz)
    handovers = list(Handover.objects.filter(measure=measure, from_at__gte=start, from_at__lte=end))
    result = Figures(planned=len(handovers))
    labels = dict(Handover.CancelledBy.choices)
    for handover in handovers:
        if handover.outcome == Handover.Outcome.DONE:
            result.done += 1
        elif handover.outcome == Handover.Outcome.CANCELLED:
            label = labels.get(handover.cancelled_by, "Non précisé")
            result.cancelled[label] = result.cancelled.get(label, 0) + 1
            if handover.cancelled_by == Handover.CancelledBy.ESTABLISHMENT:
                result.establishment += 1
        elif handover.outcome == Handover.Outcome.NOT_PRESENTED:
            who = (
                "Parent chez qui l'enfant réside"
                if handover.absent_parent_id == measure.residential_parent_id
                else "Parent bénéficiaire du droit de visite"
            )
            result.not_presented[who] = result.not_presented.get(who, 0) + 1
    for incident in Incident.objects.filter(handover__in=handovers).select_related("handover"):
        result.incidents.append(
            (timezone.localtime(incident.handover.from_at, tz).date(), incident.get_category_display())
        )
    return result


def html(report: JudgeReport) -> str:
    measure = report.measure
    with translation.override("fr"), timezone.override(measure.tzinfo):
        return render_to_string(
            "accompaniment/judge_report.html",
            {
                "report": report,
                "measure": measure,
                "organisation": measure.map_organisation,
                "figures": figures(report),
                "children": list(measure.children.all()),
            },
        )


def pdf(report: JudgeReport) -> bytes:
    from parcours.protection.documents import render_pdf

    return render_pdf(html(report))
