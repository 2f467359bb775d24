"""Sessions and their organisation: places, the department's video server, sessions and series,
facilitators, webinar rooms, attendance and closing."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.rrule import MONTHLY, WEEKLY, rrule, weekday
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from parcours.core import audit, calendar, crypto, places, policy, schedule
from parcours.core.models import User
from parcours.workshops import messaging
from parcours.workshops.bbb import BBBError, Client
from parcours.workshops.models import (
    ON_SITE_FORMATS,
    ONLINE_FORMATS,
    Facilitation,
    Format,
    Registration,
    RoomKind,
    Venue,
    WebinarServer,
    Workshop,
    WorkshopSeries,
)
from parcours.workshops.selectors import facilitator_choices
from parcours.workshops.services.registrations import lock_workshop, promote_waiting_list

VENUE_FIELDS = (
    "name",
    "line",
    "postal_code",
    "city",
    "step_free",
    "hearing_loop",
    "access_notes",
    "is_active",
)
WORKSHOP_FIELDS = (
    "title",
    "format",
    "venue",
    "starts_at",
    "duration_minutes",
    "capacity",
    "registration_deadline",
    "languages",
    "public_notes",
    "room_url",
)
# A change of any of these moves the session for the people registered: new ICS, message.
MOVING_FIELDS = ("starts_at", "duration_minutes", "venue", "format")


# --- places and the video server --------------------------------------------------------------------


@transaction.atomic
def create_venue(*, actor, **values) -> Venue:
    policy.require(actor, "workshops.manage")
    venue = Venue(department=actor.department, **{k: v for k, v in values.items() if k in VENUE_FIELDS})
    venue.full_clean()
    venue.save()
    audit.record(actor, "workshops.venue.created", venue)
    return venue


@transaction.atomic
def update_venue(*, actor, venue: Venue, **values) -> Venue:
    policy.require(actor, "workshops.manage", venue, restricted="reference")
    for field, value in values.items():
        if field in VENUE_FIELDS:
            setattr(venue, field, value)
    venue.full_clean()
    venue.save()
    audit.record(actor, "workshops.venue.changed", venue)
    return venue


@transaction.atomic
def configure_webinar_server(
    *, actor, api_url: str, algorithm: str, enabled: bool, secret: str = ""
) -> WebinarServer:
    """The department's BigBlueButton server; the shared secret is encrypted and never shown again."""
    policy.require(actor, "workshops.configure")
    server = WebinarServer.objects.filter(department=actor.department).first()
    if server is None and not secret:
        raise ValidationError({"secret": "Saisissez le secret partagé du serveur (bbb-conf --secret)."})
    server = server or WebinarServer(department=actor.department)
    server.api_url = api_url
    server.algorithm = algorithm
    server.enabled = enabled
    server.updated_by = actor
    if secret:
        server.secret_ciphertext = crypto.encrypt(secret.strip())
    server.full_clean(exclude=["secret_ciphertext"])
    server.save()
    audit.record(actor, "workshops.webinar_server.configured", server, data={"secret_changed": bool(secret)})
    return server


def bbb_client(department, *, transport=None) -> Client | None:
    server = WebinarServer.objects.filter(department=department, enabled=True).first()
    if server is None:
        return None
    return Client(
        server.api_url,
        crypto.decrypt(server.secret_ciphertext),
        server.algorithm,
        transport=transport or TRANSPORT.get("default"),
        timeout=settings.PARCOURS_WORKSHOP_BBB_TIMEOUT,
    )


logger = logging.getLogger("parcours.workshops")

# Tests replace the transport here (a fake BigBlueButton server); None means the real HTTP client.
TRANSPORT: dict = {"default": None}


# --- sessions ---------------------------------------------------------------------------------------


def _validate(workshop: Workshop, *, now) -> None:
    errors: dict[str, str] = {}
    if workshop.format in ON_SITE_FORMATS and workshop.venue_id is None:
        errors["venue"] = "Choisissez le lieu d'une séance en salle ou hybride."
    if workshop.venue_id and workshop.venue.department_id != workshop.department_id:
        errors["venue"] = "Ce lieu n'appartient pas à votre département."
    if workshop.format == Format.IN_PERSON and workshop.room_url:
        errors["room_url"] = "Une séance en salle n'a pas de lien de connexion."
    if (
        workshop.registration_deadline
        and workshop.starts_at
        and workshop.registration_deadline > workshop.starts_at
    ):
        errors["registration_deadline"] = "La clôture des inscriptions doit précéder le début de la séance."
    if workshop.capacity is not None and workshop.capacity < workshop.seats_taken:
        errors["capacity"] = (
            f"{workshop.seats_taken} places sont déjà attribuées : la capacité ne peut pas être inférieure."
        )
    unknown = set(workshop.languages or []) - {code for code, _ in settings_languages()}
    if unknown:
        errors["languages"] = "Langue inconnue."
    if errors:
        raise ValidationError(errors)


class HolidayToConfirm(ValidationError):
    """A session (or some sessions of a series) falls on a public holiday of its department.

    Not a refusal: the staff member confirms (`holiday_confirmed=True`) or picks another day. The
    calendar is the one deadlines count with (core.calendar: the department's own days, e.g. La
    Réunion's 20 December).
    """

    def __init__(self, department, days: list[tuple[date, str]]):
        self.days = days
        named = ", ".join(f"le {_french_day(day)} ({name})" for day, name in days)
        verb = "est un jour férié" if len(days) == 1 else "sont des jours fériés"
        super().__init__(
            f"{named[0].upper()}{named[1:]} {verb} {places.in_place(department)} : "
            "confirmez pour garder cette date, ou choisissez-en une autre."
        )


def _french_day(day: date) -> str:
    from django.utils import dateformat, translation

    from parcours.core.templatetags.french_dates import ordinal

    with translation.override("fr"):
        return ordinal(dateformat.format(day, "l j F Y"))


def holidays_on(department, days) -> list[tuple[date, str]]:
    """(day, name) of each of `days` that is a public holiday in the department."""
    found = []
    for day in sorted(set(days)):
        name = calendar.public_holidays(department, day.year).get(day)
        if name:
            found.append((day, name))
    return found


def _check_holiday(workshop: Workshop, *, confirmed: bool) -> None:
    if confirmed or workshop.starts_at is None:
        return
    days = holidays_on(workshop.department, [workshop.local_start().date()])
    if days:
        raise HolidayToConfirm(workshop.department, days)


def settings_languages():
    from parcours.workshops.models import LANGUAGES

    return LANGUAGES


@transaction.atomic
def create_workshop(
    *,
    actor,
    publish: bool = False,
    series: WorkshopSeries | None = None,
    holiday_confirmed: bool = False,
    **values,
) -> Workshop:
    """A session; on a public holiday of the department, only once the actor confirmed it."""
    policy.require(actor, "workshops.manage")
    now = timezone.now()
    workshop = Workshop(
        department=actor.department,
        series=series,
        created_by=actor,
        **{k: v for k, v in values.items() if k in WORKSHOP_FIELDS},
    )
    if workshop.registration_deadline is None and workshop.starts_at is not None:
        workshop.registration_deadline = Workshop.closing_time(workshop.starts_at, workshop.tzinfo)
    if workshop.starts_at is not None and workshop.starts_at <= now:
        raise ValidationError({"starts_at": "La séance doit avoir lieu dans le futur."})
    if workshop.room_url:
        workshop.room_kind = RoomKind.MANUAL
    _validate(workshop, now=now)
    workshop.full_clean(exclude=["department", "series", "venue", "created_by"])
    _check_holiday(workshop, confirmed=holiday_confirmed)
    if publish:
        workshop.status = Workshop.Status.PUBLISHED
    workshop.save()
    audit.record(actor, "workshops.workshop.created", workshop, data={"published": publish})
    return workshop


@transaction.atomic
def update_workshop(*, actor, workshop: Workshop, holiday_confirmed: bool = False, **values) -> Workshop:
    """Edit a session. Moving it (date, time, place, format) notifies the people registered.

    Moving it to another day that is a public holiday asks for confirmation (`holiday_confirmed`)."""
    policy.require(actor, "workshops.manage", workshop, restricted="reference")
    now = timezone.now()
    workshop = lock_workshop(workshop.pk)
    if workshop.status in (Workshop.Status.CANCELLED, Workshop.Status.HELD):
        raise ValidationError("Une séance annulée ou tenue ne se modifie plus.")
    before = {f: getattr(workshop, f) for f in WORKSHOP_FIELDS}
    for field, value in values.items():
        if field in WORKSHOP_FIELDS:
            setattr(workshop, field, value)
    if "registration_deadline" in values and values["registration_deadline"] is None:
        workshop.registration_deadline = Workshop.closing_time(workshop.starts_at, workshop.tzinfo)
    if workshop.room_url and workshop.room_kind != RoomKind.BBB:
        workshop.room_kind = RoomKind.MANUAL
    elif not workshop.room_url and workshop.room_kind == RoomKind.MANUAL:
        workshop.room_kind = RoomKind.NONE
    if workshop.starts_at != before["starts_at"] and workshop.starts_at <= now:
        raise ValidationError({"starts_at": "La séance doit avoir lieu dans le futur."})
    _validate(workshop, now=now)
    workshop.full_clean(exclude=["department", "series", "venue", "created_by"])
    old_day = timezone.localtime(before["starts_at"], workshop.tzinfo).date() if before["starts_at"] else None
    if workshop.local_start().date() != old_day:
        _check_holiday(workshop, confirmed=holiday_confirmed)
    changed = [f for f in WORKSHOP_FIELDS if getattr(workshop, f) != before[f]]
    if not changed:
        return workshop
    moved = [f for f in MOVING_FIELDS if f in changed]
    if moved:
        workshop.sequence += 1
    workshop.save()
    audit.record(actor, "workshops.workshop.changed", workshop, data={"fields": changed})
    if moved and workshop.status == Workshop.Status.PUBLISHED:
        for registration in workshop.registrations.filter(status__in=Registration.ACTIVE):
            registration.workshop = workshop
            messaging.workshop_moved(registration, actor=actor)
    if "capacity" in changed and workshop.capacity > before["capacity"]:
        promote_waiting_list(workshop, now, actor=actor)
    return workshop


@transaction.atomic
def publish_workshop(*, actor, workshop: Workshop) -> Workshop:
    policy.require(actor, "workshops.manage", workshop, restricted="reference")
    workshop = lock_workshop(workshop.pk)
    if workshop.status != Workshop.Status.DRAFT:
        raise ValidationError("Seule une séance en brouillon peut être publiée.")
    if workshop.starts_at <= timezone.now():
        raise ValidationError("Cette séance est passée : elle ne peut plus être publiée.")
    _validate(workshop, now=timezone.now())
    workshop.status = Workshop.Status.PUBLISHED
    workshop.save(update_fields=["status", "updated_at"])
    audit.record(actor, "workshops.workshop.published", workshop)
    return workshop


@dataclass
class SeriesPublication:
    published: list[Workshop]
    refused: list[tuple[Workshop, ValidationError]]


def publish_series(*, actor, series: WorkshopSeries) -> SeriesPublication:
    """Publish the series' future drafts, each in its own transaction.

    A session that cannot be published (no place yet, for example) is reported and does not hold
    back the others: the ones published stay published.
    """
    policy.require(actor, "workshops.manage", series)
    outcome = SeriesPublication(published=[], refused=[])
    drafts = series.workshops.filter(status=Workshop.Status.DRAFT, starts_at__gt=timezone.now())
    for workshop in drafts.select_related("department", "venue").order_by("starts_at"):
        try:
            outcome.published.append(publish_workshop(actor=actor, workshop=workshop))
        except ValidationError as error:
            outcome.refused.append((workshop, error))
    return outcome


@transaction.atomic
def cancel_workshop(*, actor, workshop: Workshop, reason: str) -> Workshop:
    """Cancel a session: every registration ends, each person is told, reminders are dropped."""
    policy.require(actor, "workshops.manage", workshop, restricted="reference")
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationError(
            {"reason": "Indiquez le motif de l'annulation (il figure dans le message envoyé)."}
        )
    now = timezone.now()
    workshop = lock_workshop(workshop.pk)
    if workshop.status in (Workshop.Status.CANCELLED, Workshop.Status.HELD):
        raise ValidationError("Cette séance est déjà annulée ou tenue.")
    was_published = workshop.status == Workshop.Status.PUBLISHED
    workshop.status = Workshop.Status.CANCELLED
    workshop.cancel_reason = reason[:300]
    workshop.sequence += 1
    workshop.save(update_fields=["status", "cancel_reason", "sequence", "updated_at"])
    registrations = list(workshop.registrations.filter(status__in=Registration.ACTIVE))
    for registration in registrations:
        registration.status = Registration.Status.CANCELLED
        registration.cancelled_at = now
        registration.cancel_reason = "Séance annulée par la Caf"
        registration.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        registration.workshop = workshop
        if was_published:
            messaging.workshop_cancelled(registration, actor=actor)
    workshop.seats_taken = 0
    workshop.save(update_fields=["seats_taken"])
    audit.record(
        actor,
        "workshops.workshop.cancelled",
        workshop,
        reason=reason,
        data={"registrations": len(registrations)},
    )
    return workshop


@transaction.atomic
def set_facilitators(*, actor, workshop: Workshop, facilitators: list[tuple[User, str]]) -> None:
    policy.require(actor, "workshops.manage", workshop, restricted="reference")
    allowed = {u.pk for u in facilitator_choices(workshop.department)}
    for user, role in facilitators:
        if user.pk not in allowed:
            raise ValidationError(
                {"facilitators": f"{user.get_full_name()} ne peut pas animer une séance de ce département."}
            )
        if role not in Facilitation.Role.values:
            raise ValidationError({"facilitators": "Rôle d'animation inconnu."})
    workshop.facilitations.all().delete()
    Facilitation.objects.bulk_create(
        [Facilitation(workshop=workshop, user=u, role=r) for u, r in facilitators]
    )
    audit.record(actor, "workshops.workshop.facilitators_set", workshop, data={"count": len(facilitators)})


# --- series -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesRule:
    frequency: str
    interval: int
    weekday: int
    week_of_month: int | None
    first_date: date
    last_date: date


def occurrence_dates(rule: SeriesRule) -> list[date]:
    """Dates of a series: e.g. the first Tuesday of each month, or every other Thursday."""
    if rule.last_date < rule.first_date:
        return []
    start = datetime.combine(rule.first_date, time(0))
    until = datetime.combine(rule.last_date, time(0))
    if rule.frequency == WorkshopSeries.Frequency.MONTHLY:
        days = rrule(
            MONTHLY,
            interval=rule.interval,
            dtstart=start,
            until=until,
            byweekday=weekday(rule.weekday)(rule.week_of_month or 1),
        )
    else:
        days = rrule(WEEKLY, interval=rule.interval, dtstart=start, until=until, byweekday=rule.weekday)
    return [d.date() for d in days]


MAX_OCCURRENCES = 60


@transaction.atomic
def create_series(
    *, actor, publish: bool = False, holiday_confirmed: bool = False, **values
) -> tuple[WorkshopSeries, list[Workshop]]:
    """A recurring series and its sessions (drafts unless `publish`), in the department's local time.

    Dates that are public holidays of the department are named first, for the actor to confirm."""
    policy.require(actor, "workshops.manage")
    fields = {f.name for f in WorkshopSeries._meta.get_fields()}
    series = WorkshopSeries(
        department=actor.department, created_by=actor, **{k: v for k, v in values.items() if k in fields}
    )
    if series.frequency == WorkshopSeries.Frequency.MONTHLY and not series.week_of_month:
        raise ValidationError({"week_of_month": "Précisez la semaine du mois (premier, deuxième… dernier)."})
    if series.format in ON_SITE_FORMATS and series.venue_id is None:
        raise ValidationError({"venue": "Choisissez le lieu d'une série en salle ou hybride."})
    series.full_clean(exclude=["department", "created_by", "venue"])
    rule = SeriesRule(
        series.frequency,
        series.interval,
        series.weekday,
        series.week_of_month,
        series.first_date,
        series.last_date,
    )
    dates = occurrence_dates(rule)
    now = timezone.now()
    tz = actor.department.tzinfo
    dates = [d for d in dates if datetime.combine(d, series.start_time, tzinfo=tz) > now]
    if not dates:
        raise ValidationError("Aucune date à venir ne correspond à cette règle entre ces deux dates.")
    if len(dates) > MAX_OCCURRENCES:
        raise ValidationError(
            f"Cette règle produit {len(dates)} séances : {MAX_OCCURRENCES} au plus par série."
        )
    on_holidays = holidays_on(actor.department, dates)
    if on_holidays and not holiday_confirmed:
        raise HolidayToConfirm(actor.department, on_holidays)
    series.save()
    workshops = []
    for day in dates:
        starts_at = datetime.combine(day, series.start_time, tzinfo=tz)
        workshops.append(
            create_workshop(
                actor=actor,
                publish=publish,
                series=series,
                title=series.title,
                format=series.format,
                venue=series.venue,
                starts_at=starts_at,
                duration_minutes=series.duration_minutes,
                capacity=series.capacity,
                languages=series.languages,
                holiday_confirmed=True,  # the series' holidays were confirmed above, all at once
            )
        )
    audit.record(actor, "workshops.series.created", series, data={"workshops": len(workshops)})
    return series, workshops


# --- webinar rooms ----------------------------------------------------------------------------------


def _meeting_name(workshop: Workshop) -> str:
    return f"{workshop.title} — {workshop.local_start():%d/%m/%Y %H:%M}"


@transaction.atomic
def create_room(*, actor, workshop: Workshop) -> Workshop:
    """Create the BigBlueButton room of a webinar or hybrid session on the department's server."""
    policy.require(actor, "workshops.manage", workshop, restricted="reference")
    workshop = lock_workshop(workshop.pk)
    if workshop.format not in ONLINE_FORMATS:
        raise ValidationError("Seul un webinaire ou une séance hybride a une salle en ligne.")
    client = bbb_client(workshop.department)
    if client is None:
        raise ValidationError("Aucun serveur BigBlueButton n'est configuré pour votre département.")
    if not workshop.bbb_meeting_id:
        workshop.bbb_meeting_id = f"parcours-{workshop.department.code}-{workshop.pk}-{secrets.token_hex(6)}"
        workshop.bbb_attendee_secret = secrets.token_urlsafe(18)
        workshop.bbb_moderator_secret = secrets.token_urlsafe(18)
    _create_meeting(client, workshop)
    workshop.room_kind = RoomKind.BBB
    workshop.room_url = ""
    workshop.save(
        update_fields=[
            "bbb_meeting_id",
            "bbb_attendee_secret",
            "bbb_moderator_secret",
            "room_kind",
            "room_url",
            "updated_at",
        ]
    )
    audit.record(actor, "workshops.room.created", workshop)
    schedule_attendance_polls(workshop)
    return workshop


def _create_meeting(client: Client, workshop: Workshop) -> None:
    try:
        client.create(
            meeting_id=workshop.bbb_meeting_id,
            name=_meeting_name(workshop),
            attendee_pw=workshop.bbb_attendee_secret,
            moderator_pw=workshop.bbb_moderator_secret,
            duration=workshop.duration_minutes + 60,
            welcome="Bienvenue à la séance « Parents après la séparation » de la Caf.",
        )
    except BBBError as error:
        raise ValidationError(str(error)) from error


def join_opens_at(workshop: Workshop):
    return workshop.starts_at - timedelta(minutes=settings.PARCOURS_WORKSHOP_JOIN_OPENS_MINUTES)


@transaction.atomic
def join_room(*, actor, workshop: Workshop | None = None, registration: Registration | None = None) -> str:
    """The address of the room for a confirmed participant (viewer) or a facilitator (moderator).

    A BigBlueButton room is (re)created first (the call is idempotent), so that the first person
    in does not find it closed. Participants may enter from 30 minutes before the start until the end.
    """
    now = timezone.now()
    if registration is not None:
        policy.require_holder_or_staff(actor, "workshops.register", registration)
        workshop = registration.workshop
        if registration.status != Registration.Status.CONFIRMED:
            raise ValidationError("Seules les personnes inscrites peuvent rejoindre le webinaire.")
        if not (join_opens_at(workshop) <= now < workshop.ends_at):
            raise ValidationError("La salle ouvre 30 minutes avant le début de la séance et ferme à la fin.")
    else:
        policy.require(actor, "workshops.attendance", workshop, restricted="reference")
    workshop = Workshop.objects.select_related("department").get(pk=workshop.pk)
    if workshop.status != Workshop.Status.PUBLISHED or workshop.format not in ONLINE_FORMATS:
        raise ValidationError("Cette séance n'a pas de salle en ligne ouverte.")
    if workshop.room_kind == RoomKind.MANUAL and workshop.room_url:
        url = workshop.room_url
    elif workshop.room_kind == RoomKind.BBB:
        client = bbb_client(workshop.department)
        if client is None:
            raise ValidationError("Le serveur de visioconférence n'est plus configuré.")
        _create_meeting(client, workshop)
        if registration is not None:
            url = client.join_url(
                meeting_id=workshop.bbb_meeting_id,
                full_name=registration.first_name,
                user_id=f"reg-{registration.public_id.hex}",
                moderator=False,
                password=workshop.bbb_attendee_secret,
            )
        else:
            url = client.join_url(
                meeting_id=workshop.bbb_meeting_id,
                full_name=f"{actor.get_full_name()} (Caf)",
                user_id=f"staff-{actor.pk}",
                moderator=True,
                password=workshop.bbb_moderator_secret,
            )
    else:
        raise ValidationError("La salle en ligne de cette séance n'est pas encore prête.")
    audit.record(actor, "workshops.room.joined", registration or workshop)
    return url


@transaction.atomic
def fill_attendance_from_room(*, actor, workshop: Workshop) -> int:
    """Mark present the registered participants the video server sees in the room (getMeetingInfo)."""
    if actor is not None:
        policy.require(actor, "workshops.attendance", workshop, restricted="reference")
    workshop = Workshop.objects.select_related("department").get(pk=workshop.pk)
    if workshop.room_kind != RoomKind.BBB:
        raise ValidationError("La présence ne se relève automatiquement que pour une salle BigBlueButton.")
    client = bbb_client(workshop.department)
    if client is None:
        raise ValidationError("Le serveur de visioconférence n'est plus configuré.")
    try:
        attendees = client.attendees(meeting_id=workshop.bbb_meeting_id)
    except BBBError as error:
        raise ValidationError(str(error)) from error
    seen = {a.user_id.removeprefix("reg-") for a in attendees if a.user_id.startswith("reg-")}
    now = timezone.now()
    marked = 0
    for registration in workshop.registrations.filter(status=Registration.Status.CONFIRMED):
        if registration.public_id.hex in seen and registration.attendance != Registration.Attendance.PRESENT:
            registration.attendance = Registration.Attendance.PRESENT
            registration.attendance_from_video = True
            registration.attendance_recorded_at = now
            registration.save(update_fields=["attendance", "attendance_from_video", "attendance_recorded_at"])
            marked += 1
    audit.record(actor, "workshops.attendance.from_video", workshop, data={"marked": marked})
    return marked


# --- attendance and closing -------------------------------------------------------------------------


@transaction.atomic
def record_attendance(*, actor, workshop: Workshop, marks: dict[int, str]) -> int:
    """Attendance per participant (present, excused, absent), from the day of the session."""
    policy.require(actor, "workshops.attendance", workshop, restricted="reference")
    now = timezone.now()
    if now < workshop.starts_at - timedelta(hours=2):
        raise ValidationError("La présence se renseigne le jour de la séance, à partir de son début.")
    if workshop.status not in (Workshop.Status.PUBLISHED, Workshop.Status.HELD):
        raise ValidationError("La présence ne se renseigne que pour une séance publiée ou tenue.")
    valid = {v for v in Registration.Attendance.values if v}
    if any(v not in valid for v in marks.values()):
        raise ValidationError("Valeur de présence inconnue.")
    changed = 0
    for registration in workshop.registrations.filter(
        status=Registration.Status.CONFIRMED, pk__in=list(marks)
    ):
        value = marks[registration.pk]
        if registration.attendance != value:
            registration.attendance = value
            registration.attendance_from_video = False
            registration.attendance_recorded_at = now
            registration.save(update_fields=["attendance", "attendance_from_video", "attendance_recorded_at"])
            changed += 1
    audit.record(actor, "workshops.attendance.recorded", workshop, data={"changed": changed})
    return changed


@transaction.atomic
def close_workshop(*, actor, workshop: Workshop) -> Workshop:
    """The session took place: it is marked held and the people present receive the survey."""
    policy.require(actor, "workshops.attendance", workshop, restricted="reference")
    workshop = lock_workshop(workshop.pk)
    if workshop.status != Workshop.Status.PUBLISHED:
        raise ValidationError("Seule une séance publiée peut être clôturée.")
    if timezone.now() < workshop.starts_at:
        raise ValidationError("La séance n'a pas encore commencé.")
    missing = workshop.registrations.filter(status=Registration.Status.CONFIRMED, attendance="").count()
    if missing:
        raise ValidationError(
            f"Renseignez la présence de chaque participant avant de clôturer ({missing} sans réponse)."
        )
    workshop.status = Workshop.Status.HELD
    workshop.held_at = timezone.now()
    workshop.save(update_fields=["status", "held_at", "updated_at"])
    audit.record(actor, "workshops.workshop.held", workshop)
    from parcours.workshops.services.survey import send_surveys

    send_surveys(actor=actor, workshop=workshop)
    return workshop


@task()
def poll_room_attendance(workshop_id: int) -> int:
    workshop = Workshop.objects.select_related("department").filter(pk=workshop_id).first()
    if workshop is None or workshop.room_kind != RoomKind.BBB or workshop.status != Workshop.Status.PUBLISHED:
        return 0
    try:
        return fill_attendance_from_room(actor=None, workshop=workshop)
    except ValidationError as error:
        logger.warning("Relevé de présence impossible pour la séance %s : %s", workshop_id, error.messages)
        return 0


def schedule_attendance_polls(workshop: Workshop) -> None:
    """Read who is in the BigBlueButton room a few times during the session."""
    for minutes in (20, 60, workshop.duration_minutes - 10):
        schedule.defer(
            poll_room_attendance, workshop.starts_at + timedelta(minutes=max(5, minutes)), workshop.pk
        )
