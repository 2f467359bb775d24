"""Reads of the pathways module. Every function takes the acting user; the access policy scopes it.

Worklists (see docs/pathways.md):
- "Mes tâches": open steps assigned to me;
- "Mon équipe": open steps assigned to a colleague of my site (me included), and unassigned
  open steps whose role someone of my site holds, on files of my site or of no site;
  staff without a site form the team of their Caf's staff without a site;
- "En retard": the team's open steps past their deadline;
- "À échéance cette semaine": the team's open steps due from now to Sunday 23:59 (local time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from parcours.core import audit, page_memo, policy
from parcours.core.models import Site, User, UserRole
from parcours.households.models import Address, Household, Person
from parcours.households.timeline import TimelineEntry
from parcours.pathways.models import (
    ContactAttempt,
    ImportJob,
    Pathway,
    PathwayStep,
    PathwayTemplate,
    SeparationEvent,
    SituationChange,
    StepKind,
    TemplateStep,
)

OPEN = PathwayStep.Status.OPEN


class Worklist(StrEnum):
    MINE = "mine"
    TEAM = "team"
    LATE = "late"
    WEEK = "week"


WORKLIST_TITLES = {
    Worklist.MINE: "Mes tâches",
    Worklist.TEAM: "Mon équipe",
    Worklist.LATE: "En retard",
    Worklist.WEEK: "À échéance cette semaine",
}


def steps_visible_to(actor, permission: str = "pathways.view") -> QuerySet[PathwayStep]:
    """Steps of the actor's department, restricted files only when assigned (the policy decides).

    Written for the database's sake: a step carries its household's department, so the query
    stays on the steps' own indexes (open steps by assignee, or by department and deadline) and
    only sets aside the department's restricted households that the policy does not open to the
    actor (`policy.hidden_households`: a small set, read once per query from its own index)
    instead of looking up each step's household.
    """
    if not policy.can(actor, permission):
        return PathwayStep.objects.none()
    department_id = actor.organisation.department_id if getattr(actor, "organisation", None) else None
    hidden = policy.hidden_households(actor, permission)
    return PathwayStep.objects.filter(department_id=department_id).exclude(household_id__in=hidden)


def _team(actor) -> tuple[list[int], list[str]]:
    """(ids, roles) of the actor's team: active staff of the same site (or without a site). Memoised."""
    cached = actor.__dict__.get("_pathways_team")
    if cached is None:
        members = User.objects.filter(organisation_id=actor.organisation_id, is_active=True)
        members = (
            members.filter(site_id=actor.site_id) if actor.site_id else members.filter(site__isnull=True)
        )
        rows = UserRole.objects.filter(user__in=members).values_list("user_id", "role")
        cached = (sorted({user_id for user_id, _ in rows} | {actor.pk}), sorted({role for _, role in rows}))
        actor.__dict__["_pathways_team"] = cached
    return cached


def _team_filter(actor) -> Q:
    # Literal lists rather than subqueries: the worklists and their counts run on every page.
    members, roles = _team(actor)
    sites = Q(site_id=actor.site_id) | Q(site__isnull=True) if actor.site_id else Q(site__isnull=True)
    return Q(assignee_id__in=members) | (Q(assignee__isnull=True, responsible_role__in=roles) & sites)


def week_end(actor, now: datetime | None = None) -> datetime:
    """Sunday 23:59:59 of the current week, in the actor's department time zone."""
    department = actor.department
    today = timezone.localtime(now or timezone.now(), department.tzinfo).date()
    sunday = today + timedelta(days=6 - today.weekday())
    return datetime(sunday.year, sunday.month, sunday.day, 23, 59, 59, tzinfo=department.tzinfo)


def _base(actor, worklist: Worklist, now: datetime) -> QuerySet[PathwayStep]:
    qs = steps_visible_to(actor).filter(status=OPEN)
    if worklist == Worklist.MINE:
        return qs.filter(assignee=actor)
    qs = qs.filter(_team_filter(actor))
    if worklist == Worklist.LATE:
        qs = qs.filter(due_at__lt=now)
    elif worklist == Worklist.WEEK:
        qs = qs.filter(due_at__gte=now, due_at__lte=week_end(actor, now))
    return qs


@dataclass(frozen=True)
class WorklistFilters:
    kind: str = ""
    due_from: date | None = None
    due_to: date | None = None
    site: Site | None = None
    mine_only: bool = False


def worklist(
    actor, worklist: Worklist, filters: WorklistFilters | None = None, *, now=None
) -> QuerySet[PathwayStep]:
    """Open steps of one worklist, sorted by deadline, ready to display (declarant, assignee)."""
    now = now or timezone.now()
    filters = filters or WorklistFilters()
    qs = _base(actor, worklist, now)
    tz = actor.department.tzinfo
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.due_from:
        qs = qs.filter(
            due_at__gte=datetime(
                filters.due_from.year, filters.due_from.month, filters.due_from.day, tzinfo=tz
            )
        )
    if filters.due_to:
        end = filters.due_to + timedelta(days=1)
        qs = qs.filter(due_at__lt=datetime(end.year, end.month, end.day, tzinfo=tz))
    if filters.site is not None:
        qs = qs.filter(site=filters.site)
    if filters.mine_only:
        qs = qs.filter(assignee=actor)
    declarants = Person.objects.filter(is_declarant=True).only("household_id", "first_name", "last_name")
    # Prefetched, not joined: the database sorts the list's own rows and joins only the page's 25.
    return qs.prefetch_related(
        "assignee",
        Prefetch(
            "household", queryset=Household.objects.only("pk", "file_number", "department_id", "restricted")
        ),
        Prefetch("household__members", queryset=declarants, to_attr="declarants"),
    ).order_by("due_at", "pk")


COUNTS_TTL = 30  # seconds: the menu's counts may lag that much behind a colleague's work


def counts_cache_key(user) -> str:
    # The account's creation instant too: a reused id (a test base, a restored copy) gets no stale counts.
    return f"pathways:worklist-counts:{user.pk}:{user.date_joined.timestamp()}"


def worklist_counts(actor, *, now=None) -> dict[str, int]:
    """The four counts of the navigation, in one query.

    Kept for the request on the user object and for COUNTS_TTL seconds in the cache (every
    staff page shows them); the services forget them when a step changes hands or closes.
    """
    cached = actor.__dict__.get("_pathways_worklist_counts")
    if cached is not None:
        return cached
    key = counts_cache_key(actor)
    counts = cache.get(key) if now is None else None
    if counts is None:
        counts = _count_worklists(actor, now or timezone.now())
        if now is None:
            cache.set(key, counts, COUNTS_TTL)
    counts = {Worklist(k): v for k, v in counts.items()}
    actor.__dict__["_pathways_worklist_counts"] = counts
    return counts


def _count_worklists(actor, now) -> dict[str, int]:
    if not policy.can(actor, "pathways.view") or actor.department is None:
        return dict.fromkeys((w.value for w in Worklist), 0)
    team = _team_filter(actor)
    return (
        steps_visible_to(actor)
        .filter(status=OPEN)
        .filter(team | Q(assignee=actor))
        .aggregate(
            mine=Count("pk", filter=Q(assignee=actor)),
            team=Count("pk", filter=team),
            late=Count("pk", filter=team & Q(due_at__lt=now)),
            week=Count("pk", filter=team & Q(due_at__gte=now, due_at__lte=week_end(actor, now))),
        )
    )


def forget_counts(*users) -> None:
    """After a change of steps: the next page recounts (at once with a shared cache, else within COUNTS_TTL)."""
    cache.delete_many([counts_cache_key(u) for u in users if u is not None and getattr(u, "pk", None)])


def worklist_sites(actor) -> QuerySet[Site]:
    return Site.objects.filter(organisation_id=actor.organisation_id).order_by("name")


def record_worklist_view(actor, worklist: Worklist, steps) -> None:
    """Worklists show families' names: one audit entry per page, naming the files shown."""
    audit.record(
        actor,
        "pathways.worklist.viewed",
        data={"list": worklist.value, "households": sorted({s.household_id for s in steps})},
    )


def due_steps(
    actor, kind: str, *, due_by: date | None = None, postal_code: str = ""
) -> QuerySet[PathwayStep]:
    """Open steps of a kind, visible to the actor, sorted by deadline (e.g. workshop invitations to send).

    `due_by` keeps the steps due on or before that day (department time); None keeps them all.
    `postal_code` keeps the households with a member living there (a full or partial address: a
    postal code and town without a street still places a family near a session). A protected
    address has no ordinary address row, so it never answers this filter.
    """
    qs = steps_visible_to(actor).filter(status=OPEN, kind=kind, pathway__status=Pathway.Status.OPEN)
    if postal_code:
        qs = qs.filter(
            Exists(
                Address.objects.filter(person__household=OuterRef("household_id"), postal_code=postal_code)
            )
        )
    if due_by is not None:
        end = due_by + timedelta(days=1)
        qs = qs.filter(due_at__lt=datetime(end.year, end.month, end.day, tzinfo=actor.department.tzinfo))
    return qs.select_related("household__department", "pathway").order_by("due_at", "pk")


def due_workshop_invitation_steps(actor) -> QuerySet[PathwayStep]:
    """The "Parents après la séparation" invitations to send (the workshops module's entry point)."""
    return due_steps(actor, StepKind.WORKSHOP_INVITATION)


def timeline_for(actor, pk: int) -> tuple[Household, list[TimelineEntry]]:
    """A household's timeline (every module's entries, newest first); the consultation is audited."""
    from parcours.households import selectors as household_selectors
    from parcours.households import timeline

    household = household_selectors.household_for(actor, pk, permission="pathways.view", audited=False)
    audit.record(actor, "pathways.timeline.viewed", household)
    return household, timeline.entries_for(actor, household)


def violence_reported(household: Household) -> bool:
    """Whether the household's pathway in progress has violence reported.

    A yes/no for safety rules of other modules (never to share a session, never to message the
    other parent about the victim); it reveals nothing of the pathway itself.
    """
    if page_memo.active(household):  # the household page has read its pathways already
        return any(
            event.pathway.status == Pathway.Status.OPEN and event.pathway.violence_reported
            for event in _household_events(household)
            if _has_pathway(event)
        )
    return Pathway.objects.filter(
        household=household, status=Pathway.Status.OPEN, violence_reported=True
    ).exists()


def step_for(actor, pk: int, *, permission: str = "pathways.view", audited: bool = True) -> PathwayStep:
    step = get_object_or_404(
        steps_visible_to(actor, permission).select_related(
            "household__department",
            "pathway__template",
            "pathway__declarant",
            "assignee",
            "closed_by",
            "site",
        ),
        pk=pk,
    )
    if audited:
        audit.record(actor, "pathways.step.viewed", step)
    return step


def attempts_of(actor, step: PathwayStep) -> QuerySet[ContactAttempt]:
    """Contact attempts of a step (not audited: the step's page audits its opening, `step_for`)."""
    policy.require(actor, "pathways.view", step)
    return step.attempts.select_related("recorded_by").order_by("-attempted_at")


def pathway_for(actor, pk: int, *, permission: str = "pathways.view") -> Pathway:
    return get_object_or_404(
        policy.scope(
            actor, Pathway.objects.select_related("household__department", "template", "event"), permission
        ),
        pk=pk,
    )


def _household_events(household: Household) -> list[SeparationEvent]:
    """The household's declarations with their pathways and templates; read once per household page
    (the panel's current pathway, the timeline)."""
    return page_memo.shared(
        household,
        "pathways:events",
        lambda: list(SeparationEvent.objects.filter(household=household).select_related("pathway__template")),
    )


def _household_steps(household: Household) -> list[PathwayStep]:
    """Every step of the household's pathways in template order; read once per household page (the
    panel's steps, the timeline's closed steps and the labels of its contact attempts).

    Found through the pathways the page has read already, on the steps' pathway index: an index of
    steps by household would cost every imported step one more B-tree insert, for this page alone.
    """

    def read():
        pathways = [event.pathway.pk for event in _household_events(household) if _has_pathway(event)]
        if not pathways:
            return []
        return list(
            PathwayStep.objects.filter(pathway_id__in=pathways)
            .select_related("assignee", "closed_by")
            .order_by("pathway_id", "position")
        )

    return page_memo.shared(household, "pathways:steps", read)


def _has_pathway(event: SeparationEvent) -> bool:
    return getattr(event, "pathway", None) is not None


def current_pathway(actor, household: Household) -> Pathway | None:
    """The household's pathway in progress (the latest declaration), or its last one.

    A pathway is seen by whoever may see its household: the check is made once, on the household in
    hand, rather than by a subquery on every household page."""
    if not policy.can(actor, "pathways.view", household):
        return None
    pathways = [event.pathway for event in _household_events(household) if _has_pathway(event)]
    if not pathways:
        return None
    pathway = min(
        pathways, key=lambda p: (p.status != Pathway.Status.OPEN, -p.declared_on.toordinal(), -p.pk)
    )
    pathway.household = household
    return pathway


def steps_of(actor, pathway: Pathway) -> list[PathwayStep]:
    """The pathway's steps in template order (from the household page's shared read when there is one)."""
    policy.require(actor, "pathways.view", pathway)
    return [step for step in _household_steps(pathway.household) if step.pathway_id == pathway.pk]


# --- household timeline ---------------------------------------------------------------------


def _event_detail(event: SeparationEvent) -> str:
    parts = [f"séparation déclarée le {event.declared_on:%d/%m/%Y}"]
    parts.append(f"{event.children_count} enfant{'s' if event.children_count > 1 else ''}")
    if event.shared_home:
        parts.append("logement commun")
    if event.violence_reported:
        parts.append("violences signalées")
    return " ; ".join(parts)


def _change_detail(change: SituationChange) -> str:
    labels = {
        "violence_reported": "Violences signalées",
        "children_count": "Nombre d'enfants",
        "shared_home": "Logement commun",
    }
    parts = []
    for name, (old, new) in change.changes.items():
        if isinstance(new, bool):
            parts.append(f"{labels.get(name, name)} : {'oui' if new else 'non'}")
        else:
            parts.append(f"{labels.get(name, name)} : {old} → {new}")
    effects = change.effects or {}
    for key, title in (
        ("withdrawn", "étapes retirées"),
        ("added", "étapes ajoutées"),
        ("rescheduled", "échéances recalculées"),
    ):
        if effects.get(key):
            parts.append(f"{title} : {', '.join(effects[key])}")
    return " ; ".join(parts) + f". Motif : {change.reason}"


def register_probes() -> None:
    """Contact attempts and situation changes: most households have none (see page_memo)."""
    page_memo.register_probe(Household, "pathways:contact_attempts", ContactAttempt, "household")
    page_memo.register_probe(Household, "pathways:situation_changes", SituationChange, "household")


def timeline_entries(actor, household: Household) -> list[TimelineEntry]:
    """Events, steps, contact attempts and situation changes of a household's pathways."""
    if not policy.can(actor, "pathways.view", household):
        return []
    entries: list[TimelineEntry] = []
    events = _household_events(household)
    # Entries sharing an instant keep this order once sorted newest first: consequences before causes.
    for event in events:
        pathway = getattr(event, "pathway", None)
        if pathway is not None:
            if pathway.closed_at:
                entries.append(
                    TimelineEntry(pathway.closed_at, "change", "Parcours clôturé", pathway.closed_reason)
                )
            entries.append(
                TimelineEntry(pathway.opened_at, "change", "Parcours ouvert",
                              f"{pathway.template.name}, version {pathway.template.version}")
            )  # fmt: skip
        entries.append(
            TimelineEntry(event.received_at, "event", "Déclaration de séparation reçue", _event_detail(event),
                          extra={"source": event.get_source_display(), "external_id": event.external_id})
        )  # fmt: skip
    steps = _household_steps(household)
    labels = {step.pk: step.label for step in steps}
    for step in steps:
        if step.status == OPEN:
            continue
        if step.status == PathwayStep.Status.PAUSED:
            entries.append(
                TimelineEntry(step.paused_at, "step", f"Étape en pause : {step.label}",
                              "Traitement limité (RGPD art. 18)", "paused")
            )  # fmt: skip
            continue
        if step.status == PathwayStep.Status.WITHDRAWN:
            entries.append(
                TimelineEntry(
                    step.closed_at,
                    "step",
                    f"Étape retirée : {step.label}",
                    step.withdrawn_reason,
                    "withdrawn",
                )
            )
        else:
            by = f" par {step.closed_by.get_full_name()}" if step.closed_by else ""
            entries.append(
                TimelineEntry(step.closed_at, "step", f"{step.label} : {step.get_outcome_display().lower()}{by}",
                              step.note, step.outcome)
            )  # fmt: skip
    attempts = page_memo.rows(
        household,
        "pathways:contact_attempts",
        ContactAttempt.objects.filter(household=household).select_related("recorded_by"),
    )
    for attempt in attempts:
        by = f" par {attempt.recorded_by.get_full_name()}" if attempt.recorded_by else ""
        entries.append(
            TimelineEntry(attempt.attempted_at, "contact",
                          f"Contact ({attempt.get_channel_display().lower()}) : {attempt.get_result_display().lower()}{by}",
                          attempt.note, attempt.result,
                          extra={"step": labels.get(attempt.step_id) or attempt.step.label})
        )  # fmt: skip
    changes = page_memo.rows(
        household,
        "pathways:situation_changes",
        SituationChange.objects.filter(household=household).select_related("changed_by"),
    )
    for change in changes:
        entries.append(
            TimelineEntry(change.changed_at, "change", "Changement de situation", _change_detail(change))
        )
    return entries


# --- imports and templates -------------------------------------------------------------------


def import_jobs_for(actor) -> QuerySet[ImportJob]:
    return policy.scope(
        actor, ImportJob.objects.select_related("created_by", "department"), "pathways.import",
        household_path="", restricted="reference",
    )  # fmt: skip


def import_job_for(actor, pk: int) -> ImportJob:
    return get_object_or_404(import_jobs_for(actor), pk=pk)


def department_templates(actor) -> QuerySet[PathwayTemplate]:
    """Every version of the actor's department variant, newest first."""
    return policy.scope(
        actor, PathwayTemplate.objects.filter(department__isnull=False).select_related("created_by", "department"),
        "pathways.manage_templates", household_path="", restricted="reference",
    ).order_by("-version")  # fmt: skip


def template_for(actor, pk: int) -> PathwayTemplate:
    return get_object_or_404(department_templates(actor).prefetch_related(_ordered_steps()), pk=pk)


def _ordered_steps():
    return Prefetch("steps", queryset=TemplateStep.objects.order_by("position"))


def national_template() -> PathwayTemplate:
    """The national default in force (no personal data: any pilot may read it)."""
    return (
        PathwayTemplate.objects.filter(department__isnull=True, is_current=True)
        .prefetch_related(_ordered_steps())
        .get()
    )


def national_versions() -> QuerySet[PathwayTemplate]:
    return (
        PathwayTemplate.objects.filter(department__isnull=True)
        .select_related("created_by")
        .order_by("-version")
    )


def template_in_force(actor) -> PathwayTemplate:
    current = department_templates(actor).filter(is_current=True).prefetch_related(_ordered_steps()).first()
    return current or national_template()


def template_usage(template_ids) -> dict[int, int]:
    return dict(
        Pathway.objects.filter(template_id__in=list(template_ids))
        .values_list("template_id")
        .annotate(n=Count("pk"))
    )


def open_pathway_of_file(actor, department_code: str, file_number: str) -> Pathway | None:
    """The pathway in progress of a file the actor may see, before a new declaration replaces it.

    A file the actor cannot see (restricted) gives None: the warning must not reveal it.
    """
    return (
        policy.scope(actor, Pathway.objects.select_related("household", "event"), "pathways.view")
        .filter(
            household__department__code=department_code,
            household__file_number=file_number,
            status=Pathway.Status.OPEN,
        )
        .order_by("-declared_on")
        .first()
    )


# --- the local pilot's dashboard -------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineRate:
    closed: int
    on_time: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.on_time / self.closed) if self.closed else None


def department_load(actor, *, now: datetime | None = None) -> dict:
    """Late open steps by member of staff and by site, and how protected deadlines were met (90 days).

    Counts only, over the actor's department: the dashboard names staff and sites, never a family.
    """
    policy.require(actor, "pathways.pilot_dashboard")
    now = now or timezone.now()
    steps = PathwayStep.objects.filter(department__code=actor.department_code)
    late = steps.filter(status=OPEN, due_at__lt=now)
    by_staff = list(
        late.values("assignee_id", "assignee__first_name", "assignee__last_name")
        .annotate(n=Count("pk"))
        .order_by("-n", "assignee__last_name")
    )
    by_site = list(late.values("site_id", "site__name").annotate(n=Count("pk")).order_by("-n", "site__name"))
    since = now - timedelta(days=90)
    closed = steps.filter(status=PathwayStep.Status.CLOSED, closed_at__gte=since)
    protected = closed.filter(protected_deadline=True).aggregate(
        closed=Count("pk"), on_time=Count("pk", filter=Q(closed_at__lte=F("due_at")))
    )
    ordinary = closed.filter(protected_deadline=False).aggregate(
        closed=Count("pk"), on_time=Count("pk", filter=Q(closed_at__lte=F("due_at")))
    )
    return {
        "late_total": sum(row["n"] for row in by_staff),
        "late_by_staff": by_staff,
        "late_by_site": by_site,
        "protected": DeadlineRate(**protected),
        "ordinary": DeadlineRate(**ordinary),
        "since": since,
    }


def department_late_steps(actor, *, now: datetime | None = None) -> QuerySet[PathwayStep]:
    """The department's "En retard" list for its pilot: references and steps, no names."""
    policy.require(actor, "pathways.pilot_dashboard")
    now = now or timezone.now()
    return (
        PathwayStep.objects.filter(department__code=actor.department_code, status=OPEN, due_at__lt=now)
        .select_related("household__department", "assignee", "site")
        .order_by("due_at", "pk")
    )
