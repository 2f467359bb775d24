"""Reads of the workshops module. Staff reads take the acting user and go through the policy;
public reads return only published sessions and never who is registered."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from parcours.core import audit, page_memo, policy, secrecy
from parcours.core.compiled import CompiledRead
from parcours.core.models import Department, User
from parcours.core.roles import Role
from parcours.households.models import HouseholdAssignment
from parcours.workshops import geo, stats
from parcours.workshops.models import (
    Facilitation,
    Format,
    Invitation,
    Registration,
    SurveyResponse,
    Venue,
    WebinarServer,
    Workshop,
    WorkshopSeries,
)

# --- staff ------------------------------------------------------------------------------------------


def workshops_visible_to(actor, permission: str = "workshops.view") -> QuerySet[Workshop]:
    # A partner: the sessions they facilitate (core.policy.RECORD_RULES).
    return policy.scope(
        actor,
        Workshop.objects.select_related("department", "venue"),
        permission,
        household_path="",
        restricted="reference",
    )


def workshop_list(
    actor, *, period: str = "upcoming", format: str = "", status: str = ""
) -> QuerySet[Workshop]:
    now = timezone.now()
    qs = workshops_visible_to(actor)
    if period == "past":
        qs = qs.filter(starts_at__lt=now).order_by("-starts_at")
    else:
        # Sessions under way today stay in the upcoming list until the day is over.
        qs = qs.filter(starts_at__gte=now - timedelta(hours=8)).order_by("starts_at")
    if format:
        qs = qs.filter(format=format)
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(
        waiting=Count("registrations", filter=Q(registrations__status=Registration.Status.WAITING)),
    )


def workshop_for(actor, pk: int, permission: str = "workshops.view") -> Workshop:
    workshop = get_object_or_404(workshops_visible_to(actor, permission), pk=pk)
    policy.require(actor, permission, workshop, restricted="reference")
    return workshop


def registrations_visible_to(actor, permission: str = "workshops.register") -> QuerySet[Registration]:
    """Department scope; a registration from a restricted household is seen by its assigned staff only.

    A registration held for review may point to a family of another department (a parent of a 974
    family on a 92 webinar): the session's staff never see it, nor so learn that file and its violence.
    """
    qs = policy.scope(
        actor,
        Registration.objects.select_related("workshop__department", "workshop__venue", "household"),
        permission,
        household_path="workshop",
        restricted="reference",
    )
    assigned = HouseholdAssignment.objects.filter(user=actor).values("household_id")
    own_family = Q(household__department__code=actor.department_code) & (
        Q(household__restricted=False) | Q(household__in=assigned)
    )
    return qs.filter(Q(household__isnull=True) | own_family)


def registration_for(actor, pk: int, permission: str = "workshops.register") -> Registration:
    registration = get_object_or_404(registrations_visible_to(actor, permission), pk=pk)
    policy.require(actor, permission, registration)
    if registration.household_id:
        audit.record(actor, "workshops.registration.viewed", registration)
    return registration


def roster(actor, workshop: Workshop) -> list[Registration]:
    """The session's participants for its staff (first names, numbers, needs, attendance: no contact)."""
    policy.require(actor, "workshops.view", workshop, restricted="reference")
    return list(
        workshop.registrations.exclude(
            status__in=[
                Registration.Status.CANCELLED,
                Registration.Status.OFFER_DECLINED,
                Registration.Status.OFFER_EXPIRED,
            ]
        ).order_by("status", "waitlisted_at", "created_at", "pk")
    )


def workshop_counts(actor, workshop: Workshop) -> dict:
    policy.require(actor, "workshops.view", workshop, restricted="reference")
    rows = workshop.registrations.values("status").annotate(n=Count("pk"), people=Sum("party_size"))
    counts = {row["status"]: row for row in rows}
    present = workshop.registrations.filter(
        status=Registration.Status.CONFIRMED, attendance=Registration.Attendance.PRESENT
    ).count()
    return {
        "confirmed": counts.get(Registration.Status.CONFIRMED, {}).get("n", 0),
        "waiting": counts.get(Registration.Status.WAITING, {}).get("n", 0),
        "offered": counts.get(Registration.Status.OFFERED, {}).get("n", 0),
        "present": present,
    }


def facilitations(actor, workshop: Workshop) -> list[Facilitation]:
    policy.require(actor, "workshops.view", workshop, restricted="reference")
    return list(workshop.facilitations.select_related("user__organisation"))


def facilitator_choices(department) -> list:
    """The department's active staff who may facilitate a session (social workers, partners, pilot)."""
    return list(
        User.objects.filter(
            is_active=True,
            organisation__department=department,
            role_rows__role__in=[Role.SOCIAL_WORKER, Role.PARTNER, Role.LOCAL_PILOT],
        ).distinct()
    )


def facilitator_candidates(workshop_or_department):
    department = getattr(workshop_or_department, "department", workshop_or_department)
    return sorted(facilitator_choices(department), key=lambda u: (u.last_name, u.first_name))


def venues_for(actor) -> QuerySet[Venue]:
    return policy.scope(
        actor,
        Venue.objects.select_related("department"),
        "workshops.manage",
        household_path="",
        restricted="reference",
    )


def venue_for(actor, pk: int) -> Venue:
    return get_object_or_404(venues_for(actor), pk=pk)


def series_for(actor, pk: int) -> WorkshopSeries:
    return get_object_or_404(
        policy.scope(
            actor, WorkshopSeries.objects.select_related("department", "venue"), "workshops.view",
            household_path="", restricted="reference",
        ),
        pk=pk,
    )  # fmt: skip


def webinar_server_for(actor) -> WebinarServer | None:
    policy.require(actor, "workshops.configure")
    return WebinarServer.objects.filter(department=actor.department).first()


def invitations_visible_to(actor) -> QuerySet[Invitation]:
    return policy.scope(
        actor, Invitation.objects.select_related("household__department", "person", "registration__workshop"),
        "workshops.invite",
    )  # fmt: skip


def invitation_for(actor, pk: int) -> Invitation:
    return get_object_or_404(invitations_visible_to(actor), pk=pk)


def household_activity(actor, household) -> dict:
    """Invitations and registrations of a household's members, for its page (already authorised).

    Read once per household page: its panel and the timeline share them."""
    return page_memo.shared(household, "workshop_activity", lambda: _household_activity(household))


def _household_activity(household) -> dict:
    registrations = page_memo.rows(
        household,
        "workshops:registrations",
        Registration.objects.filter(household=household)
        .select_related("workshop__department", "workshop__venue", "person")
        .order_by("-created_at"),
    )
    invitations = page_memo.rows(
        household,
        "workshops:invitations",
        Invitation.objects.filter(household=household)
        .select_related("person", "registration")
        .order_by("-sent_at"),
    )
    return {"registrations": registrations, "invitations": invitations}


def register_probes() -> None:
    """Most households have no invitation and no registration yet (see page_memo)."""
    from parcours.households.models import Household

    page_memo.register_probe(Household, "workshops:registrations", Registration, "household")
    page_memo.register_probe(Household, "workshops:invitations", Invitation, "household")


def person_registrable(actor, pk: int):
    from parcours.households.models import Person

    person = get_object_or_404(
        policy.scope(actor, Person.objects.select_related("household__department"), "workshops.register"),
        pk=pk,
    )
    if person.role != Person.Role.PARENT:
        raise Http404
    return person


def open_workshops(department, *, exclude_pk: int | None = None) -> QuerySet[Workshop]:
    now = timezone.now()
    qs = Workshop.objects.filter(
        department=department, status=Workshop.Status.PUBLISHED, starts_at__gt=now
    ).select_related("department", "venue")
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.order_by("starts_at")


# --- public -----------------------------------------------------------------------------------------


def public_departments() -> list[dict]:
    """Departments with upcoming published sessions, and how many."""
    now = timezone.now()
    rows = (
        Workshop.objects.filter(status=Workshop.Status.PUBLISHED, starts_at__gt=now)
        .values("department__code", "department__name")
        .annotate(n=Count("pk"), online=Count("pk", filter=Q(format=Format.WEBINAR)))
        .order_by("department__code")
    )
    return [
        {"code": r["department__code"], "name": r["department__name"], "count": r["n"], "online": r["online"]}
        for r in rows
    ]


def public_department(code: str) -> Department:
    return get_object_or_404(Department, code=code)


def public_workshops(department: Department, *, format: str = "") -> QuerySet[Workshop]:
    qs = open_workshops(department)
    if format:
        qs = qs.filter(format=format)
    return qs


@dataclass(frozen=True)
class NearbyWorkshop:
    workshop: Workshop
    distance_km: float | None  # None: online only, or a place we cannot locate


def workshops_by_distance(workshops, postal_code: str) -> list[NearbyWorkshop] | None:
    """Sessions nearest first from a postal code (straight line to the place's commune); online-only
    sessions and places not located come after, in date order. None when the postal code itself is
    not located (the caller keeps the date order and says so)."""
    origin = geo.locate(postal_code)
    if origin is None:
        return None
    rows = []
    for workshop in workshops:
        place = None
        if workshop.format != Format.WEBINAR and workshop.venue_id:
            place = geo.locate(workshop.venue.postal_code, workshop.venue.city)
        rows.append(NearbyWorkshop(workshop, round(geo.distance_km(origin, place), 1) if place else None))
    return sorted(rows, key=lambda r: (r.distance_km is None, r.distance_km or 0, r.workshop.starts_at))


# Read on every public page of a session (the form's GET and POST): its SQL is built once per
# process (core.compiled), the ORM took six times longer to build it than the database to run it.
_PUBLIC_WORKSHOP = CompiledRead(
    lambda pk, code: Workshop.objects.select_related("department", "venue").filter(
        pk=pk,
        department__code=code,
        status__in=[Workshop.Status.PUBLISHED, Workshop.Status.CANCELLED, Workshop.Status.HELD],
    ),
    pk=-739_100_319,
    code="\x00department-code",
)
_BIGINT = 2**63


def public_workshop(code: str, pk: int) -> Workshop:
    """A published (or cancelled, to say so) session of the department; drafts do not exist publicly."""
    workshop = _PUBLIC_WORKSHOP.first(pk=pk, code=code) if -_BIGINT <= pk < _BIGINT else None
    if workshop is None:
        raise Http404("Aucune séance ne correspond.")
    return workshop


# --- comparison of formats --------------------------------------------------------------------------


@dataclass
class FormatRow:
    format: str
    label: str
    workshops: int = 0
    registered: int = 0
    present: int = 0
    turnout: stats.Interval | None = None
    answers: int = 0
    satisfaction: stats.Interval | None = None
    question_means: dict = field(default_factory=dict)
    shown: bool = False
    comments: list[str] = field(default_factory=list)


@dataclass
class Comparison:
    department: Department
    start: date
    end: date
    invited: int
    invited_registered: int
    invited_present: int
    invitation_rate: stats.Interval | None
    invitation_turnout: stats.Interval | None
    rows: list[FormatRow]
    threshold: int


def comparison_departments(actor) -> QuerySet[Department]:
    policy.require(actor, "workshops.compare")
    if actor.department_code:
        return Department.objects.filter(code=actor.department_code)
    from parcours.core.data.departments import PILOT_DEPARTMENTS

    return Department.objects.filter(code__in=PILOT_DEPARTMENTS)


def _bounds(department: Department, start: date, end: date) -> tuple[datetime, datetime]:
    tz = department.tzinfo
    return datetime.combine(start, time(0), tzinfo=tz), datetime.combine(end, time(23, 59, 59), tzinfo=tz)


def comparison(actor, *, department: Department, start: date, end: date) -> Comparison:
    """Invited → registered → attended, and satisfaction, by format; aggregates only.

    Rates carry Wilson 95 % intervals; mean satisfaction (mean of the 5 answers, 1 to 5) a Student t
    interval. Survey results of a format are shown only as statistical secrecy's survey rule allows
    (core.secrecy, rule SURVEY: PARCOURS_WORKSHOP_SURVEY_MIN_ANSWERS answers), and only for surveys
    already closed (no answer can still come in and be singled out).
    """
    if department not in comparison_departments(actor):
        raise Http404
    low, high = _bounds(department, start, end)
    held = Workshop.objects.filter(
        department=department, status=Workshop.Status.HELD, starts_at__range=(low, high)
    )
    confirmed = Registration.objects.filter(workshop__in=held, status=Registration.Status.CONFIRMED)
    rows = []
    for value, label in Format.choices:
        row = FormatRow(value, label)
        subset = confirmed.filter(workshop__format=value)
        row.workshops = held.filter(format=value).count()
        row.registered = subset.count()
        row.present = subset.filter(attendance=Registration.Attendance.PRESENT).count()
        row.turnout = stats.wilson(row.present, row.registered)
        rows.append(row)
    threshold = secrecy.threshold(secrecy.SURVEY)
    closed_before = timezone.localdate() - timedelta(days=settings.PARCOURS_WORKSHOP_SURVEY_DAYS)
    responses = SurveyResponse.objects.filter(
        department_code=department.code,
        session_month__gte=start.replace(day=1),
        session_month__lte=end,
        session_month__lt=closed_before.replace(day=1),
    )
    by_format = defaultdict(list)
    for response in responses:
        by_format[response.format].append(response)
    for row in rows:
        answers = by_format.get(row.format, [])
        row.answers = len(answers)
        row.shown = secrecy.shown(row.answers, rule=secrecy.SURVEY) is not None
        if row.shown:
            row.satisfaction = stats.mean_interval([a.score for a in answers])
            row.question_means = {
                q: sum(getattr(a, q) for a in answers) / len(answers) for q in SurveyResponse.QUESTIONS
            }
            # Sorted, not in arrival order: the order of comments must say nothing about who wrote them.
            row.comments = sorted(a.comment for a in answers if a.comment.strip())
    invitations = Invitation.objects.filter(household__department=department, sent_at__range=(low, high))
    invited = invitations.count()
    invited_registered = invitations.filter(registration__isnull=False).count()
    invited_present = invitations.filter(
        registration__status=Registration.Status.CONFIRMED,
        registration__attendance=Registration.Attendance.PRESENT,
    ).count()
    audit.record(
        actor,
        "workshops.comparison.viewed",
        department=department.code,
        data={"from": start.isoformat(), "to": end.isoformat()},
    )
    return Comparison(
        department=department,
        start=start,
        end=end,
        invited=invited,
        invited_registered=invited_registered,
        invited_present=invited_present,
        invitation_rate=stats.wilson(invited_registered, invited),
        invitation_turnout=stats.wilson(invited_present, invited_registered),
        rows=rows,
        threshold=threshold,
    )


def upcoming_for_home(actor, limit: int = 5) -> list[Workshop]:
    return list(
        workshops_visible_to(actor)
        .filter(starts_at__gte=timezone.now(), status__in=[Workshop.Status.PUBLISHED, Workshop.Status.DRAFT])
        .order_by("starts_at")[:limit]
    )


def prefetch_roster(qs):
    return qs.prefetch_related(
        Prefetch("registrations", queryset=Registration.objects.order_by("created_at"))
    )


# --- never the other parent's session -------------------------------------------------------------


def contact_variants(kind: str, value: str) -> list[str]:
    """The forms a contact may be stored in, in a fixed order."""
    return sorted(_contact_variants(kind, value))


def _contact_variants(kind: str, value: str) -> set[str]:
    """The forms a contact may be stored in: an e-mail in any case, a phone as typed or in E.164."""
    from parcours.core.phones import normalize_french_phone

    value = (value or "").strip()
    if not value:
        return set()
    if kind == Registration.Channel.EMAIL or "@" in value:
        return {value, value.lower()}
    e164 = normalize_french_phone(value)
    variants = {value}
    if e164 and e164.startswith("+33"):
        national = "0" + e164[3:]
        pairs = " ".join(national[i : i + 2] for i in range(0, 10, 2))
        variants |= {e164, national, pairs, pairs.replace(" ", "."), e164.replace("+33", "0033")}
    elif e164:
        variants.add(e164)
    return variants


def identity_key(last_name: str, first_name: str) -> str:
    """A public registrant's name as `Person.search_name` stores it ("" without a last name)."""
    from parcours.households.models import fold

    if not (last_name or "").strip() or not (first_name or "").strip():
        return ""
    return fold(f"{' '.join(last_name.split())} {' '.join(first_name.split())}")


def _sensitive_households():
    """Families with violence on record. The pathway test is correlated to the household, so that a
    query anchored on a few households (those of one contact) probes the pathway index for each of
    them instead of reading every open pathway with violence of the country."""
    from parcours.households.models import Household
    from parcours.pathways.models import Pathway

    return Household.objects.filter(
        Q(restricted=True)
        | Exists(
            Pathway.objects.filter(
                household_id=OuterRef("pk"), status=Pathway.Status.OPEN, violence_reported=True
            )
        )
    )


def _registrant_ids(*, person=None, variants=(), search_name: str = "", birth_date=None):
    """The person ids a registrant may be (the person, the owners of the contact, the persons with
    that name and birth date), each source read by its own index and united: an OR of subqueries
    would make the database scan every person. None: nothing to match."""
    from parcours.households.models import ContactChannel, Person

    sources = []
    if person is not None:
        sources.append(Person.objects.filter(pk=person.pk).order_by().values("pk"))
    if variants:
        sources.append(ContactChannel.objects.filter(value__in=variants).order_by().values("person_id"))
    if search_name and birth_date:
        sources.append(
            Person.objects.filter(search_name=search_name, birth_date=birth_date).order_by().values("pk")
        )
    if not sources:
        return None
    return sources[0].union(*sources[1:], all=True) if len(sources) > 1 else sources[0]


def other_parent_sessions(
    workshop_ids,
    *,
    person=None,
    contact_kind: str = "",
    contact_value: str = "",
    search_name: str = "",
    birth_date=None,
    exclude_pk: int | None = None,
) -> set[int]:
    """Among `workshop_ids`, the sessions where the other parent of a family with violence on record
    is registered — whoever the registrant is (the person, whoever owns the contact typed on the
    public page, or the parent with that name and birth date). One query, for one session or a whole
    list of choices.

    A family has violence on record when its file is restricted (every violence report restricts it)
    or its pathway in progress reports violence. The rule is symmetric: never both parents in one
    session, whichever registered first.
    """
    qs = other_parent_registrations(
        workshop_ids,
        person=person,
        contact_kind=contact_kind,
        contact_value=contact_value,
        search_name=search_name,
        birth_date=birth_date,
        exclude_pk=exclude_pk,
    )
    return set() if qs is None else set(qs.values_list("workshop_id", flat=True).distinct())


def other_parent_registrations(
    workshop_ids,
    *,
    person=None,
    contact_kind: str = "",
    contact_value: str = "",
    search_name: str = "",
    birth_date=None,
    exclude_pk: int | None = None,
    variants: list[str] | None = None,
) -> QuerySet[Registration] | None:
    """The active registrations behind `other_parent_sessions` (None: nobody to match), as a query
    that a caller may also nest, e.g. in `Exists()` to answer within a statement it runs anyway.
    `variants`: the contact's stored forms when the caller already has them (`contact_variants`)."""
    from parcours.households.models import ContactChannel, Person

    workshop_ids = list(workshop_ids)
    if variants is None:
        variants = _contact_variants(contact_kind, contact_value)
    ids = _registrant_ids(person=person, variants=variants, search_name=search_name, birth_date=birth_date)
    if not workshop_ids or ids is None:
        return None
    mine = Person.objects.filter(pk__in=ids, role=Person.Role.PARENT).values("pk")
    # Only the families of those persons are tested for violence on record.
    sensitive = _sensitive_households().filter(pk__in=mine.values("household_id"))
    others = Person.objects.filter(role=Person.Role.PARENT, household__in=sensitive).exclude(pk__in=mine)
    qs = Registration.objects.filter(workshop_id__in=workshop_ids, status__in=Registration.ACTIVE).filter(
        Q(person__in=others)
        | Q(contact_value__in=ContactChannel.objects.filter(person__in=others).values("value"))
        # …and the other parent registered on the public page under his name and birth date.
        | Q(
            Exists(
                Person.objects.filter(
                    pk__in=others.values("pk"),
                    search_name=OuterRef("search_name"),
                    birth_date=OuterRef("birth_date"),
                )
            ),
            birth_date__isnull=False,
        )  # fmt: skip
    )
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs


def sensitive_household_of(*, contact_kind: str, contact_value: str, search_name: str = "", birth_date=None):
    """The family (with violence on record) whose parent owns this contact, or bears this name and
    birth date, for a held registration (its staff are alerted)."""
    from parcours.households.models import Person

    variants = _contact_variants(contact_kind, contact_value)
    ids = _registrant_ids(variants=variants, search_name=search_name, birth_date=birth_date)
    if ids is None:
        return None
    parents = Person.objects.filter(pk__in=ids).values("household_id")
    return _sensitive_households().filter(pk__in=parents).order_by("pk").first()


def held_registrations(actor) -> QuerySet[Registration]:
    """Registrations held for review that the actor may see (the family's assigned staff)."""
    return (
        policy.scope(
            actor,
            Registration.objects.filter(status=Registration.Status.PENDING_REVIEW),
            "workshops.register",
        )
        .select_related("workshop")
        .order_by("workshop__starts_at", "pk")
    )
