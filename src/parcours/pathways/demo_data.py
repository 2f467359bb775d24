"""Demo data: a year of separations in each pilot department, worked as a real Caf would.

Volumes follow each department's size (the Caf 92 recorded 532 separations with violence
reported in 90 of them in 2021: about 17 %). Events go through the same engine as files and the
API; then the past is replayed: most steps whose deadline has passed are done (some declined,
some families unreachable after three attempts), some are late, the rest are pending.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from parcours.core import demo
from parcours.core.data.departments import PILOT_DEPARTMENTS
from parcours.core.models import Department
from parcours.households.demo_data import CITIES, FEMALE, MALE, STREETS, SURNAMES
from parcours.households.models import Household, Person
from parcours.pathways.imports import EventInput, normalize_phone
from parcours.pathways.models import ContactAttempt, Pathway, PathwayStep, SeparationEvent
from parcours.pathways.services.opening import record_separations

VOLUMES = {"92": 530, "974": 400, "27": 250, "86": 180, "47": 140}
VIOLENCE_RATE = 0.17  # Caf 92, 2021: 90 of 532
WITH_CHILDREN_RATE = 0.73  # Cnaf, 2019: 73 % of separations with children
DONE_WHEN_PAST_DUE = 0.7  # within 45 days of the deadline; the rest is late


def _phone(rng, code: str) -> str:
    if code == "974":
        return f"0692 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
    return f"06 {rng.choice('124578')}{rng.randint(0, 9)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"


def _events(rng, department: Department, count: int, now) -> list[EventInput]:
    code = department.code
    today = timezone.localtime(now, department.tzinfo).date()
    surnames = SURNAMES.get(code, SURNAMES["default"])
    known = list(
        Person.objects.filter(
            household__department=department, is_declarant=True, household__restricted=False
        ).values_list("household__file_number", "last_name", "first_name")
    )
    rng.shuffle(known)
    reuse = known[: count // 5]  # a fifth of the declarations concern families already on file
    used = set(Household.objects.filter(department=department).values_list("file_number", flat=True))
    events = []
    for index in range(count):
        declared_on = today - timedelta(days=rng.randint(0, 364))
        received_at = datetime.combine(
            declared_on, time(rng.randint(8, 17), rng.randint(0, 59)), department.tzinfo
        )
        children = 0 if rng.random() > WITH_CHILDREN_RATE else rng.choice([1, 1, 2, 2, 2, 3, 4])
        if index < len(reuse):
            file_number, last_name, first_name = reuse[index]
            contact = {}
        else:
            file_number = f"{rng.randint(1000000, 9999999)}"
            while file_number in used:
                file_number = f"{rng.randint(1000000, 9999999)}"
            last_name, first_name = rng.choice(surnames), rng.choice(FEMALE if rng.random() < 0.8 else MALE)
            postal_code, city = rng.choice(CITIES[code])
            contact = {
                "phone": _phone(rng, code).replace(" ", ""),
                "email": f"{first_name.lower()[:1]}.{last_name.lower().replace(' ', '')}{rng.randint(1, 99)}@exemple.fr",
                "address_line": f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
                "postal_code": postal_code,
                "city": city,
            }
        used.add(file_number)
        phone = normalize_phone(contact["phone"]) if contact.get("phone") else None
        events.append(
            EventInput(
                line=index + 1,
                external_id=f"DEMO-{code}-{index + 1:05d}",
                department=code,
                file_number=file_number,
                declared_on=declared_on,
                declarant_last_name=last_name,
                declarant_first_name=first_name,
                children_count=children,
                separated_on=declared_on - timedelta(days=rng.randint(0, 60)),
                other_parent_last_name=rng.choice(surnames),
                other_parent_first_name=rng.choice(MALE),
                youngest_child_birth_date=today - timedelta(days=rng.randint(200, 5000))
                if children
                else None,
                shared_home=rng.random() < 0.2,
                violence_reported=rng.random() < VIOLENCE_RATE,
                email=contact.get("email", ""),
                phone=phone[0] if phone else "",
                phone_is_mobile=bool(phone and phone[1]),
                address_line=contact.get("address_line", ""),
                postal_code=contact.get("postal_code", ""),
                city=contact.get("city", ""),
                received_at=received_at,
            )  # fmt: skip
        )
    return events


NOTES = {
    "done": [
        "Entretien réalisé.",
        "Informations transmises par téléphone.",
        "Rendez-vous tenu à l'accueil.",
        "",
    ],
    "declined": ["La famille ne souhaite pas donner suite.", "Refus poli : déjà accompagnée par ailleurs."],
    "not_applicable": ["Sans objet : situation déjà traitée.", "Sans objet : déménagement hors département."],
}


def _replay(rng, now) -> tuple[int, int]:
    """Close most past-due steps as staff would have, with contact attempts; close reviewed pathways."""
    closed, attempts = [], []
    zones = {d.pk: d.tzinfo for d in Department.objects.filter(code__in=PILOT_DEPARTMENTS)}
    steps = PathwayStep.objects.filter(status=PathwayStep.Status.OPEN, pathway__event__source="demo").only(
        "pk", "household_id", "department_id", "kind", "due_at", "opened_at", "assignee_id"
    )
    for step in steps:
        overdue = now - step.due_at
        # Long-overdue steps were almost all done in the end; recent ones are the backlog.
        chance = (
            0.15 if overdue < timedelta(0) else DONE_WHEN_PAST_DUE if overdue < timedelta(days=45) else 0.98
        )
        if rng.random() >= chance:
            continue
        latest = min(step.due_at, now)
        span = max((latest - step.opened_at).total_seconds(), 3600)
        moment = timezone.localtime(
            step.opened_at + timedelta(seconds=rng.uniform(0.2, 1.0) * span), zones[step.department_id]
        )
        office_hours = moment.replace(hour=rng.randint(8, 17), minute=rng.randint(0, 59))  # staff work by day
        step.closed_at = min(max(office_hours, step.opened_at + timedelta(minutes=30)), now)
        step.status, step.closed_by_id = PathwayStep.Status.CLOSED, step.assignee_id
        roll = rng.random()
        step.outcome = (
            "done"
            if roll < 0.8
            else "declined"
            if roll < 0.88
            else "unreachable"
            if roll < 0.95
            else "not_applicable"
        )
        step.note = rng.choice(NOTES.get(step.outcome, [""]))
        tries = (
            3
            if step.outcome == "unreachable"
            else (rng.randint(1, 2) if step.kind == "social_worker_contact" else 0)
        )
        for n in range(tries):
            at = step.opened_at + (step.closed_at - step.opened_at) * (n + 1) / (tries + 1)
            last = n == tries - 1 and step.outcome != "unreachable"
            attempts.append(
                ContactAttempt(
                    step_id=step.pk,
                    household_id=step.household_id,
                    attempted_at=at,
                    recorded_at=at,
                    channel=rng.choice(["phone", "phone", "sms", "email"]),
                    recorded_by_id=step.assignee_id,
                    result="reached" if last else rng.choice(["no_answer", "message_left"]),
                )  # fmt: skip
            )
        closed.append(step)
    PathwayStep.objects.bulk_update(
        closed, ["status", "closed_at", "closed_by", "outcome", "note"], batch_size=500
    )
    ContactAttempt.objects.bulk_create(attempts, batch_size=500)
    reviewed = PathwayStep.objects.filter(
        kind="review_closure", status=PathwayStep.Status.CLOSED
    ).values_list("pathway_id", "closed_at")
    for pathway_id, closed_at in reviewed:
        PathwayStep.objects.filter(pathway_id=pathway_id, status=PathwayStep.Status.OPEN).update(
            status=PathwayStep.Status.WITHDRAWN,
            closed_at=closed_at,
            withdrawn_reason="Parcours clôturé au bilan",
        )
        Pathway.objects.filter(pk=pathway_id).update(
            status=Pathway.Status.CLOSED, closed_at=closed_at, closed_reason="Parcours clôturé au bilan"
        )
    return len(closed), len(attempts)


@demo.register("Parcours séparation", order=20)
def seed_pathways(*, rng, scale, stdout):
    now = timezone.now()
    total = violence = 0
    for code in PILOT_DEPARTMENTS:
        department = Department.objects.get(code=code)
        events = _events(rng, department, max(1, int(VOLUMES[code] * scale)), now)
        record_separations(actor=None, events=events, source=SeparationEvent.Source.DEMO)
        total += len(events)
        violence += sum(e.violence_reported for e in events)
    done, attempts = _replay(rng, now)
    from parcours.pathways.services.information import send_information_offers

    informed = send_information_offers()  # step 1 of the last week's declarations, through the outbox
    late = PathwayStep.objects.filter(status=PathwayStep.Status.OPEN, due_at__lt=now).count()
    pending = PathwayStep.objects.filter(status=PathwayStep.Status.OPEN, due_at__gte=now).count()
    return (
        f"{total} séparations sur un an (violences signalées : {violence}), étapes : {done} faites, "
        f"{late} en retard, {pending} à venir ; {attempts} tentatives de contact ; "
        f"{informed} informations sur l'offre mises en file"
    )
