"""Recording separation events and opening their pathways, one or a hundred thousand at a time.

The staff form, the file import and the API all go through `record_separations` (the form
through `record_separation`, its one-event form). It is idempotent on (department,
external_id), finds the household by (department, file_number) or creates it, and writes in
bulk: a fixed number of queries per chunk of events, never one per event.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from parcours.core import audit, bulk, policy
from parcours.core.errors import Invalid
from parcours.core.models import AuditEntry, Department
from parcours.core.roles import Role
from parcours.households.models import (
    Address,
    ContactChannel,
    ContactProposal,
    Household,
    HouseholdAssignment,
    Person,
    ProtectedAddress,
    fold,
)
from parcours.pathways import hooks, imports, rules
from parcours.pathways.imports import EventInput
from parcours.pathways.models import ImportJob, Pathway, PathwayStep, SeparationEvent
from parcours.pathways.selectors import forget_counts
from parcours.pathways.services.planning import Assigner, current_templates, due_for

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
# The tables an import writes. Every link of their rows has its database constraint (and the
# copied columns a composite one): parents are sent before their children (households, people,
# contacts, contact proposals and addresses, then events, pathways, steps, audit entries), so that the constraints,
# checked as each table is written in the background (bulk.Writer), always find them.
IMPORT_MODELS = (
    Household,
    Person,
    ContactChannel,
    ContactProposal,
    Address,
    SeparationEvent,
    Pathway,
    PathwayStep,
    AuditEntry,
)
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
    staff_loads: Callable[[], dict[int, int]] | None = None,
) -> OpeningReport:
    """Record checked events and open their pathways, all in one transaction.

    Events already recorded (same department and external_id, earlier or higher in the same
    batch) are reported as such and change nothing. Audit: one entry per pathway opened (its
    household's scope) and, for files and API batches, one summary entry. `staff_loads` gives
    the staff's open steps when they were counted beforehand (`planning.open_steps_in_background`).
    """
    _check_actor(actor, source, events)
    # RGPD art. 18, at every door (form, file, API): no declaration changes a limited person.
    limited = imports.limited_lines(events)
    if limited:
        raise Invalid(f"{len(limited)} déclaration(s) refusée(s) : {limited[0]}", errors=limited)
    chunk_size = chunk_size or settings.PATHWAYS_IMPORT_CHUNK_SIZE
    if len(events) >= chunk_size:
        _tune_for_a_large_batch()
    departments = {d.code: d for d in Department.objects.filter(code__in={e.department for e in events})}
    opener = _Opener(
        actor=actor,
        source=source,
        source_label=source_label,
        import_job=import_job,
        site=site,
        departments=departments,
        staff_loads=staff_loads,
    )
    total = len(events)
    report = opener.open(
        events, chunk_size=chunk_size, keep_results=keep_results, release_events=release_events,
        progress=progress,
    )  # fmt: skip
    if source in (Source.FILE, Source.API) and report.created:
        _queue_information_sweep()
    if source == Source.FILE and report.created:
        audit.seal_after_commit()  # the file's entries join the chain at once, not at the worker's next run
    if source in (Source.FILE, Source.API) and total:
        audit.record(
            actor,
            "pathways.import.completed",
            import_job,
            department=actor.department_code if actor is not None and actor.department_code else "",
            data={
                "source": source,
                "lines": total,
                "created": report.created,
                "already_imported": report.existing,
                "households_created": report.households_created,
            },
        )
    return report


def _tune_for_a_large_batch() -> None:
    """SQLite: a large import updates index pages all over; a 16 MB page cache (the default is
    2 MB) keeps them in memory and makes it a third faster. It lasts as long as the connection.
    PostgreSQL: a batch's lookups look costly to the planner, which compiled each of them
    (0.1 s, to look up 100,000 keys in an index in 0.3 s); no compilation in this transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA cache_size = -16384")
        elif connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")


def _queue_information_sweep() -> None:
    from parcours.pathways.services.information import sweep_information_offers

    transaction.on_commit(sweep_information_offers.enqueue)


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
    violence: bool = False  # violence on record (a report): every new pathway is a protected one


@dataclass
class _Plan:
    """What a batch opens, worked out before its first insert; lists are indexed like its events."""

    households: dict[tuple[str, str], _Household] = field(default_factory=dict)
    existing_household_ids: list[int] = field(default_factory=list)
    new_households: list[tuple[int, _Household]] = field(default_factory=list)  # (first event, household)
    new_person_events: array = field(default_factory=lambda: array("q"))  # the event that brings each
    new_person_is_declarant: bytearray = field(default_factory=bytearray)  # …as declarant, or other parent
    new_person_ids: Sequence[int] = ()
    declarant_of: Sequence[int] = ()
    tracked: set[int] = field(default_factory=set)  # declarants whose contacts and address are compared
    known_values: set[tuple[int, str]] = field(default_factory=set)  # contacts on file: (person, value)
    has_address: set[int] = field(default_factory=set)
    is_open: list[bool] = field(default_factory=list)
    restricted_staff: dict[int, set[int]] = field(default_factory=dict)
    event_ids: Sequence[int] = ()
    pathway_ids: Sequence[int] = ()
    audit_ids: Sequence[int] = ()
    signals: list[hooks.ViolenceSignal] = field(default_factory=list)  # declarations reporting violence
    # Families with violence on record (restricted, or a report): their contacts are only proposed.
    sensitive: set[tuple[str, str]] = field(default_factory=set)  # (department, file number)
    proposed: set[tuple[int, str]] = field(default_factory=set)  # (household, value) pending or written
    proposal_households: set[int] = field(default_factory=set)
    next_household: int = 0  # the first not yet written
    next_person: int = 0


class _Opener:
    def __init__(self, *, actor, source, source_label, import_job, site, departments, staff_loads=None):
        self.actor = actor
        self.user_id = actor.pk if getattr(actor, "pk", None) and hasattr(actor, "organisation_id") else None
        self.source = source
        self.form_user = self.user_id if source == Source.FORM else None
        self.source_label = source_label or (str(actor)[:120] if source == Source.API else "")
        self.import_job_id = import_job.pk if import_job is not None else None
        self.site_id = site.pk if site is not None else None
        self.departments = departments
        self.templates = current_templates(departments.values())
        self.template_steps = {code: list(t.steps.all()) for code, t in self.templates.items()}
        # The columns each new step copies from its template step, read once (not 5 attributes per step).
        self.step_rows = {
            code: [(s.pk, s.position, s.kind, s.label, s.responsible_role) for s in steps]
            for code, steps in self.template_steps.items()
        }
        self.calculator = rules.DeadlineCalculator()
        # Deadlines depend on the template and the calendar, which most departments share.
        self.calendars = {
            code: (self.templates[code].pk, dep.calendar_key) for code, dep in departments.items()
        }
        self.assigner = Assigner(
            [d.pk for d in departments.values()],
            prefer_user=self.user_id if source == Source.FORM else None,
            loads=staff_loads() if staff_loads is not None else None,
        )
        self.applicable: dict = {}  # (department, situation) -> indexes of the template steps that apply
        self.dues: dict = {}  # (template and calendar, declared_on, violence instant) -> (due_at, protected) per step
        self.plans: dict = {}  # (template and calendar, situation, declared_on, violence instant) -> _plan()
        self.folded: dict[str, str] = {}

    # -- the batch ---------------------------------------------------------------------------

    def open(self, events, *, chunk_size, keep_results, release_events, progress) -> OpeningReport:
        """Everything the database already knows about the batch is read first; then the rows
        are built chunk by chunk and written through a `bulk.Writer`, in the background for a
        large batch, so that the database writes one chunk while Python builds the next."""
        now = timezone.now()
        report = OpeningReport()
        total = len(events)
        skipped, to_open = self._skip_recorded(events)
        report.add(skipped, keep_results)
        if release_events:  # the caller hands the list over: what is written no longer takes memory
            events[:] = []
        if to_open:
            plan = self._plan_batch(to_open, now)
            # Audit entries are inserted like the other rows, without any lock; they are sealed
            # once the import has committed (record_separations).
            chain = audit.DescribedEntries(
                self.actor, "pathways.pathway.opened", Pathway._meta.label_lower, data={"source": self.source},
                ids=plan.audit_ids,
            )  # fmt: skip
            background = len(to_open) >= settings.PATHWAYS_IMPORT_BACKGROUND_MIN
            with bulk.Writer(background=background) as writer:
                for start, end in _chunks(len(to_open), chunk_size, tapered=background):
                    report.add(self._write_chunk(to_open, start, end, plan, chain, writer, now), keep_results)
                    if release_events:
                        to_open[start:end] = [None] * (end - start)
                    if progress is not None:
                        progress(total - len(to_open) + end)
            # Every violence signal protects its file at once, in this transaction (protection module).
            hooks.violence_signalled(actor=self.actor, source=self.source, signals=plan.signals)
            self._audit_proposals(plan)
            report.households_created = len(plan.new_households)
        elif progress is not None:
            progress(total)
        if keep_results:
            report.results.sort(key=lambda r: r.line)
        return report

    def _skip_recorded(self, events) -> tuple[list[RecordResult], list[EventInput]]:
        """Results of the events recorded earlier in the batch or in the base; the events to open."""
        results: list[RecordResult] = []
        fresh: list[EventInput] = []
        seen: dict[str, dict[str, int]] = {
            code: {} for code in self.departments
        }  # external ids, per department
        for event in events:
            lines = seen[event.department]
            if event.external_id in lines:
                results.append(
                    RecordResult(event.line, event.external_id, event.department, False,
                                 duplicate_of_line=lines[event.external_id])
                )  # fmt: skip
                continue
            lines[event.external_id] = event.line
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
        return results, to_open

    def _plan_batch(self, events, now) -> _Plan:
        """Every read and update the batch needs, before the first insert."""
        plan = _Plan()
        self._households(events, plan)
        self._people(events, plan)
        self._sensitive(plan)
        self._current_pathways(events, plan, now)
        self._restricted_staff(plan)
        plan.event_ids = bulk.reserve_ids(SeparationEvent, len(events))
        plan.pathway_ids = bulk.reserve_ids(Pathway, len(events))
        plan.audit_ids = bulk.reserve_ids(AuditEntry, len(events))
        return plan

    def _write_chunk(self, to_open, start, end, plan, chain, writer, now) -> list[RecordResult]:
        self._send_households_and_people(to_open, start, end, plan, writer, now)
        events = bulk.Table(SeparationEvent, EVENT_FIELDS, fixed={
            "source": self.source, "source_label": self.source_label, "recorded_by": self.user_id,
            "import_job": self.import_job_id,
        })  # fmt: skip
        pathways = bulk.Table(Pathway, PATHWAY_FIELDS, fixed={"site": self.site_id})
        steps = bulk.Table(PathwayStep, STEP_FIELDS, fixed={"status": PathwayStep.Status.OPEN})
        households, is_open, declarant_of = plan.households, plan.is_open, plan.declarant_of
        results = []
        for index in range(start, end):
            event = to_open[index]
            event_id, pathway_id = plan.event_ids[index], plan.pathway_ids[index]
            household = households[(event.department, event.file_number)]
            department = household.department
            received_at = event.received_at or now
            events.add(
                event_id, department.pk, event.external_id, household.pk, received_at, event.declared_on,
                event.separated_on, event.children_count, event.youngest_child_birth_date, event.shared_home,
                event.violence_reported,
            )  # fmt: skip
            open_now = is_open[index]
            # The event row keeps what the declaration said; the pathway is protected when it says
            # violence or when violence is on record for the family (whatever comes in next).
            violence = event.violence_reported or household.violence
            violence_at = received_at if violence else None
            pathways.add(
                pathway_id, household.pk, department.pk, event_id, self.templates[event.department].pk,
                Pathway.Status.OPEN if open_now else Pathway.Status.CLOSED, received_at, event.declared_on,
                None if open_now else now, "" if open_now else SUPERSEDED, event.children_count,
                event.shared_home, violence, violence_at, household.is_allocataire,
                declarant_of[index],
            )  # fmt: skip
            social_worker = None
            if open_now:
                social_worker = self._steps(
                    steps, event, household, pathway_id, received_at, violence_at,
                    plan.restricted_staff.get(household.pk),
                    protect=event.violence_reported and not household.restricted,
                )  # fmt: skip
            if event.violence_reported:
                plan.signals.append(
                    hooks.ViolenceSignal(
                        household.pk, declarant_of[index], pathway_id, social_worker, open_now
                    )
                )
            # What `audit.describe` says of a pathway (Pathway.audit_ref and co.), without the instance.
            reference = Household.reference_for(department.code, household.file_number)
            chain.add(str(pathway_id), Pathway.audit_ref_for(pathway_id, reference), department.code,
                      f"household:{household.pk}")  # fmt: skip
            results.append(
                RecordResult(
                    event.line, event.external_id, event.department, True, event_id, pathway_id, household.pk
                )
            )
        if writer.background:  # a large batch
            # The worklists' indexes take the steps by (department or assignee, deadline): in that
            # order, each index page is read and written once per chunk, not once per step (an
            # eighth less time per file at 500,000 pathways, on SQLite and on PostgreSQL alike).
            steps.rows.sort(key=_worklist_order)
        for table in (events, pathways, steps, chain.table):
            writer.send(table)
        return results

    # -- lookups and plans -------------------------------------------------------------------

    def _existing_events(self, events):
        found = {}
        codes = {d.pk: code for code, d in self.departments.items()}
        pairs = {(self.departments[e.department].pk, e.external_id) for e in events}
        rows = _find_by_department(
            pairs, "external_id", SeparationEvent, ["department_id", "external_id", "pk", "household_id"],
            linked=(Pathway, "event"),
        )  # fmt: skip
        for department_id, external_id, pk, household_id, pathway_pk in rows:
            found[(codes[department_id], external_id)] = (pk, pathway_pk, household_id)
        return found

    def _households(self, events, plan: _Plan) -> None:
        """Households on file, and those the batch creates (with their ids), in order of first mention."""
        households = plan.households
        by_id = {d.pk: (code, d) for code, d in self.departments.items()}
        pairs = {(self.departments[e.department].pk, e.file_number) for e in events}
        rows = _find_by_department(
            pairs,
            "file_number",
            Household,
            ["pk", "department_id", "file_number", "restricted", "is_allocataire"],
        )
        for pk, department_id, file_number, restricted, is_allocataire in rows:
            code, department = by_id[department_id]
            households[(code, file_number)] = _Household(
                pk, department, file_number, restricted, is_allocataire
            )
        plan.existing_household_ids = [h.pk for h in households.values()]
        with_violence = hooks.known_violence(plan.existing_household_ids)
        if with_violence:
            for household in households.values():
                household.violence = household.pk in with_violence
        for index, event in enumerate(events):
            key = (event.department, event.file_number)
            if key not in households:
                household = households[key] = _Household(
                    0, self.departments[event.department], event.file_number, False, event.is_allocataire
                )
                plan.new_households.append((index, household))
        for (_, household), pk in zip(
            plan.new_households, bulk.reserve_ids(Household, len(plan.new_households)), strict=True
        ):
            household.pk = pk

    def _people(self, events, plan: _Plan) -> None:
        """Declarant and other parent: added when the household does not know them.

        A person already on file keeps their address (it may be protected); their contacts
        and address on file are read here, so that only new values are added. New people are
        noted as (event, declarant or other parent) only: their columns are read from the
        event when written, which keeps a large batch's plan small.
        """
        known: dict[tuple[int, str], int] = {}
        for batch in _batches(plan.existing_household_ids):
            for pk, household_id, search_name in Person.objects.filter(
                household_id__in=batch, role=Person.Role.PARENT
            ).values_list("pk", "household_id", "search_name"):
                known[(household_id, search_name)] = pk
        person_of: dict[tuple[int, str], int] = dict(known)  # a person on file, or ~ its rank among the new
        declarants, again = [], set()
        new_events, new_flags = plan.new_person_events, plan.new_person_is_declarant
        for index, event in enumerate(events):
            household_id = plan.households[(event.department, event.file_number)].pk
            key = (household_id, self._fold(f"{event.declarant_last_name} {event.declarant_first_name}"))
            found = person_of.get(key)
            if found is None:
                found = person_of[key] = ~len(new_events)
                new_events.append(index)
                new_flags.append(1)
            else:
                again.add(found)
            declarants.append(found)
            if event.other_parent_last_name:
                other = (
                    household_id,
                    self._fold(f"{event.other_parent_last_name} {event.other_parent_first_name}"),
                )
                if other not in person_of:
                    person_of[other] = ~len(new_events)
                    new_events.append(index)
                    new_flags.append(0)
        ids = plan.new_person_ids = bulk.reserve_ids(Person, len(new_events))
        plan.declarant_of = array("q", (pk if pk > 0 else ids[~pk] for pk in declarants))
        known_declarants = sorted({pk for pk in declarants if pk > 0})
        # Only a declarant on file or met twice can already have a contact or an address.
        plan.tracked = set(known_declarants) | {pk if pk > 0 else ids[~pk] for pk in again}
        for batch in _batches(known_declarants):
            plan.known_values.update(
                ContactChannel.objects.filter(person_id__in=batch).values_list("person_id", "value")
            )
            plan.has_address.update(
                Address.objects.filter(person_id__in=batch).values_list("person_id", flat=True)
            )
            plan.has_address.update(
                ProtectedAddress.objects.filter(person_id__in=batch).values_list("person_id", flat=True)
            )

    def _send_households_and_people(self, to_open, start, end, plan, writer, now) -> None:
        """The households and people first mentioned in events [start, end), and the declarants'
        new contacts and address: written before the events that point to them."""
        table = bulk.Table(Household, ["id", "department", "file_number", "is_allocataire"],
                           fixed={"created_at": now, "updated_at": now})  # fmt: skip
        new = plan.new_households
        while plan.next_household < len(new) and new[plan.next_household][0] < end:
            household = new[plan.next_household][1]
            table.add(household.pk, household.department.pk, household.file_number, household.is_allocataire)
            plan.next_household += 1
        writer.send(table)
        people = bulk.Table(
            Person,
            ["id", "household", "first_name", "last_name", "birth_date", "is_declarant", "search_name"],
            fixed={"role": Person.Role.PARENT, "created_at": now, "updated_at": now},
        )
        new_events, ids = plan.new_person_events, plan.new_person_ids
        while plan.next_person < len(new_events) and new_events[plan.next_person] < end:
            event = to_open[new_events[plan.next_person]]
            household_id = plan.households[(event.department, event.file_number)].pk
            if plan.new_person_is_declarant[plan.next_person]:
                last, first, birth_date, is_declarant = (
                    event.declarant_last_name,
                    event.declarant_first_name,
                    event.declarant_birth_date,
                    True,
                )
            else:
                last, first, birth_date, is_declarant = (
                    event.other_parent_last_name,
                    event.other_parent_first_name,
                    None,
                    False,
                )
            people.add(ids[plan.next_person], household_id, first, last, birth_date, is_declarant,
                       self._fold(f"{last} {first}"))  # fmt: skip
            plan.next_person += 1
        writer.send(people)

        contacts = bulk.Table(
            ContactChannel,
            ["person", "kind", "value"],
            fixed={"is_safe": False, "created_at": now, "updated_at": now},
        )
        addresses = bulk.Table(Address, ["person", "line", "postal_code", "city"], fixed={"updated_at": now})
        known_values, has_address, tracked = plan.known_values, plan.has_address, plan.tracked
        sensitive, proposed = plan.sensitive, plan.proposed
        proposals = bulk.Table(
            ContactProposal,
            ["household", "person", "kind", "value", "address_ciphertext"],
            fixed={"source": self.source, "status": ContactProposal.Status.PENDING, "created_at": now},
        )

        def propose(household_id, person_id, kind, value, ciphertext=None) -> None:
            """A family with violence on record: the contact attaches to nobody, it is proposed to the
            assigned social worker (unless that person already has it, or it is already proposed)."""
            if (person_id, value) in known_values or (household_id, value) in proposed:
                return
            proposed.add((household_id, value))
            plan.proposal_households.add(household_id)
            proposals.add(household_id, person_id, kind, value, ciphertext)

        def new_contact(person_id, value) -> bool:
            """Only a tracked declarant (on file, or met twice) can already have this value."""
            if person_id not in tracked:
                return True
            if (person_id, value) in known_values:
                return False
            known_values.add((person_id, value))
            return True

        for index in range(start, end):
            event, person_id = to_open[index], plan.declarant_of[index]
            if sensitive and (event.department, event.file_number) in sensitive:
                household_id = plan.households[(event.department, event.file_number)].pk
                if event.email:
                    propose(household_id, person_id, ContactChannel.Kind.EMAIL, event.email)
                if event.phone:
                    kind = ContactChannel.Kind.SMS if event.phone_is_mobile else ContactChannel.Kind.PHONE
                    propose(household_id, person_id, kind, event.phone)
            else:
                if event.email and new_contact(person_id, event.email):
                    contacts.add(person_id, ContactChannel.Kind.EMAIL, event.email)
                if event.phone and new_contact(person_id, event.phone):
                    kind = ContactChannel.Kind.SMS if event.phone_is_mobile else ContactChannel.Kind.PHONE
                    contacts.add(person_id, kind, event.phone)
            # A postal code and town without a street line is kept too, as a partial address.
            if event.postal_code and person_id not in has_address:
                if sensitive and (event.department, event.file_number) in sensitive:
                    # Like the contacts: on no record; proposed, encrypted, to the social worker.
                    household_id = plan.households[(event.department, event.file_number)].pk
                    line, postal_code, city = event.address_line, event.postal_code, event.city
                    fingerprint = ContactProposal.address_fingerprint(line, postal_code, city)
                    if (household_id, fingerprint) not in proposed:
                        propose(household_id, person_id, ContactProposal.ADDRESS, fingerprint,
                                ContactProposal.encrypt_address(line, postal_code, city))  # fmt: skip
                    continue
                if person_id in tracked:
                    has_address.add(person_id)
                addresses.add(person_id, event.address_line, event.postal_code, event.city)
        writer.send(contacts)
        writer.send(proposals)
        writer.send(addresses)

    def _current_pathways(self, events, plan: _Plan, now) -> None:
        """Which new pathway stays open: the latest declaration of each household wins.

        An open pathway of an earlier declaration is closed (its open steps withdrawn, what was
        done stays); a declaration older than the pathway in progress opens a closed one.
        """
        by_household: dict[int, list[int]] = defaultdict(list)
        for index, event in enumerate(events):
            by_household[plan.households[(event.department, event.file_number)].pk].append(index)
        open_now: dict[int, list[tuple[int, object]]] = defaultdict(list)
        for batch in _batches(plan.existing_household_ids):
            for pk, household_id, declared_on in Pathway.objects.filter(
                household_id__in=batch, status=Pathway.Status.OPEN
            ).values_list("pk", "household_id", "declared_on"):
                open_now[household_id].append((pk, declared_on))
        is_open = plan.is_open = [False] * len(events)
        to_close: list[int] = []
        for household_id, indexes in by_household.items():
            latest = max(indexes, key=lambda i: (events[i].declared_on, events[i].line))
            current = open_now.get(household_id, [])
            keeps_current = any(declared_on > events[latest].declared_on for _, declared_on in current)
            if not keeps_current:
                is_open[latest] = True
                to_close.extend(pk for pk, _ in current)
        for batch in _batches(to_close):
            Pathway.objects.filter(pk__in=batch).update(
                status=Pathway.Status.CLOSED, closed_at=now, closed_reason=SUPERSEDED
            )
            PathwayStep.objects.filter(pathway_id__in=batch, status=PathwayStep.Status.OPEN).update(
                status=PathwayStep.Status.WITHDRAWN, closed_at=now, withdrawn_reason=SUPERSEDED
            )

    def _audit_proposals(self, plan: _Plan) -> None:
        """One entry per family whose declaration brought contacts held for the social worker."""
        if not plan.proposal_households:
            return
        held = {h.pk: h for h in plan.households.values() if h.pk in plan.proposal_households}
        audit.record_described(
            self.actor, "households.contact_proposal.held", Household._meta.label_lower,
            ((str(pk), f"Dossier {Household.reference_for(h.department.code, h.file_number)}", h.department.code,
              f"household:{pk}") for pk, h in sorted(held.items())),
            data={"source": self.source},
        )  # fmt: skip

    def _sensitive(self, plan: _Plan) -> None:
        """The families with violence on record in the batch, and the contacts already proposed for
        them (one query per 900 such families: an ordinary import reads nothing more)."""
        sensitive = {key: h.pk for key, h in plan.households.items() if h.pk and (h.restricted or h.violence)}
        plan.sensitive = set(sensitive)
        for batch in _batches(sorted(sensitive.values())):
            plan.proposed.update(
                ContactProposal.objects.filter(
                    household_id__in=batch, status=ContactProposal.Status.PENDING
                ).values_list("household_id", "value")
            )

    def _restricted_staff(self, plan: _Plan) -> None:
        restricted = [h.pk for h in plan.households.values() if h.restricted]
        staff = plan.restricted_staff = {pk: set() for pk in restricted}
        for batch in _batches(restricted):
            for household_id, user_id in HouseholdAssignment.objects.filter(
                household_id__in=batch
            ).values_list("household_id", "user_id"):
                staff[household_id].add(user_id)

    def _plan(self, event, household, violence_at):
        """(template step, position, kind, label, role, due_at, protected) of each applicable step.

        Which steps apply depends on the template and the situation only, and a step's deadline
        on the template, the calendar (shared by most departments), the declaration day and the
        violence instant only: each combination is worked out once and shared.
        """
        code = event.department
        violence = violence_at is not None
        situation = (
            event.children_count > 0,
            violence,
            event.shared_home,
            not household.is_allocataire,
        )
        calendar = self.calendars[code]
        key = (calendar, situation, event.declared_on, violence_at)
        plan = self.plans.get(key)
        if plan is not None:
            return plan
        template_steps, step_rows = self.template_steps[code], self.step_rows[code]
        applicable = self.applicable.get((code, situation))
        if applicable is None:
            flags = dict(zip(SITUATION_FLAGS, situation, strict=True))
            applicable = self.applicable[(code, situation)] = [
                i
                for i, step in enumerate(template_steps)
                if rules.step_applies(step.kind, step.conditions, flags)
            ]
        dues = self.dues.setdefault((calendar, event.declared_on, violence_at), [None] * len(template_steps))
        plan = self.plans[key] = []
        for i in applicable:
            due = dues[i]
            if due is None:
                due = dues[i] = due_for(
                    self.calculator, household.department, template_steps[i], base_on=event.declared_on,
                    violence_reported=violence, violence_reported_at=violence_at,
                )  # fmt: skip
            plan.append((*step_rows[i], *due))
        return plan

    def _fold(self, name: str) -> str:
        found = self.folded.get(name)
        if found is None:
            found = self.folded[name] = fold(name)
        return found

    def _steps(
        self, table, event, household, pathway_id, opened_at, violence_at, allowed, *, protect: bool = False
    ) -> int | None:
        """Add the pathway's steps; return the social worker it was given (None: none).

        `protect`: the declaration reports violence for a file not yet restricted. The file is
        restricted to the pathway's social worker (chosen first) and, for the form, the agent who
        recorded it: the other steps only go to them, never to staff who could not open the file.
        """
        department_id, household_id, declared_on = household.department.pk, household.pk, event.declared_on
        pick, site_id, add = self.assigner.pick, self.site_id, table.add
        social_worker = first = None
        if protect:
            first = pick(department_id, Role.SOCIAL_WORKER, site_id=site_id)
            allowed = {pk for pk in (first.user_id if first else None, self.form_user) if pk}
            social_worker = first.user_id if first else None
        for step_id, position, kind, label, role, due_at, protected in self._plan(
            event, household, violence_at
        ):
            if first is not None and role == Role.SOCIAL_WORKER:
                chosen, first = first, None
            else:
                chosen = pick(department_id, role, site_id=site_id, allowed=allowed)
            if chosen is not None and social_worker is None and role == Role.SOCIAL_WORKER:
                social_worker = chosen.user_id
            add(
                pathway_id, household_id, department_id, step_id, position, kind, label, role,
                chosen.user_id if chosen else None, (chosen.site_id if chosen else None) or site_id, declared_on,
                due_at, protected, opened_at,
            )  # fmt: skip
        return social_worker


_DEPARTMENT, _ASSIGNEE, _DUE_AT = (STEP_FIELDS.index(name) for name in ("department", "assignee", "due_at"))


def _worklist_order(row):
    return (row[_DEPARTMENT], row[_ASSIGNEE] or 0, row[_DUE_AT])


def _chunks(count: int, size: int, *, tapered: bool) -> list[tuple[int, int]]:
    """(start, end) of each chunk. Tapered, the last chunk is cut in halves (2,500, 1,250… down to
    a tenth of a chunk): the import waits for the writer only on the last, smallest piece."""
    bounds = [(start, min(start + size, count)) for start in range(0, count, size)]
    if not tapered or not bounds:
        return bounds
    start, end = bounds.pop()
    while end - start > max(1, size // 10):
        half = (end - start) // 2
        bounds.append((start, start + half))
        start += half
    bounds.append((start, end))
    return bounds


_SEPARATOR = "\x1f"  # the unit separator: the checks of external_id and file_number refuse it


def _find_by_department(
    pairs, field: str, model, columns: list[str], *, linked=None, size: int = 800
) -> list:
    """The `columns` of the rows of `model` whose (department id, `field`) is one of `pairs`, on
    the model's unique (department, field) index; with `linked` = (other model, its one-to-one
    field to `model`), the id of the other row that links to each, or None, as a last column.

    PostgreSQL: one query for the whole batch. The pairs travel as two texts that the server
    splits into arrays (Django binds parameters on the client, and a 100,000-value list was
    quoted value by value), and each pair is looked up in the index by itself (LATERAL …
    LIMIT 1): as a join, the planner read and hashed the whole table, its size growing with
    each file imported.
    SQLite: one query per `size` values whatever their departments (a file spans the 101
    departments: one query each was a thousand round trips per 20,000 lines).
    """
    pairs = sorted(pairs)
    if not pairs:
        return []
    if connection.vendor == "postgresql":
        return _find_on_postgresql(pairs, field, model, columns, linked)
    names = list(columns)
    if linked is not None:
        other, name = linked
        names.append(f"{other._meta.get_field(name).related_query_name()}__pk")
    rows = []
    for start in range(0, len(pairs), size):
        values = defaultdict(list)
        for department_id, value in pairs[start : start + size]:
            values[department_id].append(value)
        where = Q()
        for department_id, batch in values.items():
            where |= Q(department_id=department_id, **{f"{field}__in": batch})
        rows.extend(model.objects.filter(where).order_by().values_list(*names))
    return rows


def _find_on_postgresql(pairs, field, model, columns, linked) -> list:
    def column(of, name):
        return (of._meta.pk if name == "pk" else of._meta.get_field(name)).column

    values = _SEPARATOR.join(v for _, v in pairs)
    if values.count(_SEPARATOR) != len(pairs) - 1:
        raise ValueError(f"a {field} holds the unit separator, which validation refuses")
    selected = [f't."{column(model, name)}"' for name in columns]
    join = ""
    if linked is not None:
        other, name = linked
        selected.append("l.id")
        join = (
            f'LEFT JOIN LATERAL (SELECT o.id FROM "{other._meta.db_table}" o '  # noqa: S608
            f'WHERE o."{column(other, name)}" = t."{model._meta.pk.column}" LIMIT 1) l ON TRUE'
        )
    sql = (  # model table and column names; the values are parameters
        f"SELECT {', '.join(selected)} FROM unnest(string_to_array(%s, ',')::bigint[], "  # noqa: S608
        f"string_to_array(%s, chr(31))) AS k(department_id, value) "
        f'CROSS JOIN LATERAL (SELECT * FROM "{model._meta.db_table}" r WHERE r.department_id = k.department_id '
        f'AND r."{column(model, field)}" = k.value LIMIT 1) t {join}'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [",".join(str(d) for d, _ in pairs), values])
        return cursor.fetchall()


def _batches(items, size: int = 900):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]
