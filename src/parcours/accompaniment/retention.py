"""Retention of the MAP measures (core/retention.py): an active measure keeps the household; an ended
one is kept 2 years after its end (a renewal, an appeal)."""

from __future__ import annotations

from django.db.models import Q

from parcours.accompaniment.models import ChildWords, Handover, Incident, JudgeReport, Measure, Place
from parcours.core import crypto, retention


def keeps(now, cutoff):
    day = cutoff.date()
    return Measure.objects.filter(
        Q(status__in=Measure.OPEN_STATUSES)
        | Q(ends_on__gte=day)
        | Q(ended_on__gte=day)
        | Q(created_at__gte=cutoff)
    ).values("household_id")


def keeps_person(now):
    # A measure in progress or not ended yet, where she is one of the parents or one of the children.
    open_measures = Measure.objects.filter(Q(status__in=Measure.OPEN_STATUSES) | Q(ends_on__gte=now.date()))
    return (
        open_measures.values("residential_parent_id"),
        open_measures.values("visiting_parent_id"),
        open_measures.values("children"),
    )


def erase_person(person_ids: list[int]) -> int:
    """What the ended measures say of her alone: the narratives of the incidents she caused. The
    order, the places and the report concern both parents and the children: they follow the file."""
    empty = crypto.encrypt("")
    return Incident.objects.filter(by_parent_id__in=person_ids).update(narrative_ciphertext=empty)


def erase(household_ids: list[int]) -> int:
    """The order's file deleted, its references and every narrative blanked; the calendar of
    handovers and their outcomes (the indicators) kept."""
    measures = Measure.objects.filter(household_id__any_of=household_ids)
    retention.delete_files_on_commit(
        list(measures.values_list("order_file", flat=True)),
        storage=Measure._meta.get_field("order_file").storage,
    )
    changed = measures.update(
        case_number="",
        terms_note="",
        prison_name="",
        visit_permit="",
        decline_reason="",
        order_file="",
        order_file_type="",
        order_file_sha256="",
    )
    empty = crypto.encrypt("")
    changed += Place.objects.filter(measure__in=measures).update(
        label=retention.ANONYMISED, address_ciphertext=empty
    )
    changed += Incident.objects.filter(handover__measure__in=measures).update(narrative_ciphertext=empty)
    changed += ChildWords.objects.filter(handover__measure__in=measures).update(text_ciphertext=empty)
    changed += JudgeReport.objects.filter(measure__in=measures).update(observations="")
    changed += (
        Handover.objects.filter(measure__in=measures)
        .exclude(booking_reference="")
        .update(booking_reference="")
    )
    return changed


def register() -> None:
    retention.register(
        retention.Holding(
            key="accompaniment.measure",
            label="Mesures d'accompagnement protégé (ordonnance, lieux, incidents, rapports)",
            setting="PARCOURS_RETENTION_MEASURE_DAYS",
            default_days=730,
            justification="Une mesure en cours garde le foyer ; ensuite 2 ans après sa fin "
            "(renouvellement, appel de la décision).",
            keeps=keeps,
            erase=erase,
            order=30,
            open_label="une mesure d'accompagnement protégé en cours",
            keeps_person=keeps_person,
            person_open_label="une mesure d'accompagnement protégé en cours qui la concerne",
            erase_person=erase_person,
        )
    )
