"""Demo data of the protected track, through the real services (audit entries and messages included).

In each pilot department: the partner directory (CIDFF, victim support, 3919, a shelter, a lawyer);
the restricted households of the households seeder become protected tracks (a violence report by
their assigned social worker), with checklists in progress and referrals; and AUU files in every
state the benefits officer meets: on time, late, granted, paid, refused.
"""

from __future__ import annotations

from datetime import timedelta

from parcours.core import calendar, demo
from parcours.core.data.departments import PILOT_DEPARTMENTS
from parcours.core.models import User
from parcours.households.models import ContactChannel, Household, Person
from parcours.protection import services
from parcours.protection.models import EmergencyAid, Partner, Referral, SafetyStep, ViolenceReport

PARTNERS = {
    "92": [
        ("CIDFF des Hauts-de-Seine", Partner.Kind.CIDFF, "01 47 00 00 01", "10 rue de l'Abreuvoir, 92400 Courbevoie", "Lundi au vendredi, 9h-17h"),
        ("ADAVIP 92 (France Victimes)", Partner.Kind.FRANCE_VICTIMES, "01 47 00 00 02", "3 rue de la Liberté, 92000 Nanterre", "Sur rendez-vous"),
        ("Foyer d'hébergement L'Escale", Partner.Kind.SHELTER, "01 47 00 00 03", "", "Permanence 24 h/24"),
        ("Maître Claire Lambert, avocate", Partner.Kind.LAWYER, "01 47 00 00 04", "8 avenue Foch, 92100 Boulogne-Billancourt", "Aide juridictionnelle acceptée"),
    ],
    "974": [
        ("CIDFF de La Réunion", Partner.Kind.CIDFF, "0262 00 00 01", "2 rue Juliette Dodu, 97400 Saint-Denis", "Lundi au vendredi, 8h-16h"),
        ("France Victimes 974", Partner.Kind.FRANCE_VICTIMES, "0262 00 00 02", "12 rue de Paris, 97400 Saint-Denis", "Sur rendez-vous"),
        ("Hébergement d'urgence Case Kaz Ensemble", Partner.Kind.SHELTER, "0262 00 00 03", "", "Permanence 24 h/24"),
        ("Maître Jean-Marc Payet, avocat", Partner.Kind.LAWYER, "0262 00 00 04", "5 rue Pasteur, 97410 Saint-Pierre", "Aide juridictionnelle acceptée"),
    ],
    "27": [
        ("CIDFF de l'Eure", Partner.Kind.CIDFF, "02 32 00 00 01", "4 rue de la Harpe, 27000 Évreux", "Mardi et jeudi, 9h-17h"),
        ("France Victimes 27", Partner.Kind.FRANCE_VICTIMES, "02 32 00 00 02", "1 place du Palais, 27000 Évreux", "Sur rendez-vous"),
        ("Maître Sophie Leclerc, avocate", Partner.Kind.LAWYER, "02 32 00 00 04", "5 place du Général de Gaulle, 27000 Évreux", ""),
    ],
    "86": [
        ("CIDFF de la Vienne", Partner.Kind.CIDFF, "05 49 00 00 01", "21 rue Carnot, 86000 Poitiers", "Lundi au vendredi, 9h-17h"),
        ("France Victimes 86 (AVIC 86)", Partner.Kind.FRANCE_VICTIMES, "05 49 00 00 02", "9 rue de la Marne, 86000 Poitiers", "Sur rendez-vous"),
        ("Centre d'hébergement Le Relais", Partner.Kind.SHELTER, "05 49 00 00 03", "", "Permanence 24 h/24"),
    ],
    "47": [
        ("CIDFF de Lot-et-Garonne", Partner.Kind.CIDFF, "05 53 00 00 01", "12 boulevard de la République, 47000 Agen", "Lundi au jeudi, 9h-17h"),
        ("France Victimes 47", Partner.Kind.FRANCE_VICTIMES, "05 53 00 00 02", "3 rue Palissy, 47000 Agen", "Sur rendez-vous"),
        ("Maître Paul Garcia, avocat", Partner.Kind.LAWYER, "05 53 00 00 04", "7 cours Gambetta, 47000 Agen", ""),
    ],
}  # fmt: skip
HELPLINE = (
    "3919 — Violences Femmes Info",
    "3919",
    "Gratuit, anonyme, 24 h/24 et 7 j/7 ; n'apparaît pas sur les factures",
)
NOTES = [
    "A confié les faits lors du rendez-vous des droits ; préfère être appelée le matin.",
    "Signalement transmis par l'association ; enfants exposés.",
    "Ordonnance de protection en cours ; ne jamais appeler le soir.",
    "",
]


def _seed_partners(pilot: User) -> list[Partner]:
    from parcours.core.models import Organisation

    # The demo partner organisation (accounts partner.<dep>@…) receives the first entry's referrals.
    accounts = Organisation.objects.filter(
        kind=Organisation.Kind.PARTNER, department__code=pilot.department_code
    ).first()
    partners = []
    for index, (name, kind, phone, address, hours) in enumerate(PARTNERS[pilot.department_code]):
        partners.append(
            services.save_partner(
                actor=pilot,
                name=name,
                kind=kind,
                phone=phone,
                address=address,
                hours=hours,
                organisation=accounts if index == 0 else None,
            )  # fmt: skip
        )
    name, phone, hours = HELPLINE
    services.save_partner(
        actor=pilot, name=name, kind=Partner.Kind.HELPLINE, phone=phone, hours=hours, accepts_referrals=False
    )
    return partners


def _checklist(rng, worker: User, person: Person, partners: list[Partner], index: int) -> int:
    referrals = 0
    today = calendar.local_date(person.household.department)
    steps = {s.kind: s for s in SafetyStep.objects.filter(person=person)}
    if ContactChannel.objects.filter(person=person, is_safe=True).exists():
        services.update_safety_step(
            actor=worker,
            step=steps[SafetyStep.Kind.SAFE_CONTACT],
            status="done",
            done_on=today - timedelta(days=3),
        )
    if index % 2 == 0:
        services.update_safety_step(
            actor=worker,
            step=steps[SafetyStep.Kind.BANK_DETAILS],
            status="done",
            done_on=today - timedelta(days=2),
        )
    if index % 3 == 0:
        services.update_safety_step(
            actor=worker,
            step=steps[SafetyStep.Kind.ONLINE_ACCOUNT],
            status="done",
            done_on=today - timedelta(days=1),
        )
    elif index % 3 == 1:
        services.update_safety_step(
            actor=worker,
            step=steps[SafetyStep.Kind.ONLINE_ACCOUNT],
            status="not_applicable",
            note="Pas de compte en ligne partagé.",
        )
    if index % 4 != 3 and partners:
        transmission = index % 2 == 0
        referral = services.refer(
            actor=worker,
            person=person,
            partner=partners[index % len(partners)],
            mode=Referral.Mode.TRANSMISSION if transmission else Referral.Mode.INFORMATION,
            need=rng.choice(["Conseil juridique", "Mise à l'abri", "Accompagnement au dépôt de plainte"]),
            consent_given=transmission,
        )
        referrals += 1
        if index % 3 == 0:
            services.update_referral(actor=worker, referral=referral, status=Referral.Status.IN_PROGRESS)
    return referrals


def _aids(rng, officer: User, worker: User, tracks: list[tuple[Household, Person]]) -> dict[str, int]:
    """One file per state, as far as the department has protected households."""
    counts = {"à temps": 0, "en retard": 0, "payée(s)": 0, "refusée(s)": 0}
    department = officer.department
    today = calendar.local_date(department)
    for state, (household, person) in zip(["on_time", "late", "paid", "refused"], tracks, strict=False):
        if state == "on_time":
            received = today
        elif state == "late":
            received = today - timedelta(days=12)  # about 8 working days: the 3-day deadline has passed
        else:
            received = today - timedelta(days=20)
        proof = (
            EmergencyAid.ProofKind.MAIN_COURANTE if state == "refused" else EmergencyAid.ProofKind.COMPLAINT
        )
        aid = services.register_aid_request(
            actor=worker,
            household=household,
            person=person,
            received_on=received,
            proof_kind=proof,
            proof_date=received - timedelta(days=rng.randint(1, 40)),
            officer=officer,
            acknowledge_warnings=True,  # the main courante: a warning at intake, the officer refuses
        )
        if state == "refused":
            services.refuse_aid(actor=officer, aid=aid, reason=aid.intake_warnings[0])
        if state == "paid":
            services.decide_aid(
                actor=officer, aid=aid, monthly_resources="1480.00", children_count=2, amount="1120.00",
                decided_on=received + timedelta(days=1),
            )  # fmt: skip
            services.record_payment(actor=officer, aid=aid, paid_on=aid.due_on)
        elif state == "on_time" and rng.random() < 0.5:
            services.decide_aid(
                actor=officer, aid=aid, monthly_resources="2650.00", children_count=0, amount="640.00"
            )
        counts[
            {"on_time": "à temps", "late": "en retard", "paid": "payée(s)", "refused": "refusée(s)"}[state]
        ] += 1
    return counts


@demo.register("Protection", order=40)
def seed_protection(*, rng, scale, stdout):
    reports = referrals = 0
    totals = {"à temps": 0, "en retard": 0, "payée(s)": 0, "refusée(s)": 0}
    for code in PILOT_DEPARTMENTS:
        pilot = User.objects.get(email=demo.demo_email("local_pilot", code))
        worker = User.objects.get(email=demo.demo_email("social_worker", code))
        officer = User.objects.get(email=demo.demo_email("benefits_officer", code))
        partners = _seed_partners(pilot)
        households = list(
            Household.objects.filter(
                department__code=code, restricted=True, assignments__user=worker
            ).order_by("pk")
        )
        tracks = []
        for index, household in enumerate(households):  # already scaled by the households seeder
            person = household.members.filter(role=Person.Role.PARENT, is_declarant=True).first()
            if person is None or ViolenceReport.objects.filter(person=person).exists():
                continue
            services.record_violence_report(
                actor=worker,
                household=household,
                person=person,
                source=rng.choice(ViolenceReport.Source.values),
                note=NOTES[index % len(NOTES)],
            )
            reports += 1
            referrals += _checklist(rng, worker, person, partners, index)
            tracks.append((household, person))
        for state, count in _aids(rng, officer, worker, tracks).items():
            totals[state] += count
    files = ", ".join(f"{count} {state}" for state, count in totals.items())
    return f"{reports} suivis protégés, {referrals} orientations, aides d'urgence : {files}"
