"""Demo sessions « Parents après la séparation » in the five pilot departments.

Upcoming published sessions (webinars in La Réunion among them, one of them full with a waiting
list), and six months of held sessions with registrations, attendance, invitations and anonymous
survey answers, so that the comparison of formats has something to show.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from parcours.core import demo
from parcours.core.data.departments import PILOT_DEPARTMENTS
from parcours.core.models import Department, User
from parcours.households.models import Household, Person
from parcours.workshops.models import (
    Facilitation,
    Format,
    Invitation,
    Registration,
    SurveyResponse,
    Venue,
    Workshop,
)

VENUES = {
    "92": [("Caf des Hauts-de-Seine — accueil de Nanterre", "70-88 rue Paul Lescop", "92000", "Nanterre", "RER A Nanterre-Préfecture"),
           ("Maison des familles de Gennevilliers", "8 avenue Chandon", "92230", "Gennevilliers", "Métro ligne 13, Gabriel Péri")],
    "974": [("Caf de La Réunion — Saint-Denis", "4 boulevard Doret", "97400", "Saint-Denis", "Parking visiteurs rue Juliette Dodu"),
            ("Maison France services de Saint-Pierre", "12 rue Marius et Ary Leblond", "97410", "Saint-Pierre", "Car Jaune, arrêt Hôtel de ville")],
    "27": [("Caf de l'Eure — Évreux", "1 rue Chartraine", "27000", "Évreux", "")],
    "86": [("Caf de la Vienne — Poitiers", "41 rue du Touffenet", "86000", "Poitiers", "Bus ligne 1, arrêt Touffenet"),
           ("Centre social de Châtellerault", "3 rue de la Taupanne", "86100", "Châtellerault", "")],
    "47": [("Caf de Lot-et-Garonne — Agen", "2 rue Diderot", "47000", "Agen", "")],
}  # fmt: skip
FIRST_NAMES = ["Camille", "Nadia", "Julien", "Sarah", "Karim", "Léa", "Mehdi", "Inès", "Thomas", "Aurélie",
               "Yannick", "Fatoumata", "Priscilla", "Loïc", "Sandrine", "Rudy", "Mélanie", "Samir"]  # fmt: skip
COMMENTS = [
    "Très clair, merci aux intervenants.",
    "J'ai enfin compris comment fonctionne l'intermédiation des pensions.",
    "Un peu long, mais utile.",
    "Pratique de pouvoir suivre depuis chez moi le soir.",
    "J'aurais aimé plus de temps pour les questions.",
    "La médiatrice a très bien expliqué le déroulement d'une médiation.",
]
# A little lower turnout and satisfaction online: the comparison should have a story to tell.
TURNOUT = {Format.IN_PERSON: 0.78, Format.WEBINAR: 0.66, Format.HYBRID: 0.72}
SATISFACTION = {Format.IN_PERSON: 4.3, Format.WEBINAR: 4.0, Format.HYBRID: 4.1}


def _at(department: Department, day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=department.tzinfo)


def _workshop(department, *, starts_at, format, venue, capacity, status, facilitators) -> Workshop:
    workshop = Workshop.objects.create(
        department=department,
        format=format,
        venue=venue if format != Format.WEBINAR else None,
        starts_at=starts_at,
        capacity=capacity,
        registration_deadline=starts_at - timedelta(days=1),
        languages=["fr", "rcf"] if department.code == "974" else ["fr"],
        status=status,
        room_kind="manual" if format != Format.IN_PERSON else "",
        room_url="https://visio.exemple.invalid/salle-demo" if format != Format.IN_PERSON else "",
        public_notes="Séance gratuite. Vous pouvez venir avec un proche." if format != Format.WEBINAR else
        "Un ordinateur, une tablette ou un téléphone suffit ; la caméra n'est pas obligatoire.",
    )  # fmt: skip
    Facilitation.objects.bulk_create(
        [Facilitation(workshop=workshop, user=user, role=role) for user, role in facilitators]
    )
    return workshop


def _register(rng, workshop, *, count, now, person=None) -> list[Registration]:
    rows = []
    taken = 0
    for index in range(count):
        party = 2 if rng.random() < 0.15 else 1
        fits = taken + party <= workshop.capacity
        created = min(now, workshop.starts_at) - timedelta(
            days=rng.randint(2, 25), minutes=rng.randint(0, 600)
        )
        rows.append(
            Registration(
                workshop=workshop,
                status=Registration.Status.CONFIRMED if fits else Registration.Status.WAITING,
                source=rng.choice([Registration.Source.PUBLIC] * 3 + [Registration.Source.STAFF]),
                first_name=rng.choice(FIRST_NAMES),
                contact_kind="email",
                contact_value=f"parent.demo{workshop.pk}.{index}@exemple.fr",
                party_size=party,
                accessibility_needs="Fauteuil roulant" if rng.random() < 0.05 else "",
                created_at=created,
                confirmed_at=created if fits else None,
                waitlisted_at=None if fits else created,
            )
        )
        if fits:
            taken += party
    Registration.objects.bulk_create(rows)
    Workshop.objects.filter(pk=workshop.pk).update(seats_taken=F("seats_taken") + taken)
    return rows


def _scale_answer(rng, mean: float) -> int:
    return max(1, min(5, round(rng.gauss(mean, 0.8))))


@demo.register("Séances Parents après la séparation", order=40)
def seed_workshops(*, rng, scale, stdout):
    now = timezone.now()
    upcoming = held = registrations = answers = invitations = 0
    for code in PILOT_DEPARTMENTS:
        department = Department.objects.get(code=code)
        venues = [
            Venue.objects.create(
                department=department,
                name=n,
                line=line,
                postal_code=pc,
                city=city,
                access_notes=notes,
                hearing_loop=i == 0,
            )  # fmt: skip
            for i, (n, line, pc, city, notes) in enumerate(VENUES[code])
        ]
        staff = list(
            User.objects.filter(organisation__department=department, role_rows__role="social_worker")[:2]
        )
        partner = User.objects.filter(organisation__department=department, role_rows__role="partner").first()
        facilitators = [(staff[0], "social_worker")] + ([(partner, "lawyer")] if partner else [])
        today = department.local_today()
        formats = [Format.WEBINAR, Format.IN_PERSON, Format.WEBINAR, Format.HYBRID] if code == "974" else [
            Format.IN_PERSON, Format.WEBINAR, Format.IN_PERSON, Format.HYBRID]  # fmt: skip
        # Upcoming: a session every ten days or so for three months.
        for index in range(max(3, int(8 * scale))):  # 974 always keeps a webinar with free seats
            format = formats[index % len(formats)]
            day = today + timedelta(days=6 + index * 10 + rng.randint(0, 3))
            workshop = _workshop(
                department, starts_at=_at(department, day, 18 if format == Format.WEBINAR else 14), format=format,
                venue=venues[index % len(venues)], capacity=20 if format == Format.WEBINAR else 12,
                status=Workshop.Status.PUBLISHED, facilitators=facilitators,
            )  # fmt: skip
            # The first La Réunion webinar is full with a waiting list; the others fill up gradually.
            count = (
                workshop.capacity + 3
                if (code == "974" and index == 0)
                else rng.randint(0, workshop.capacity // 2)
            )
            registrations += len(_register(rng, workshop, count=count, now=now))
            upcoming += 1
        # Held: two sessions a month for six months, with attendance and survey answers.
        for index in range(max(2, int(12 * scale))):
            format = formats[index % len(formats)]
            day = today - timedelta(days=10 + index * 15)
            workshop = _workshop(
                department, starts_at=_at(department, day, 18 if format == Format.WEBINAR else 14), format=format,
                venue=venues[index % len(venues)], capacity=20 if format == Format.WEBINAR else 14,
                status=Workshop.Status.HELD, facilitators=facilitators,
            )  # fmt: skip
            Workshop.objects.filter(pk=workshop.pk).update(held_at=workshop.ends_at)
            rows = _register(rng, workshop, count=rng.randint(8, workshop.capacity), now=now)
            confirmed = Registration.objects.filter(workshop=workshop, status=Registration.Status.CONFIRMED)
            present_ids = []
            for registration in confirmed:
                present = rng.random() < TURNOUT[format]
                registration.attendance = "present" if present else rng.choice(["absent", "excused"])
                registration.attendance_recorded_at = workshop.ends_at
                registration.survey_sent_at = workshop.ends_at if present else None
                if present:
                    present_ids.append(registration.pk)
            Registration.objects.bulk_update(
                confirmed, ["attendance", "attendance_recorded_at", "survey_sent_at"]
            )
            month = workshop.local_start().date().replace(day=1)
            survey = [
                SurveyResponse(
                    department_code=code,
                    format=format,
                    session_month=month,
                    comment=rng.choice(COMMENTS) if rng.random() < 0.3 else "",
                    **{q: _scale_answer(rng, SATISFACTION[format]) for q in SurveyResponse.QUESTIONS},
                )  # fmt: skip
                for rank, _ in enumerate(present_ids)
                # Six in ten answer; the first few always do, so that each format's results reach the
                # threshold below which they stay hidden, whatever day the demo is loaded on.
                if rank < settings.PARCOURS_WORKSHOP_SURVEY_MIN_ANSWERS or rng.random() < 0.6
            ]
            SurveyResponse.objects.bulk_create(survey)
            registrations += len(rows)
            answers += len(survey)
            held += 1
        invitations += _seed_invitations(rng, department, now)
    return (
        f"{upcoming} séances à venir, {held} séances tenues, {registrations} inscriptions, "
        f"{invitations} invitations, {answers} réponses anonymes à l'enquête"
    )


def _seed_invitations(rng, department, now) -> int:
    """Invitations sent to parents of demo families over the last months, with their outcome."""
    households = list(Household.objects.filter(department=department, restricted=False).order_by("pk")[:20])
    past = list(Workshop.objects.filter(department=department, status=Workshop.Status.HELD))
    created = 0
    for household in households:
        parent = household.members.filter(role=Person.Role.PARENT, is_declarant=True).first()
        if parent is None or not past:
            continue
        sent = now - timedelta(days=rng.randint(20, 170))
        outcome = rng.random()
        invitation = Invitation.objects.create(
            household=household, person=parent, sent_at=sent, expires_at=sent + timedelta(days=21),
            status=Invitation.Status.EXPIRED, answered_at=None,
        )  # fmt: skip
        workshop = rng.choice(past)
        workshop.refresh_from_db(fields=["seats_taken"])
        if outcome < 0.45 and workshop.seats_left:
            Workshop.objects.filter(pk=workshop.pk).update(seats_taken=F("seats_taken") + 1)
            present = rng.random() < TURNOUT[workshop.format]
            registration = Registration.objects.create(
                workshop=workshop, status=Registration.Status.CONFIRMED, source=Registration.Source.INVITATION,
                first_name=parent.first_name, person=parent, household=household, party_size=1,
                created_at=sent + timedelta(days=2), confirmed_at=sent + timedelta(days=2),
                attendance="present" if present else "absent", attendance_recorded_at=workshop.ends_at,
            )  # fmt: skip
            invitation.status, invitation.registration, invitation.answered_at = (
                Invitation.Status.REGISTERED, registration, sent + timedelta(days=2),
            )  # fmt: skip
        elif outcome < 0.6:
            invitation.status, invitation.answered_at = Invitation.Status.DECLINED, sent + timedelta(days=1)
        invitation.save()
        created += 1
    return created
