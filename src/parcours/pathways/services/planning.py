"""What a pathway's steps are, when they are due and who does them (shared by opening and re-evaluation)."""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from parcours.core.models import Department, Organisation, UserRole
from parcours.pathways import rules
from parcours.pathways.models import PathwayStep, PathwayTemplate, TemplateStep


def current_templates(departments) -> dict[str, PathwayTemplate]:
    """Department code -> its variant in force, else the national default; with their steps
    in order. Two queries whatever the number of departments (a file spans the 101)."""
    steps = Prefetch("steps", queryset=TemplateStep.objects.order_by("position"))
    departments = list(departments)
    found = (
        PathwayTemplate.objects.filter(is_current=True)
        .filter(Q(department__isnull=True) | Q(department__in=[d.pk for d in departments]))
        .prefetch_related(steps)
    )
    by_department = {template.department_id: template for template in found}
    national = by_department.get(None)
    if national is None:
        raise PathwayTemplate.DoesNotExist("Aucun modèle national de parcours en vigueur.")
    return {d.code: by_department.get(d.pk, national) for d in departments}


def local_date(department: Department, moment: datetime) -> date:
    return timezone.localtime(moment, department.tzinfo).date()


def due_for(
    calculator: rules.DeadlineCalculator,
    department: Department,
    step: TemplateStep,
    *,
    base_on: date,
    violence_reported: bool,
    violence_reported_at: datetime | None,
) -> tuple[datetime, bool]:
    """(due instant, whether the protected deadline applies).

    The normal deadline runs from `base_on` (the declaration, or the day the step was added).
    When violence is reported, the protected deadline runs from the moment the Caf learned
    of it, and applies when it falls earlier.
    """
    normal = normal_due(calculator, department, step, base_on=base_on)
    if violence_reported:
        protected = protected_due(calculator, department, step, violence_reported_at or timezone.now())
        if protected is not None and protected < normal:
            return protected, True
    return normal, False


def normal_due(
    calculator: rules.DeadlineCalculator, department: Department, step: TemplateStep, *, base_on: date
):
    return calculator.due(
        department, rules.Deadline(step.deadline_value, step.deadline_unit), base_on=base_on
    )


def protected_due(
    calculator: rules.DeadlineCalculator, department: Department, step: TemplateStep, moment: datetime
) -> datetime | None:
    """The protected deadline counted from `moment` (when the Caf learned of the violence), if the step has one."""
    if step.protected_deadline_value is None or not step.protected_deadline_unit:
        return None
    return calculator.due(
        department,
        rules.Deadline(step.protected_deadline_value, step.protected_deadline_unit),
        base_on=local_date(department, moment),
        base_at=moment,
    )


def open_steps_by_assignee(user_ids=None) -> dict[int, int]:
    """Each staff member's load: their open steps (of everyone assigned when `user_ids` is None)."""
    steps = PathwayStep.objects.filter(status=PathwayStep.Status.OPEN, assignee__isnull=False)
    if user_ids is not None:
        steps = steps.filter(assignee_id__in=user_ids)
    # order_by(): the steps' default order joins their pathways, for nothing here.
    return dict(steps.order_by().values_list("assignee_id").annotate(n=Count("id")))


def open_steps_in_background() -> Callable[[], dict[int, int]] | None:
    """Start counting the staff's loads on a connection of its own; None where it cannot be.

    The count reads every open step (over a second at a million pathways): a file import
    starts it before checking its lines, and the Python that checks them runs while
    PostgreSQL counts. Only outside any transaction: another connection sees what is
    committed, which is then everything the import's own transaction would see. Returns
    the function that waits for the loads.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parcours-staff-load")
    future = executor.submit(_count_and_disconnect)
    executor.shutdown(wait=False)
    return future.result


def _count_and_disconnect() -> dict[int, int]:
    try:
        return open_steps_by_assignee()
    finally:
        connection.close()  # this thread's own connection


@dataclass(frozen=True)
class Candidate:
    user_id: int
    site_id: int | None


class Assigner:
    """Gives each new step to the least-loaded active colleague holding its role.

    Preference order: the acting user when they hold the role (a step they will do at once),
    then colleagues of the pathway's site, then the whole department. Restricted households
    only go to staff assigned to them; with nobody assigned the step stays unassigned (the
    local pilot assigns staff to the file first).
    """

    def __init__(self, department_ids, *, prefer_user=None, loads: dict[int, int] | None = None):
        self.prefer = prefer_user
        self.candidates: dict[tuple[int, str], list[Candidate]] = defaultdict(list)
        rows = (
            UserRole.objects.filter(
                user__is_active=True,
                user__organisation__kind=Organisation.Kind.CAF,
                user__organisation__department_id__in=list(department_ids),
            )
            .values_list("user_id", "role", "user__site_id", "user__organisation__department_id")
            .order_by("user_id")
        )
        user_ids = set()
        for user_id, role, site_id, department_id in rows:
            self.candidates[(department_id, role)].append(Candidate(user_id, site_id))
            user_ids.add(user_id)
        self.load: dict[int, int] = dict.fromkeys(user_ids, 0)
        self.heaps: dict[tuple[int, str], list[tuple[int, int]]] = {}
        if user_ids:
            counts = open_steps_by_assignee(user_ids) if loads is None else loads
            self.load.update((pk, n) for pk, n in counts.items() if pk in self.load)

    def pick(
        self, department_id: int, role: str, *, site_id: int | None = None, allowed: set[int] | None = None
    ) -> Candidate | None:
        pool = self.candidates.get((department_id, role))
        if not pool:
            return None
        if allowed is not None:
            pool = [c for c in pool if c.user_id in allowed]
            if not pool:
                return None
        if self.prefer is not None:
            for candidate in pool:
                if candidate.user_id == self.prefer:
                    self.load[candidate.user_id] += 1
                    return candidate
        if site_id is None and allowed is None:
            return self._least_loaded(department_id, role, pool)
        if site_id is not None:
            pool = [c for c in pool if c.site_id == site_id] or pool
        load = self.load
        chosen = pool[0]
        best = load[chosen.user_id]
        for candidate in pool:  # candidates are sorted by id: the first of the least loaded wins
            current = load[candidate.user_id]
            if current < best:
                chosen, best = candidate, current
        load[chosen.user_id] = best + 1
        return chosen

    def _least_loaded(self, department_id: int, role: str, pool: list[Candidate]) -> Candidate:
        """The same choice as the scan above, from a heap of (load, rank by id) per pool: a file
        gives out hundreds of thousands of steps. Loads only grow, so an entry whose load is out
        of date (the colleague got a step from another pool) is put back with its load."""
        heap = self.heaps.get((department_id, role))
        if heap is None:
            heap = self.heaps[(department_id, role)] = [(self.load[c.user_id], i) for i, c in enumerate(pool)]
            heapq.heapify(heap)
        load = self.load
        while True:
            pushed, rank = heap[0]
            current = load[pool[rank].user_id]
            if current == pushed:
                break
            heapq.heapreplace(heap, (current, rank))
        chosen = pool[rank]
        load[chosen.user_id] = current + 1
        heapq.heapreplace(heap, (current + 1, rank))
        return chosen
