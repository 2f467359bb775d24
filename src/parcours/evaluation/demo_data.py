"""Demo data of the evaluation: a year of emergency-aid (AUU) history, so that the bilan's AUU
indicators have something to show (the protection seeder keeps one live file per state).

Written in bulk, as the pathways seeder replays a year of steps: this is demo history, not work
done through the app (no audit entry, no message).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from parcours.core import calendar, demo
from parcours.core.data.departments import PILOT_DEPARTMENTS
from parcours.core.models import Department, User
from parcours.pathways.models import Pathway
from parcours.protection import rules
from parcours.protection.models import EmergencyAid

AID_RATE = 0.7  # most victims of a protected track ask for the aid


@demo.register("Historique des aides d'urgence (bilan)", order=90)
def seed_aid_history(*, rng, scale, stdout):
    from parcours.evaluation import services

    created = 0
    for code in PILOT_DEPARTMENTS:
        department = Department.objects.get(code=code)
        officer = User.objects.get(email=demo.demo_email("benefits_officer", code))
        today = calendar.local_date(department)
        taken = set(
            EmergencyAid.objects.filter(household__department=department).values_list("person_id", flat=True)
        )
        pathways = (
            Pathway.objects.filter(department=department, violence_reported=True, declarant__isnull=False)
            .exclude(declarant_id__in=taken)
            .order_by("pk")
            .values_list("household_id", "declarant_id", "declared_on", "is_allocataire")
        )
        aids = []
        for household_id, person_id, declared_on, allocataire in pathways:
            if rng.random() > AID_RATE:
                continue
            received = min(declared_on + timedelta(days=rng.randint(0, 20)), today - timedelta(days=1))
            due = rules.due_date(department, received, is_allocataire=allocataire)
            aid = EmergencyAid(
                household_id=household_id,
                person_id=person_id,
                officer=officer,
                is_allocataire=allocataire,
                received_on=received,
                due_on=due,
                proof_kind=EmergencyAid.ProofKind.COMPLAINT,
                proof_date=received - timedelta(days=rng.randint(0, 30)),
                created_by=officer,
            )
            roll = rng.random()
            if roll < 0.05:
                aid.proof_kind = EmergencyAid.ProofKind.MAIN_COURANTE
                aid.status = EmergencyAid.Status.REFUSED
                aid.refusal_reason = rules.proof_problem(aid.proof_kind, aid.proof_date, received)
            elif roll < 0.08:
                aid.proof_date = received - timedelta(days=400)
                aid.status = EmergencyAid.Status.REFUSED
                aid.refusal_reason = rules.proof_problem(aid.proof_kind, aid.proof_date, received)
            elif roll < 0.11:
                aid.status = EmergencyAid.Status.REFUSED
                aid.refusal_reason = "Demande retirée par la personne, qui a trouvé un autre hébergement."
            elif received >= today - timedelta(days=3) and roll < 0.5:
                pass  # received a few days ago: still to decide
            else:
                loan = rng.random() < 0.25
                aid.form = EmergencyAid.Form.LOAN if loan else EmergencyAid.Form.GRANT
                aid.amount = Decimal(rng.choice(["640.00", "880.00", "1120.00", "1360.00"]))
                aid.monthly_resources = Decimal("2650.00") if loan else Decimal("1180.00")
                aid.children_count = rng.randint(0, 3)
                aid.decided_on = calendar.add_working_days(department, received, rng.choice([0, 1, 1, 2]))
                delay = (
                    rng.choice([1, 2, 2, 3, 3, 3, 4, 5, 6]) if allocataire else rng.choice([2, 3, 4, 5, 5, 7])
                )
                paid = calendar.add_working_days(department, received, delay)
                if paid <= today:
                    aid.status, aid.paid_on = EmergencyAid.Status.PAID, paid
                    aid.payment_reference = f"DEMO-{code}-{person_id}"
                else:
                    aid.status = EmergencyAid.Status.GRANTED
                if loan:
                    aid.proceedings = EmergencyAid.Proceedings.PENDING
            aids.append(aid)
        EmergencyAid.objects.bulk_create(aids, batch_size=500)
        created += len(aids)
    run = services.refresh()
    return f"{created} aides d'urgence sur un an ; indicateurs du bilan calculés ({run.rows} lignes)"
