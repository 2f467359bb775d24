"""Writes of the evaluation: the refresh of the pre-aggregates, the context figures."""

from __future__ import annotations

import time as clock
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from parcours.core import audit, indicators, policy
from parcours.evaluation.models import Aggregate, ContextFigure, Refresh, breakdown_key


def default_window() -> indicators.Window:
    """The months the nightly refresh recomputes: the last PARCOURS_EVALUATION_MONTHS, this one included."""
    today = timezone.localdate()
    months = settings.PARCOURS_EVALUATION_MONTHS
    index = today.year * 12 + today.month - 1 - (months - 1)
    return indicators.Window(date(index // 12, index % 12 + 1, 1), today.replace(day=1))


def compute_rows(window: indicators.Window) -> list[Aggregate]:
    """Every registered indicator's cells for the window, as unsaved rows (merged when a function
    yields the same cell twice)."""
    now = timezone.now()
    rows: dict[tuple, Aggregate] = {}
    for indicator in indicators.all_indicators():
        for cell in indicator.compute(window):
            key = (indicator.code, cell.department, cell.month, breakdown_key(cell.breakdown))
            row = rows.get(key)
            if row is None:
                rows[key] = Aggregate(
                    indicator=indicator.code,
                    department=cell.department,
                    month=cell.month,
                    breakdown_key=key[3],
                    breakdown=dict(cell.breakdown),
                    numerator=cell.numerator,
                    denominator=cell.denominator,
                    distribution={str(k): v for k, v in sorted(cell.distribution.items())}
                    if cell.distribution is not None
                    else None,
                    computed_at=now,
                )
                continue
            row.numerator += cell.numerator
            if cell.denominator is not None:
                row.denominator = (row.denominator or 0) + cell.denominator
            if cell.distribution:
                merged = {int(k): v for k, v in (row.distribution or {}).items()}
                for value, n in cell.distribution.items():
                    merged[value] = merged.get(value, 0) + n
                row.distribution = {str(k): v for k, v in sorted(merged.items())}
    return list(rows.values())


def refresh(
    *, actor=None, window: indicators.Window | None = None, trigger: str = Refresh.Trigger.COMMAND
) -> Refresh:
    """Recompute every indicator over the window and replace its stored rows in one transaction:
    readers see the previous rows until the new ones are committed (no lock on the readers)."""
    if actor is not None:
        policy.require(actor, "evaluation.refresh")
    window = window or default_window()
    started = clock.perf_counter()
    run = Refresh.objects.create(
        trigger=trigger, first_month=window.start, last_month=window.end, requested_by=actor
    )
    rows = compute_rows(window)
    with transaction.atomic():
        Aggregate.objects.filter(month__gte=window.start, month__lte=window.end).delete()
        Aggregate.objects.bulk_create(rows, batch_size=2000)
        run.rows, run.status = len(rows), Refresh.Status.DONE
        run.finished_at, run.seconds = timezone.now(), clock.perf_counter() - started
        run.save(update_fields=["rows", "status", "finished_at", "seconds"])
    from parcours.evaluation import publication

    publication.forget()
    if actor is not None:
        audit.record(actor, "evaluation.indicators.refreshed", run, data={"rows": len(rows)})
    return run


@transaction.atomic
def save_context_figure(*, actor, figure: ContextFigure) -> ContextFigure:
    """Create or update an official context figure (national pilot), audited with its source."""
    policy.require(actor, "evaluation.manage_context")
    created = figure.pk is None
    figure.updated_at, figure.updated_by = timezone.now(), actor
    figure.save()
    audit.record(
        actor,
        "evaluation.context_figure.created" if created else "evaluation.context_figure.updated",
        figure,
        data={"value": str(figure.value), "period": figure.period, "source": figure.source[:120]},
    )
    return figure
