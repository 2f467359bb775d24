"""Recording separation events and opening their pathways, one or a hundred thousand at a time.

The staff form, the file import and the API all go through `record_separations` (the form
through `record_separation`, its one-event form). It is idempotent on (department,
external_id), finds the household by (department, file_number) or creates it, and writes in
bulk: a fixed number of queries per chunk of events, never one per event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from parcours.core import audit, bulk, policy
from parcours.core.models import Department
from parcours.households.models import (
    Address,
    ContactChannel,
    Household,
    HouseholdAssignment,
    Person,
    ProtectedAddress,
    fold,
)
from parcours.pathways import rules
from parcours.pathways.imports import EventInput
from parcours.pathways.models import ImportJob, Pathway, PathwayStep, SeparationEvent
from parcours.pathways.selectors import forget_counts
from parcours.pathways.services.planning import Assigner, current_template, due_for

Source = SeparationEvent.Source
# Who may record events through each door; None = demo seeding. Files without an actor come
# from the operator's command line.
SOURCE_PERMISSIONS = {
    Source.FORM: "pathways.record_separation",
    Source.FILE: "pathways.import",
    Source.API: "pathways.api_submit",
    Source.DEMO: None,
}
# Column orders of the bulk inserts (see bulk.Table).
EVENT_FIELDS = ["id", "department", "external_id", "household", "received_at", "declared_on", "separated_on",
                "children_count", "youngest_child_birth_date", "shared_home", "violence_reported"]  # fmt: skip
PATHWAY_FIELDS = ["id", "household", "department", "event", "template", "status", "opened_at", "declared_on",
                  "closed_at", "closed_reason", "children_count", "shared_home", "violence_reported",
                  "violence_reported_at", "is_allocataire", "declarant"]  # fmt: skip
STEP_FIELDS = ["pathway", "household", "department", "template_step", "position", "kind", "label",
               "responsible_role", "assignee", "site", "base_on", "due_at", "protected_deadline", "opened_at"]  # fmt: skip
SITUATION_FLAGS = ("has_children", "violence_reported", "shared_home", "not_allocataire")
SUPERSEDED = "Une nouvelle déclaration de séparation a ouvert un autre parcours"


@dataclass(slots=True)
class RecordResult:
    line: int
    external_id: str
    department: str
    created: bool
    event_id: int | None = None
    pathway_id: int | None = None
    household_id: int | None = None
    duplicate_of_line: int | None = None


@dataclass
class OpeningReport:
    """Counts, and each event's result unless a file import did not ask for them (memory)."""

    results: list[RecordResult] = field(default_factory=list)
    created: int = 0
    existing: int = 0
    households_created: int = 0

    def add(self, results: list[RecordResult], keep: bool) -> None:
        created = sum(1 for r in results if r.created)
        self.created += created
        self.existing += len(results) - created
        if keep:
            self.results.extend(results)


def _check_actor(actor, source: str, events: Sequence[EventInput]) -> None:
    """The command line (no actor) imports files for any department; everyone else for their own."""
    permission = SOURCE_PERMISSIONS[source]
    if permission is None or (actor is None and source == Source.FILE):
        return
    policy.require(actor, permission)
    own = actor.department_code
    if any(event.department != own for event in events):
        raise PermissionDenied("Déclaration d'un autre département.")


@transaction.atomic
def record_separations(
    *,
    actor,
    events: Sequence[EventInput],
    source: str,
    source_label: str = "",
    import_job: ImportJob | None = None,
    site=None,
    progress: Callable[[int], None] | None = None,
    chunk_size: int | None = None,
    keep_results: bool = True,
    release_events: bool = False,
) -> OpeningReport:
    """Record checked events and open their pathways, all in one transaction.

    Events already recorded (same department and external_id, earlier or higher in the same
    batch) are reported as such and change nothing. Audit: one entry per pathway opened (its
    household's scope) and, for files and API batches, one summary entry.
    """
    _check_actor(actor, source, events)
    chunk_size = chunk_size or settings.PATHWAYS_IMPORT_CHUNK_SIZE
    if len(events) >= chunk_size:
        _widen_sqlite_cache()
    departments = {d.code: d for d in Department.objects.filter(code__in={e.department for e in events})}
    opener = _Opener(
        actor=actor,
        source=source,
        source_label=source_label,
        import_job=import_job,
        site=site,
        departments=departments,
    )
    report = OpeningReport()
    done = 0
    for start in range(0, len(events), chunk_size):
        chunk = events[start : start + chunk_size]
        report.add(opener.open_chunk(chunk), keep_results)
        done += len(chunk)
        if release_events:  # the caller hands the list over: what is written no longer takes memory
            events[start : start + chunk_size] = [None] * len(chunk)
        del chunk
        if progress is not None:
            progress(done)
    report.households_created = opener.households_created
    if source in (Source.FILE, Source.API) and report.created:
        _queue_information_sweep()
    if source in (Source.FILE, Source.API) and events:
        audit.record(
            actor,
            "pathways.import.completed",
            import_job,
            department=actor.department_code if actor is not None and actor.department_code else "",
            data={
                "source": source,
                "lines": len(events),
                "created": report.created,
                "already_imported": report.existing,
                "households_created": report.households_created,
            },
        )
    return report


def _widen_sqlite_cache() -> None:
    """A large import updates index pages all over: a 16 MB page cache (SQLite's default is 2 MB)
    keeps them in memory and makes it a third faster. It lasts as long as the connection."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -16384")


def _queue_information_sweep() -> None:
    from parcours.pathways.tasks import send_information_offers

    transaction.on_commit(send_information_offers.enqueue)


@transaction.atomic
def record_separation(*, actor, event: EventInput, source: str = Source.FORM) -> tuple[SeparationEvent, bool]:
    """One event (the staff form): returns the event and whether it was created now.

    The information on the offer (step 1) is queued in the same transaction, to the declarant.
    """
    from parcours.pathways.services.information import offer_information

    report = record_separations(actor=actor, events=[event], source=source, site=getattr(actor, "site", None))
    forget_counts(actor)
    result = report.results[0]
    recorded = SeparationEvent.objects.select_related("household__department", "pathway__declarant").get(
        pk=result.event_id
    )
    if result.created:
        offer_information(actor=actor, pathway=recorded.pathway)
    return recorded, result.created


@dataclass(slots=True)
class _Household:
    pk: int
    department: Department
    file_number: str
    restricted: bool
    is_allocataire: bool


class _Opener:
    def __init__(self, *, actor, source, source_label, import_job, site, departments):
        self.actor = actor
        self.user_id = actor.pk if getattr(actor, "pk", None) and hasattr(actor, "organisation_id") else None
        self.source = source
        self.source_label = source_label or (str(actor)[:120] if source == Source.API else "")
        self.import_job_id = import_job.pk if import_job is not None else None
        self.site_id = site.pk if site is not None else None
        self.departments = departments
        self.templates = {code: current_template(dep) for code, dep in departments.items()}
        self.template_steps = {code: list(t.steps.all()) for code, t in self.templates.items()}
        # The columns each new step copies from its template step, read once (not 5 attributes per step).
        self.step_rows = {
            code: [(s.pk, s.position, s.kind, s.label, s.responsible_role) for s in steps]
            for code, steps in self.template_steps.items()
        }
        self.calculator = rules.DeadlineCalculator()
        self.assigner = Assigner(
            [d.pk for d in departments.values()],
            prefer_user=self.user_id if source == Source.FORM else None,
        )
        self.seen: dict[str, dict[str, int]] = {
            code: {} for code in departments
        }  # external ids, per department
        self.applicable: dict = {}  # (department, situation) -> indexes of the template steps that apply
        self.dues: dict = {}  # (department, declared_on, violence instant) -> (due_at, protected) per step
        self.folded: dict[str, str] = {}
        self.households_created = 0

    # -- the chunk ---------------------------------------------------------------------------

    def open_chunk(self, chunk: Sequence[EventInput]) -> list[RecordResult]:
        now = timezone.now()
        results: list[RecordResult] = []
        fresh: list[EventInput] = []
        for event in chunk:
            seen = self.seen[event.department]
            if event.external_id in seen:
                results.append(
                    RecordResult(event.line, event.external_id, event.department, False,
                                 duplicate_of_line=seen[event.external_id])
                )  # fmt: skip
                continue
            seen[event.external_id] = event.line
            fresh.append(event)

        existing = self._existing_events(fresh)
        to_open = []
        for event in fresh:
            found = existing.get((event.department, event.external_id))
            if found is not None:
                event_id, pathway_id, household_id = found
                results.append(
                    RecordResult(event.line, event.external_id, event.department, False,
                                 event_id, pathway_id, household_id)
                )  # fmt: skip
            else:
                to_open.append(event)
        if not to_open:
            return results

        households, created_keys = self._households(to_open, now)
        declarant_of = self._people(to_open, households, created_keys, now)
        is_open = self._current_pathways(to_open, households, created_keys, now)
        restricted_staff = self._restricted_staff(households)

        event_ids = bulk.reserve_ids(SeparationEvent, len(to_open))
        pathway_ids = bulk.reserve_ids(Pathway, len(to_open))
        events = bulk.Table(SeparationEvent, EVENT_FIELDS, fixed={
            "source": self.source, "source_label": self.source_label, "recorded_by": self.user_id,
            "import_job": self.import_job_id,
        })  # fmt: skip
        pathways = bulk.Table(Pathway, PATHWAY_FIELDS, fixed={"site": self.site_id})
        steps = bulk.Table(PathwayStep, STEP_FIELDS, fixed={"status": PathwayStep.Status.OPEN})
        refs = []
        for event, event_id, pathway_id in zip(to_open, event_ids, pathway_ids, strict=True):
            household = households[(event.department, event.file_number)]
            department = household.department
            received_at = event.received_at or now
            events.add(
                event_id, department.pk, event.external_id, household.pk, received_at, event.declared_on,
                event.separated_on, event.children_count, event.youngest_child_birth_date, event.shared_home,
                event.violence_reported,
            )  # fmt: skip
            open_now = is_open[id(event)]
            violence_at = received_at if event.violence_reported else None
            pathways.add(
                pathway_id, household.pk, department.pk, event_id, self.templates[event.department].pk,
                Pathway.Status.OPEN if open_now else Pathway.Status.CLOSED, received_at, event.declared_on,
                None if open_now else now, "" if open_now else SUPERSEDED, event.children_count,
                event.shared_home, event.violence_reported, violence_at, household.is_allocataire,
                declarant_of[id(event)],
            )  # fmt: skip
            if open_now:
                self._steps(steps, event, household, pathway_id, received_at, violence_at,
                            restricted_staff.get(household.pk))  # fmt: skip
            # What `audit.describe` says of a pathway (Pathway.audit_ref and co.), without the instance.
            reference = Household.reference_for(department.code, household.file_number)
            refs.append((str(pathway_id), Pathway.audit_ref_for(pathway_id, reference), department.code,
                         f"household:{household.pk}"))  # fmt: skip
            results.append(
                RecordResult(
                    event.line, event.external_id, event.department, True, event_id, pathway_id, household.pk
                )
            )
        events.flush()
        pathways.flush()
        steps.flush()
        audit.record_described(
            self.actor,
            "pathways.pathway.opened",
            Pathway._meta.label_lower,
            refs,
            data={"source": self.source},
        )
        return results

    # -- lookups -----------------------------------------------------------------------------

    def _existing_events(self, events):
        found = {}
        codes = {d.pk: code for code, d in self.departments.items()}
        pairs = {(self.departments[e.department].pk, e.external_id) for e in events}
        for where in _by_department(pairs, "external_id"):
            rows = SeparationEvent.objects.filter(where).values_list(
                "department_id", "external_id", "pk", "pathway__pk", "household_id"
            )
            for department_id, external_id, pk, pathway_pk, household_id in rows:
                found[(codes[department_id], external_id)] = (pk, pathway_pk, household_id)
        return found

    def _households(self, events, now):
        households: dict[tuple[str, str], _Household] = {}
        by_id = {d.pk: (code, d) for code, d in self.departments.items()}
        pairs = {(self.departments[e.department].pk, e.file_number) for e in events}
        for where in _by_department(pairs, "file_number"):
            rows = Household.objects.filter(where).values_list(
                "pk", "department_id", "file_number", "restricted", "is_allocataire"
            )
            for pk, department_id, file_number, restricted, is_allocataire in rows:
                code, department = by_id[department_id]
                households[(code, file_number)] = _Household(
                    pk, department, file_number, restricted, is_allocataire
                )
        new_keys = []
        for event in events:
            key = (event.department, event.file_number)
            if key not in households:
                households[key] = _Household(0, self.departments[event.department], event.file_number, False,
                                             event.is_allocataire)  # fmt: skip
                new_keys.append(key)
        table = bulk.Table(Household, ["id", "department", "file_number", "is_allocataire"],
                           fixed={"created_at": now, "updated_at": now})  # fmt: skip
        for key, pk in zip(new_keys, bulk.reserve_ids(Household, len(new_keys)), strict=True):
            household = households[key]
            household.pk = pk
            table.add(pk, household.department.pk, household.file_number, household.is_allocataire)
        table.flush()
        self.households_created += len(new_keys)
        return households, set(new_keys)

    def _people(self, events, households, created_keys, now):
        """Declarant and other parent: added when the household does not know them, with their contacts.

        A person already on file keeps their address (it may be protected); contact channels
        are added unconfirmed: only staff mark a channel safe, with the person.
        """
        existing_ids = [h.pk for key, h in households.items() if key not in created_keys]
        known: dict[tuple[int, str], int] = {}
        for batch in _batches(existing_ids):
            for pk, household_id, search_name in Person.objects.filter(
                household_id__in=batch, role=Person.Role.PARENT
            ).values_list("pk", "household_id", "search_name"):
                known[(household_id, search_name)] = pk
        already_known = set(known.values())

        planned: list[tuple[tuple[int, str], str, str, object, bool]] = []
        declarant_keys = []
        person_ids: dict[tuple[int, str], int] = dict(known)
        for event in events:
            household = households[(event.department, event.file_number)]
            key = (household.pk, self._fold(f"{event.declarant_last_name} {event.declarant_first_name}"))
            declarant_keys.append(key)
            if key not in person_ids:
                person_ids[key] = 0
                planned.append((key, event.declarant_last_name, event.declarant_first_name,
                                event.declarant_birth_date, True))  # fmt: skip
            if event.other_parent_last_name:
                other = (
                    household.pk,
                    self._fold(f"{event.other_parent_last_name} {event.other_parent_first_name}"),
                )
                if other not in person_ids:
                    person_ids[other] = 0
                    planned.append(
                        (other, event.other_parent_last_name, event.other_parent_first_name, None, False)
                    )
        people = bulk.Table(
            Person,
            ["id", "household", "first_name", "last_name", "birth_date", "is_declarant", "search_name"],
            fixed={"role": Person.Role.PARENT, "created_at": now, "updated_at": now},
        )
        for (key, last_name, first_name, birth_date, is_declarant), pk in zip(
            planned, bulk.reserve_ids(Person, len(planned)), strict=True
        ):
            person_ids[key] = pk
            people.add(pk, key[0], first_name, last_name, birth_date, is_declarant, key[1])
        people.flush()

        # Contacts and address of the declarant; a person already on file is checked first.
        declarants = [(person_ids[key], event) for key, event in zip(declarant_keys, events, strict=True)]
        known_ids = sorted({pk for pk, _ in declarants if pk in already_known})
        known_values: set[tuple[int, str]] = set()
        has_address: set[int] = set()
        for batch in _batches(known_ids):
            known_values.update(
                ContactChannel.objects.filter(person_id__in=batch).values_list("person_id", "value")
            )
            has_address.update(
                Address.objects.filter(person_id__in=batch).values_list("person_id", flat=True)
            )
            has_address.update(
                ProtectedAddress.objects.filter(person_id__in=batch).values_list("person_id", flat=True)
            )
        contacts = bulk.Table(
            ContactChannel,
            ["person", "kind", "value"],
            fixed={"is_safe": False, "created_at": now, "updated_at": now},
        )
        addresses = bulk.Table(Address, ["person", "line", "postal_code", "city"], fixed={"updated_at": now})
        for person_id, event in declarants:
            if event.email and (person_id, event.email) not in known_values:
                known_values.add((person_id, event.email))
                contacts.add(person_id, ContactChannel.Kind.EMAIL, event.email)
            if event.phone and (person_id, event.phone) not in known_values:
                known_values.add((person_id, event.phone))
                kind = ContactChannel.Kind.SMS if event.phone_is_mobile else ContactChannel.Kind.PHONE
                contacts.add(person_id, kind, event.phone)
            if event.address_line and person_id not in has_address:
                has_address.add(person_id)
                addresses.add(person_id, event.address_line, event.postal_code, event.city)
        contacts.flush()
        addresses.flush()
        return {id(event): person_id for person_id, event in declarants}

    def _current_pathways(self, events, households, created_keys, now) -> dict[int, bool]:
        """Which new pathway stays open: the latest declaration of each household wins.

        An open pathway of an earlier declaration is closed (its open steps withdrawn, what was
        done stays); a declaration older than the pathway in progress opens a closed one.
        """
        by_household: dict[int, list[EventInput]] = defaultdict(list)
        for event in events:
            by_household[households[(event.department, event.file_number)].pk].append(event)
        existing_ids = [h.pk for key, h in households.items() if key not in created_keys]
        open_now: dict[int, list[tuple[int, object]]] = defaultdict(list)
        for batch in _batches(existing_ids):
            for pk, household_id, declared_on in Pathway.objects.filter(
                household_id__in=batch, status=Pathway.Status.OPEN
            ).values_list("pk", "household_id", "declared_on"):
                open_now[household_id].append((pk, declared_on))
        is_open: dict[int, bool] = {}
        to_close: list[int] = []
        for household_id, new_events in by_household.items():
            latest = max(new_events, key=lambda e: (e.declared_on, e.line))
            current = open_now.get(household_id, [])
            keeps_current = any(declared_on > latest.declared_on for _, declared_on in current)
            for event in new_events:
                is_open[id(event)] = event is latest and not keeps_current
            if not keeps_current:
                to_close.extend(pk for pk, _ in current)
        for batch in _batches(to_close):
            Pathway.objects.filter(pk__in=batch).update(
                status=Pathway.Status.CLOSED, closed_at=now, closed_reason=SUPERSEDED
            )
            PathwayStep.objects.filter(pathway_id__in=batch, status=PathwayStep.Status.OPEN).update(
                status=PathwayStep.Status.WITHDRAWN, closed_at=now, withdrawn_reason=SUPERSEDED
            )
        return is_open

    def _restricted_staff(self, households) -> dict[int, set[int]]:
        restricted = [h.pk for h in households.values() if h.restricted]
        staff: dict[int, set[int]] = {pk: set() for pk in restricted}
        for batch in _batches(restricted):
            for household_id, user_id in HouseholdAssignment.objects.filter(
                household_id__in=batch
            ).values_list("household_id", "user_id"):
                staff[household_id].add(user_id)
        return staff

    def _plan(self, event, household, violence_at):
        """(columns from the template step, (due_at, protected)) of each applicable step.

        Which steps apply depends on the situation only, and a step's deadline on the
        declaration day and the violence instant only: each is worked out once and shared,
        since few events share all four (a year of declaration days over 101 departments).
        """
        code = event.department
        situation = (
            event.children_count > 0,
            event.violence_reported,
            event.shared_home,
            not household.is_allocataire,
        )
        template_steps, step_rows = self.template_steps[code], self.step_rows[code]
        applicable = self.applicable.get((code, situation))
        if applicable is None:
            flags = dict(zip(SITUATION_FLAGS, situation, strict=True))
            applicable = self.applicable[(code, situation)] = [
                i for i, step in enumerate(template_steps) if rules.applies(step.conditions, flags)
            ]
        key = (code, event.declared_on, violence_at)
        dues = self.dues.get(key)
        if dues is None:
            dues = self.dues[key] = [None] * len(template_steps)
        plan = []
        for i in applicable:
            due = dues[i]
            if due is None:
                due = dues[i] = due_for(
                    self.calculator, household.department, template_steps[i], base_on=event.declared_on,
                    violence_reported=event.violence_reported, violence_reported_at=violence_at,
                )  # fmt: skip
            plan.append((step_rows[i], due))
        return plan

    def _fold(self, name: str) -> str:
        found = self.folded.get(name)
        if found is None:
            found = self.folded[name] = fold(name)
        return found

    def _steps(self, table, event, household, pathway_id, opened_at, violence_at, allowed) -> None:
        department_id, household_id, declared_on = household.department.pk, household.pk, event.declared_on
        pick, site_id, add = self.assigner.pick, self.site_id, table.add
        for (step_id, position, kind, label, role), (due_at, protected) in self._plan(
            event, household, violence_at
        ):
            chosen = pick(department_id, role, site_id=site_id, allowed=allowed)
            add(
                pathway_id, household_id, department_id, step_id, position, kind, label, role,
                chosen.user_id if chosen else None, (chosen.site_id if chosen else None) or site_id, declared_on,
                due_at, protected, opened_at,
            )  # fmt: skip


def _by_department(pairs, field: str, size: int = 800):
    """Filters on (department id, value) pairs: one query per `size` values whatever their
    departments (a file spans the 101 departments: one query each was a thousand round trips
    per 20,000 lines). Each department's values stay in their own clause, on the unique index."""
    pairs = sorted(pairs)
    for start in range(0, len(pairs), size):
        values = defaultdict(list)
        for department_id, value in pairs[start : start + size]:
            values[department_id].append(value)
        where = Q()
        for department_id, batch in values.items():
            where |= Q(department_id=department_id, **{f"{field}__in": batch})
        yield where


def _batches(items, size: int = 900):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]
