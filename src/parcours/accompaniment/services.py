"""Writes of the MAP module: one function per use case, actor first, policy checked, audited.

Free texts (incident narrative, child's words, places' addresses) are encrypted before they are
stored and never reach an audit entry: the audit says what happened, with ids and categories.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from parcours.accompaniment import planning, school_holidays
from parcours.accompaniment.models import (
    Accompanist,
    ChildWords,
    ExcludedPeriod,
    FundingConvention,
    Handover,
    Incident,
    JudgeReport,
    MapOrganisation,
    Measure,
    Place,
    SchoolHolidayPeriod,
)
from parcours.core import audit, calendar, crypto, policy
from parcours.households.models import Household, Person

ORDER_FIELDS = (
    "court", "order_date", "case_number", "judge_kind", "context", "starts_on", "ends_on", "rhythm",
    "first_visit_on", "visit_days", "pickup_time", "return_time", "holidays", "extend_on_public_holiday",
    "meeting_place", "terms_note", "prison_name", "visit_kind", "visit_permit",
)  # fmt: skip


def gap() -> timedelta:
    return timedelta(minutes=settings.PARCOURS_MAP_STAGGER_MINUTES)


def travel() -> timedelta:
    return timedelta(minutes=settings.PARCOURS_MAP_TRAVEL_MINUTES)


def trip() -> timedelta:
    return timedelta(minutes=settings.PARCOURS_MAP_TRIP_MINUTES)


# --- the order -----------------------------------------------------------------------------------


@transaction.atomic
def record_order(
    *,
    actor,
    household: Household,
    residential_parent: Person,
    visiting_parent: Person,
    children: list[Person],
    values: dict,
    order_file=None,
    exclusions: list[tuple[date, date, str]] = (),
    renews: Measure | None = None,
) -> Measure:
    """Record the judge's order for a household; the actor becomes the referent."""
    policy.require(actor, "accompaniment.record_order", household)
    parents = {p.pk for p in household.parents()}
    if residential_parent.pk not in parents or visiting_parent.pk not in parents:
        raise ValidationError("Les deux parents de la mesure sont des parents du foyer.")
    if residential_parent.pk == visiting_parent.pk:
        raise ValidationError("Le parent chez qui l'enfant réside et le parent visiteur sont deux personnes.")
    kids = {p.pk for p in household.children()}
    if not children or any(child.pk not in kids for child in children):
        raise ValidationError("Choisissez au moins un enfant du foyer.")
    measure = Measure(
        household=household,
        residential_parent=residential_parent,
        visiting_parent=visiting_parent,
        referent=actor,
        created_by=actor,
        renews=renews,
        **{k: v for k, v in values.items() if k in ORDER_FIELDS},
    )
    if measure.ends_on <= measure.starts_on:
        raise ValidationError({"ends_on": "La fin de la mesure suit son début."})
    if measure.rhythm == Measure.Rhythm.PRISON and not measure.prison_name:
        raise ValidationError({"prison_name": "Indiquez l'établissement pénitentiaire."})
    measure.save()
    measure.children.set(children)
    for start, end, reason in exclusions:
        ExcludedPeriod.objects.create(measure=measure, starts_on=start, ends_on=end, reason=reason)
    if order_file is not None:
        _store_order(measure, order_file)
    audit.record(
        actor,
        "accompaniment.measure.recorded",
        measure,
        data={
            "context": measure.context,
            "judge": measure.judge_kind,
            "renews": renews.pk if renews else None,
        },
    )
    return measure


def _store_order(measure: Measure, upload) -> None:
    from parcours.protection import uploads

    clean = uploads.clean_proof(upload)  # the AUU proofs' checks: format, size, metadata stripped
    measure.order_file.save(f"ordonnance.{clean.extension}", ContentFile(clean.content), save=False)
    measure.order_file_type = clean.content_type
    measure.order_file_sha256 = clean.sha256
    measure.save(update_fields=["order_file", "order_file_type", "order_file_sha256"])


@transaction.atomic
def attach_order(*, actor, measure: Measure, upload) -> Measure:
    policy.require(actor, "accompaniment.record_order", measure)
    _store_order(measure, upload)
    audit.record(actor, "accompaniment.order.uploaded", measure, data={"sha256": measure.order_file_sha256})
    return measure


@transaction.atomic
def refer(*, actor, measure: Measure, map_organisation: MapOrganisation) -> Measure:
    """Refer the measure to a MAP organisation of the department's partner directory."""
    policy.require(actor, "accompaniment.record_order", measure)
    if map_organisation.policy_department() != measure.household.department.code:
        raise ValidationError("L'organisation choisie n'est pas du département de la famille.")
    if not (map_organisation.is_active and map_organisation.partner.is_active):
        raise ValidationError("Cette organisation ne reçoit plus de mesures.")
    if measure.status not in (Measure.Status.RECORDED, Measure.Status.DECLINED):
        raise ValidationError("La mesure est déjà orientée.")
    measure.map_organisation = map_organisation
    measure.status = Measure.Status.REFERRED
    measure.referred_at = timezone.now()
    measure.decline_reason = ""
    measure.save(update_fields=["map_organisation", "status", "referred_at", "decline_reason"])
    audit.record(actor, "accompaniment.measure.referred", measure, data={"organisation": map_organisation.pk})
    return measure


@transaction.atomic
def answer_referral(*, actor, measure: Measure, accept: bool, reason: str = "") -> Measure:
    policy.require(actor, "accompaniment.manage", measure)
    if measure.status != Measure.Status.REFERRED:
        raise ValidationError("Cette orientation a déjà reçu une réponse.")
    if not accept and not reason.strip():
        raise ValidationError({"reason": "Indiquez le motif du refus."})
    measure.status = Measure.Status.ACTIVE if accept else Measure.Status.DECLINED
    measure.answered_at = timezone.now()
    measure.decline_reason = "" if accept else reason.strip()[:300]
    measure.save(update_fields=["status", "answered_at", "decline_reason"])
    audit.record(
        actor, "accompaniment.measure.accepted" if accept else "accompaniment.measure.declined", measure
    )
    return measure


# --- places and the calendar ---------------------------------------------------------------------


@transaction.atomic
def add_place(*, actor, measure: Measure, label: str, address: str, is_home: bool = False) -> Place:
    policy.require(actor, "accompaniment.manage", measure)
    if not label.strip():
        raise ValidationError({"label": "Donnez un nom au lieu."})
    place = Place.objects.create(
        measure=measure,
        label=label.strip()[:120],
        is_home=is_home,
        address_ciphertext=crypto.encrypt(address.strip()),
    )
    audit.record(actor, "accompaniment.place.added", measure, data={"place": place.pk})
    return place


def terms_of(measure: Measure) -> planning.Terms:
    department = measure.household.department
    zone = school_holidays.zone_for(department.code)
    periods = SchoolHolidayPeriod.objects.filter(
        zone=zone, ends_on__gte=measure.starts_on, starts_on__lte=measure.ends_on
    ).values_list("starts_on", "ends_on")
    public = set()
    for year in range(measure.starts_on.year, measure.ends_on.year + 1):
        public |= set(calendar.public_holidays(department, year))
    return planning.Terms(
        starts_on=measure.starts_on,
        ends_on=measure.ends_on,
        first_visit_on=measure.first_visit_on,
        rhythm=measure.rhythm,
        visit_days=measure.visit_days,
        pickup_time=measure.pickup_time,
        return_time=measure.return_time,
        holidays=measure.holidays,
        extend_on_public_holiday=measure.extend_on_public_holiday,
        exclusions=tuple(measure.exclusions.values_list("starts_on", "ends_on")),
        holiday_periods=tuple(periods),
        public_holidays=frozenset(public),
    )


def _as_leg(handover: Handover) -> planning.Leg:
    return planning.Leg(
        handover.leg, handover.visit_number, handover.from_parent_id, handover.to_parent_id,
        handover.from_place_id, handover.to_place_id, handover.from_at, handover.to_at, key=handover.pk,
    )  # fmt: skip


def _check_place(measure: Measure, place: Place) -> None:
    if place.measure_id != measure.pk:
        raise ValidationError("Ce lieu n'est pas un lieu de cette mesure.")


@transaction.atomic
def generate_calendar(
    *, actor, measure: Measure, residential_place: Place, visiting_place: Place, from_day: date | None = None
) -> list[Handover]:
    """Build the handovers of the terms from `from_day` (default: today), replacing the planned,
    unassigned ones from that day; what has happened or been assigned stays."""
    policy.require(actor, "accompaniment.manage", measure)
    measure = Measure.objects.select_for_update().get(pk=measure.pk)
    if measure.status != Measure.Status.ACTIVE:
        raise ValidationError("Le calendrier se construit une fois l'orientation acceptée.")
    _check_place(measure, residential_place)
    _check_place(measure, visiting_place)
    tz = measure.tzinfo
    from_day = from_day or calendar.local_date(measure.household.department)
    start = planning.local_moment(from_day, datetime.min.time(), tz)
    Handover.objects.filter(
        measure=measure, outcome=Handover.Outcome.PLANNED, accompanist__isnull=True, from_at__gte=start
    ).delete()
    kept = list(Handover.objects.filter(measure=measure))
    booked_days = {h.from_at.astimezone(tz).date() for h in kept if h.leg == Handover.Leg.OUTBOUND}
    visits = [
        v
        for v in planning.visit_dates(terms_of(measure))
        if v.starts_on >= from_day and v.starts_on not in booked_days
    ]
    legs = planning.plan(
        visits,
        terms=terms_of(measure),
        tz=tz,
        residential=measure.residential_parent_id,
        visiting=measure.visiting_parent_id,
        residential_place=residential_place.pk,
        visiting_place=visiting_place.pk,
        trip=trip(),
        gap=gap(),
        existing=planning.appointments(_as_leg(h) for h in kept),
        first_number=max((h.visit_number for h in kept), default=0) + 1,
    )
    created = Handover.objects.bulk_create([_handover(measure, leg) for leg in legs])
    audit.record(actor, "accompaniment.calendar.generated", measure, data={"handovers": len(created)})
    return created


def _handover(measure: Measure, leg: planning.Leg, booking: str = "") -> Handover:
    return Handover(
        measure=measure, leg=leg.leg, visit_number=leg.visit, from_parent_id=leg.from_parent,
        to_parent_id=leg.to_parent, from_place_id=leg.from_place, to_place_id=leg.to_place,
        from_at=leg.from_at, to_at=leg.to_at, booking_reference=booking,
    )  # fmt: skip


@dataclass(frozen=True)
class PrisonSlot:
    starts_at: datetime
    ends_at: datetime
    booking_reference: str = ""


@transaction.atomic
def add_prison_slots(
    *, actor, measure: Measure, slots: list[PrisonSlot], residential_place: Place, prison_place: Place
) -> list[Handover]:
    """Visits in the establishment, on the slots it granted: the child is brought there and back."""
    policy.require(actor, "accompaniment.manage", measure)
    measure = Measure.objects.select_for_update().get(pk=measure.pk)
    if measure.status != Measure.Status.ACTIVE:
        raise ValidationError("Les créneaux s'ajoutent une fois l'orientation acceptée.")
    _check_place(measure, residential_place)
    _check_place(measure, prison_place)
    kept = list(Handover.objects.filter(measure=measure))
    placed = planning.appointments(_as_leg(h) for h in kept)
    number = max((h.visit_number for h in kept), default=0)
    created = []
    for slot in sorted(slots, key=lambda s: s.starts_at):
        if slot.ends_at <= slot.starts_at:
            raise ValidationError("Un créneau de parloir finit après son début.")
        number += 1
        there = planning.Leg(
            planning.OUTBOUND, number, measure.residential_parent_id, measure.visiting_parent_id,
            residential_place.pk, prison_place.pk, slot.starts_at - trip(), slot.starts_at,
        )  # fmt: skip
        back = planning.Leg(
            planning.RETURN, number, measure.visiting_parent_id, measure.residential_parent_id,
            prison_place.pk, residential_place.pk, slot.ends_at, slot.ends_at + trip(),
        )  # fmt: skip
        for leg in (there, back):
            planning.place_leg(leg, placed, gap(), trip())
            placed += planning.appointments([leg])
            created.append(_handover(measure, leg, slot.booking_reference))
    Handover.objects.bulk_create(created)
    audit.record(actor, "accompaniment.prison_slots.added", measure, data={"slots": len(slots)})
    return created


def _stagger_problem(measure: Measure, changed: list[planning.Leg]) -> str | None:
    keys = {leg.key for leg in changed}
    others = [
        _as_leg(h)
        for h in Handover.objects.filter(measure=measure).exclude(outcome=Handover.Outcome.CANCELLED)
        if h.pk not in keys
    ]
    conflicts = planning.stagger_conflicts(planning.appointments(others + changed), gap())
    if conflicts:
        first, second = conflicts[0]
        return (
            f"Les deux parents seraient au même lieu à moins de {settings.PARCOURS_MAP_STAGGER_MINUTES} minutes "
            f"d'intervalle ({timezone.localtime(second.at, measure.tzinfo):%d/%m/%Y %H:%M})."
        )
    return None


def _booking_problem(accompanist: Accompanist, handovers: list[Handover]) -> str | None:
    """With the accompanist's row locked: would these handovers overlap their other ones (travel included)?"""
    keys = {h.pk for h in handovers}
    lowest = min(h.from_at for h in handovers) - travel() - timedelta(days=2)
    highest = max(h.to_at for h in handovers) + travel() + timedelta(days=2)
    others = (
        Handover.objects.filter(accompanist=accompanist, from_at__lt=highest, to_at__gt=lowest)
        .exclude(outcome=Handover.Outcome.CANCELLED)
        .exclude(pk__in=keys)
        .values_list("pk", "from_at", "to_at")
    )
    busy = [planning.Busy(pk, a, b) for pk, a, b in others] + [
        planning.Busy(h.pk, h.from_at, h.to_at) for h in handovers
    ]
    conflicts = planning.booking_conflicts(busy, travel())
    if conflicts:
        return (
            f"{accompanist} a déjà une remise à ce moment (il faut {settings.PARCOURS_MAP_TRAVEL_MINUTES} minutes "
            "de trajet entre deux remises)."
        )
    return None


def _lock_accompanist(accompanist: Accompanist) -> Accompanist:
    # One row lock per accompanist: two coordinators assigning the same person wait for each other,
    # assignments of different accompanists never do.
    return Accompanist.objects.select_for_update().get(pk=accompanist.pk)


@transaction.atomic
def assign(*, actor, handovers: list[Handover], accompanist: Accompanist | None) -> list[Handover]:
    """Give handovers to an accompanist of the measure's organisation (None: unassign)."""
    if not handovers:
        return []
    measure = handovers[0].measure
    policy.require(actor, "accompaniment.manage", measure)
    if any(h.measure_id != measure.pk for h in handovers):
        raise ValidationError("Les remises affectées ensemble sont d'une même mesure.")
    if accompanist is not None:
        if accompanist.map_organisation_id != measure.map_organisation_id:
            raise ValidationError("Cet accompagnant n'est pas de l'organisation chargée de la mesure.")
        accompanist = _lock_accompanist(accompanist)
        fresh = list(Handover.objects.filter(pk__in=[h.pk for h in handovers]))
        problem = _booking_problem(accompanist, fresh)
        if problem:
            raise ValidationError(problem)
    Handover.objects.filter(pk__in=[h.pk for h in handovers]).update(accompanist=accompanist)
    audit.record(
        actor,
        "accompaniment.handovers.assigned",
        measure,
        data={"handovers": [h.pk for h in handovers], "accompanist": accompanist.pk if accompanist else None},
    )
    for handover in handovers:
        handover.accompanist = accompanist
    return handovers


@transaction.atomic
def edit_handover(
    *,
    actor,
    handover: Handover,
    from_at: datetime,
    to_at: datetime,
    from_place: Place | None = None,
    to_place: Place | None = None,
    series: bool = False,
    reason: str = "",
) -> list[Handover]:
    """Move one handover, or it and the rest of its series (same leg, later visits, still planned) by the
    same shift. Refused if the parents would meet, or the accompanist be booked twice."""
    policy.require(actor, "accompaniment.manage", handover)
    measure = Measure.objects.select_for_update().get(pk=handover.measure_id)
    handover = Handover.objects.get(pk=handover.pk)
    if handover.outcome != Handover.Outcome.PLANNED:
        raise ValidationError("Seule une remise prévue peut être déplacée.")
    if to_at <= from_at:
        raise ValidationError("La remise a lieu après la prise en charge.")
    for place in (from_place, to_place):
        if place is not None:
            _check_place(measure, place)
    shift_from, shift_to = from_at - handover.from_at, to_at - handover.to_at
    targets = [handover]
    if series:
        targets += list(
            Handover.objects.filter(
                measure=measure,
                leg=handover.leg,
                visit_number__gt=handover.visit_number,
                outcome=Handover.Outcome.PLANNED,
            )
        )
    for target in targets:
        target.from_at += shift_from
        target.to_at += shift_to
        if from_place is not None:
            target.from_place = from_place
        if to_place is not None:
            target.to_place = to_place
    problem = _stagger_problem(measure, [_as_leg(t) for t in targets])
    if problem:
        raise ValidationError(problem)
    by_accompanist: dict[int, list[Handover]] = {}
    for target in targets:
        if target.accompanist_id:
            by_accompanist.setdefault(target.accompanist_id, []).append(target)
    for accompanist_id, items in sorted(by_accompanist.items()):
        problem = _booking_problem(_lock_accompanist(Accompanist(pk=accompanist_id)), items)
        if problem:
            raise ValidationError(problem)
    Handover.objects.bulk_update(targets, ["from_at", "to_at", "from_place", "to_place"])
    audit.record(
        actor,
        "accompaniment.handover.moved",
        measure,
        reason=reason[:200],
        data={"handovers": [t.pk for t in targets], "series": series},
    )
    from parcours.accompaniment import messaging

    messaging.calendar_changed(actor=actor, measure=measure, handovers=targets)
    return targets


# --- outcomes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentInput:
    category: str
    narrative: str
    by_parent: Person | None = None


@transaction.atomic
def record_outcome(
    *,
    actor,
    handover: Handover,
    outcome: str,
    cancelled_by: str = "",
    notice_hours: int | None = None,
    absent_parent: Person | None = None,
    incidents: list[IncidentInput] = (),
    child_words: str = "",
) -> Handover:
    policy.require(actor, "accompaniment.record_outcome", handover)
    handover = Handover.objects.select_related("measure__household").get(pk=handover.pk)
    measure = handover.measure
    if outcome not in Handover.Outcome.values or outcome == Handover.Outcome.PLANNED:
        raise ValidationError({"outcome": "Choisissez l'issue de la remise."})
    if outcome == Handover.Outcome.CANCELLED and cancelled_by not in Handover.CancelledBy.values:
        raise ValidationError({"cancelled_by": "Indiquez qui a annulé."})
    if cancelled_by == Handover.CancelledBy.ESTABLISHMENT and not measure.is_prison:
        raise ValidationError({"cancelled_by": "Seul un parloir peut être annulé par l'établissement."})
    parents = {measure.residential_parent_id, measure.visiting_parent_id}
    if outcome == Handover.Outcome.NOT_PRESENTED and (
        absent_parent is None or absent_parent.pk not in parents
    ):
        raise ValidationError({"absent_parent": "Indiquez le parent qui ne s'est pas présenté."})
    handover.outcome = outcome
    handover.cancelled_by = cancelled_by if outcome == Handover.Outcome.CANCELLED else ""
    handover.notice_hours = notice_hours if outcome == Handover.Outcome.CANCELLED else None
    handover.absent_parent = absent_parent if outcome == Handover.Outcome.NOT_PRESENTED else None
    handover.outcome_at = timezone.now()
    handover.outcome_by = actor
    handover.save()
    created = []
    for item in incidents:
        if item.category not in Incident.Category.values:
            raise ValidationError({"category": "Catégorie d'incident inconnue."})
        if item.by_parent is not None and item.by_parent.pk not in parents:
            raise ValidationError("Le parent concerné est un parent de la mesure.")
        incident = Incident.objects.create(
            handover=handover,
            category=item.category,
            by_parent=item.by_parent,
            narrative_ciphertext=crypto.encrypt(item.narrative.strip()),
            flagged_for_report=item.category in Incident.VIOLENT,
            recorded_by=actor,
        )
        created.append(incident)
        audit.record(actor, "accompaniment.incident.recorded", incident, data={"category": item.category})
    if child_words.strip():
        ChildWords.objects.create(
            handover=handover, text_ciphertext=crypto.encrypt(child_words.strip()), recorded_by=actor
        )
    audit.record(
        actor,
        "accompaniment.handover.outcome_recorded",
        handover,
        data={"outcome": outcome, "cancelled_by": handover.cancelled_by, "incidents": len(created)},
    )
    if any(i.is_violent for i in created):
        from parcours.accompaniment import messaging

        messaging.alert_referent(actor=actor, measure=measure, handover=handover)
    return handover


# --- end, renewal ----------------------------------------------------------------------------------


@transaction.atomic
def end_measure(*, actor, measure: Measure, reason: str, on: date) -> Measure:
    if not (
        policy.can(actor, "accompaniment.record_order", measure)
        or policy.can(actor, "accompaniment.manage", measure)
    ):
        policy.require(actor, "accompaniment.manage", measure)
    if reason not in Measure.EndReason.values:
        raise ValidationError({"reason": "Motif de fin inconnu."})
    if not measure.is_open:
        raise ValidationError("La mesure est déjà terminée.")
    measure.status = Measure.Status.ENDED
    measure.ended_on = on
    measure.end_reason = reason
    measure.save(update_fields=["status", "ended_on", "end_reason"])
    tz = measure.tzinfo
    after = planning.local_moment(on + timedelta(days=1), datetime.min.time(), tz)
    Handover.objects.filter(measure=measure, outcome=Handover.Outcome.PLANNED, from_at__gte=after).update(
        outcome=Handover.Outcome.CANCELLED,
        cancelled_by=Handover.CancelledBy.ORGANISATION,
        outcome_at=timezone.now(),
    )
    audit.record(actor, "accompaniment.measure.ended", measure, data={"reason": reason})
    from parcours.accompaniment import messaging

    messaging.cancel_reminders(measure)
    return measure


@transaction.atomic
def renew(*, actor, measure: Measure, values: dict, order_file=None) -> Measure:
    """A new order renews the measure: a new measure with the same family and organisation."""
    policy.require(actor, "accompaniment.record_order", measure)
    new = record_order(
        actor=actor,
        household=measure.household,
        residential_parent=measure.residential_parent,
        visiting_parent=measure.visiting_parent,
        children=list(measure.children.all()),
        values=values,
        order_file=order_file,
        renews=measure,
    )
    if measure.is_open:
        end_measure(
            actor=actor,
            measure=measure,
            reason=Measure.EndReason.RENEWED,
            on=new.starts_on - timedelta(days=1),
        )
    if measure.map_organisation_id:
        new.map_organisation = measure.map_organisation
        new.status = Measure.Status.ACTIVE
        new.referred_at = new.answered_at = timezone.now()
        new.save(update_fields=["map_organisation", "status", "referred_at", "answered_at"])
    return new


# --- the report to the judge ------------------------------------------------------------------------


@transaction.atomic
def draft_report(
    *, actor, measure: Measure, period_start: date, period_end: date, observations: str
) -> JudgeReport:
    policy.require(actor, "accompaniment.manage", measure)
    if period_end < period_start:
        raise ValidationError("La période du rapport finit après son début.")
    report = JudgeReport.objects.create(
        measure=measure, period_start=period_start, period_end=period_end, observations=observations.strip()
    )
    audit.record(actor, "accompaniment.report.drafted", report)
    return report


@transaction.atomic
def sign_report(*, actor, report: JudgeReport) -> JudgeReport:
    """The coordinator signs the report off (name, date); it can then be produced and sent."""
    policy.require(actor, "accompaniment.manage", report)
    if report.is_signed:
        raise ValidationError("Ce rapport est déjà signé.")
    report.signed_by = actor
    report.signed_at = timezone.now()
    report.save(update_fields=["signed_by", "signed_at"])
    Incident.objects.filter(handover__measure=report.measure, flagged_for_report=True).update(
        flagged_for_report=False
    )
    audit.record(actor, "accompaniment.report.signed", report)
    return report


# --- organisation, accompanists, funding, school holidays -----------------------------------------------


@transaction.atomic
def set_feed(*, actor, enabled: bool) -> Accompanist:
    """Turn the accompanist's own calendar link on, or off; turning it on again gives a new link."""
    policy.require(actor, "accompaniment.my_handovers")
    accompanist = Accompanist.objects.select_for_update().get(user=actor)
    import secrets

    accompanist.feed_enabled = enabled
    accompanist.feed_key = secrets.token_urlsafe()
    accompanist.save(update_fields=["feed_enabled", "feed_key"])
    audit.record(
        actor, "accompaniment.feed.enabled" if enabled else "accompaniment.feed.revoked", accompanist
    )
    return accompanist


@transaction.atomic
def save_convention(
    *,
    actor,
    map_organisation: MapOrganisation,
    year: int,
    amount,
    measures_planned: int = 0,
    reference: str = "",
) -> FundingConvention:
    policy.require(actor, "accompaniment.manage_funding", map_organisation)
    convention, _ = FundingConvention.objects.update_or_create(
        map_organisation=map_organisation,
        year=year,
        defaults={"amount": amount, "measures_planned": measures_planned, "reference": reference[:60]},
    )
    audit.record(
        actor, "accompaniment.convention.saved", convention, data={"year": year, "amount": str(amount)}
    )
    return convention


@transaction.atomic
def load_school_holidays(*, actor, content: bytes, zones: list[str] | None = None) -> int:
    """Replace the periods of the file's zones (those of the pilot's department by default)."""
    policy.require(actor, "accompaniment.manage_funding")
    wanted = set(zones or [school_holidays.zone_for(actor.department_code)])
    periods = [p for p in school_holidays.parse(content) if p.zone in wanted]
    if not periods:
        raise ValidationError("Le fichier ne contient aucune période pour la zone du département.")
    years = {p.school_year for p in periods}
    SchoolHolidayPeriod.objects.filter(zone__in=wanted, school_year__in=years).delete()
    SchoolHolidayPeriod.objects.bulk_create(
        [
            SchoolHolidayPeriod(
                zone=p.zone,
                description=p.description,
                school_year=p.school_year,
                starts_on=p.starts_on,
                ends_on=p.ends_on,
            )
            for p in periods
        ]
    )
    audit.record(
        actor, "accompaniment.school_holidays.loaded", data={"zones": sorted(wanted), "periods": len(periods)}
    )
    return len(periods)
