"""The aide universelle d'urgence (AUU): request, proof, decision, payment, refusal, loan follow-up.

Rules are in `protection.rules` (pure functions, documented there). The applicant is always a person
at risk: a request for someone without a violence report records one (her own declaration).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from parcours.core import audit, calendar, policy
from parcours.core.models import User
from parcours.core.roles import Role
from parcours.households.models import Household, HouseholdAssignment, Person
from parcours.notifications import outbox
from parcours.protection import rules, uploads
from parcours.protection.models import EmergencyAid, ProofDocument, ResourceCeiling, ViolenceReport
from parcours.protection.services import track
from parcours.protection.services.track import record_violence_report

MAX_AMOUNT = Decimal("100000")


def _officer(actor, household: Household, officer: User | None) -> User:
    if officer is None and Role.BENEFITS_OFFICER in actor.roles:
        officer = actor
    if officer is None:
        raise ValidationError({"officer": "Choisissez le gestionnaire-conseil chargé du dossier."})
    if (
        not officer.is_active
        or Role.BENEFITS_OFFICER not in officer.roles
        or officer.department_code != household.department.code
    ):
        raise ValidationError(
            {"officer": "Choisissez un gestionnaire-conseil actif de la Caf du département."}
        )
    return officer


def _hand_over(actor, household: Household, officer: User) -> None:
    """The officer in charge must open this restricted file: assign her, with the reason, audited.

    Waiting for the local pilot would put the 3-working-day deadline at risk; the assignment is
    limited to the officer named on the request and visible on the pilot's assignment page.
    """
    assignment, created = HouseholdAssignment.objects.get_or_create(
        household=household, user=officer, defaults={"assigned_by": actor}
    )
    if created:
        audit.record(
            actor,
            "households.assignment.created",
            assignment,
            reason="Aide d'urgence : dossier confié au gestionnaire-conseil qui l'instruit",
        )


def _same_person(person: Person, prefix: str = "") -> Q:
    """The same person: this record, or the same person in another file of the department (same
    name and birth date)."""
    same = Q(**{f"{prefix}pk": person.pk})
    if person.birth_date:
        same |= Q(
            **{
                f"{prefix}search_name": person.search_name,
                f"{prefix}birth_date": person.birth_date,
                f"{prefix}household__department_id": person.household.department_id,
            }
        )
    return same


def _lock_person(person: Person) -> None:
    """Serialise the requests and decisions of one person (all her records, in one order: no deadlock)."""
    list(
        Person.objects.select_for_update()
        .filter(_same_person(person))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _previous_attributions(person: Person, *, exclude: EmergencyAid | None = None) -> list[date]:
    """Attribution decisions of the same person (see `_same_person`)."""
    qs = EmergencyAid.objects.filter(
        _same_person(person, "person__"), status__in=(EmergencyAid.Status.GRANTED, EmergencyAid.Status.PAID)
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return list(qs.exclude(decided_on=None).values_list("decided_on", flat=True))


def message_key(aid: EmergencyAid, purpose: str) -> str:
    """The outbox key of a message of this file; a corrected decision's messages are new ones."""
    key = f"protection.aid.{aid.pk}.{purpose}"
    return f"{key}.r{aid.revision}" if aid.revision else key


def _notify(actor, aid: EmergencyAid, purpose: str, template: str, context: dict) -> None:
    outbox.enqueue(
        actor=actor,
        template=template,
        key=message_key(aid, purpose),
        person=aid.person,
        context={"received_on": aid.received_on, **context},
    )


def require_action(aid: EmergencyAid, action: str) -> None:
    """The file's state machine (`EmergencyAid.why_not`) refuses the action, with its reason."""
    why = aid.why_not(action)
    if why is not None:
        raise ValidationError(f"Cette action n'est pas possible : {why}.")


class IntakeWarnings(ValidationError):
    """Eligibility problems seen at intake: shown before the request is submitted; the agent sends
    it on to the benefits officer anyway by acknowledging them (`acknowledge_warnings=True`)."""

    def __init__(self, warnings: list[str]):
        super().__init__(warnings, code="intake_warnings")
        self.warnings = warnings


def message_outcome(aid: EmergencyAid, purpose: str) -> str:
    """What happens to the message of a decision, as the chokepoint sees it now, in French: for the
    confirmation banner, which must never say "la personne en est informée" when she is not."""
    from parcours.notifications import chokepoint
    from parcours.notifications.models import Message

    message = Message.objects.filter(key=message_key(aid, purpose)).first()
    if message is None:
        return "Aucun message n'a été préparé pour la personne."
    if message.status == Message.Status.SENT:
        return "Le message neutre a été envoyé à la personne."
    if message.status in Message.FINAL:
        return f"Le message à la personne n'est pas parti ({message.get_status_display().lower()}) : informez-la autrement."
    decision = chokepoint.decide(message)
    if decision.outcome == chokepoint.SEND:
        channel = dict(Message.Channel.choices).get(decision.channel, decision.channel).lower()
        return f"Le message neutre part par un canal sûr ({channel}) : son envoi apparaîtra sur la fiche du foyer."
    if decision.outcome == chokepoint.HOLD:
        return f"Le message neutre attend la plage horaire sûre de la personne : {decision.reason}"
    return (
        f"Le message à la personne n'a pas pu partir ({decision.reason}) : la personne n'est pas encore "
        "informée ; appelez-la sur un canal sûr."
    )


def _refuse(actor, aid: EmergencyAid, reason: str) -> EmergencyAid:
    aid.status = EmergencyAid.Status.REFUSED
    aid.refusal_reason = reason
    aid.decided_at, aid.decided_by = timezone.now(), actor
    aid.save()
    audit.record(actor, "protection.emergency_aid.refused", aid, reason=reason)
    _notify(actor, aid, "refusal", "protection.aid_refused", {})
    return aid


@transaction.atomic
def register_aid_request(
    *,
    actor,
    household: Household,
    person: Person,
    received_on: date,
    proof_kind: str,
    proof_date: date,
    is_allocataire: bool | None = None,
    officer: User | None = None,
    proof_file=None,
    acknowledge_warnings: bool = False,
) -> EmergencyAid:
    """Record a request as received, for the benefits officer to decide.

    What the law may rule out (no accepted proof, proof older than 12 months, an aid attributed less
    than 12 months ago) is a *warning*: raised as `IntakeWarnings` before anything is written, then
    recorded on the request once the agent acknowledges it. Only a benefits officer refuses.
    The deadline is set from the day of receipt; the officer in charge is assigned to the file.
    """
    policy.require(actor, "protection.register_aid", household)
    if person.household_id != household.pk or person.role != Person.Role.PARENT:
        raise ValidationError({"person": "Le demandeur doit être un parent de ce foyer."})
    today = calendar.local_date(household.department)
    if received_on > today:
        raise ValidationError({"received_on": "La date de réception ne peut pas être dans le futur."})
    if proof_kind not in EmergencyAid.ProofKind.values:
        raise ValidationError({"proof_kind": "Indiquez le type de justificatif."})
    if proof_date > received_on:
        raise ValidationError(
            {
                "proof_date": "La date du justificatif ne peut pas être postérieure à la réception de la demande."
            }
        )
    officer = _officer(actor, household, officer)
    clean = uploads.clean_proof(proof_file) if proof_file is not None else None
    # Two desks registering the same request at once give one file.
    _lock_person(person)
    pending = EmergencyAid.objects.filter(person=person, status=EmergencyAid.Status.RECEIVED).first()
    if pending is not None:
        raise ValidationError(
            f"Une demande de cette personne, reçue le {rules.french_date(pending.received_on)}, est déjà en "
            f"cours d'instruction ({pending.reference}) : complétez-la plutôt que d'en créer une nouvelle."
        )
    if is_allocataire is None:
        is_allocataire = household.is_allocataire
    warnings = rules.intake_warnings(proof_kind, proof_date, received_on, _previous_attributions(person))
    if warnings and not acknowledge_warnings:
        raise IntakeWarnings(warnings)
    # The applicant is the other parent of a recorded victim: a « signalement croisé ». The request
    # is recorded (never refused) but nothing is automated for him — no report, no checklist — and
    # the officer cannot decide until the family's social worker has decided on the flag.
    cross_claim = bool(track.recorded_victims_against(person))
    if not cross_claim and not ViolenceReport.objects.filter(person=person).exists():
        record_violence_report(
            actor=actor, household=household, person=person, source=ViolenceReport.Source.PERSON
        )
    aid = EmergencyAid.objects.create(
        household=household,
        person=person,
        officer=officer,
        is_allocataire=is_allocataire,
        received_on=received_on,
        due_on=rules.due_date(household.department, received_on, is_allocataire=is_allocataire),
        proof_kind=proof_kind,
        proof_date=proof_date,
        intake_warnings=warnings,
        created_by=actor,
    )
    _hand_over(actor, household, officer)
    audit.record(
        actor,
        "protection.emergency_aid.registered",
        aid,
        data={"proof_kind": proof_kind, "allocataire": is_allocataire, "due_on": aid.due_on.isoformat(),
              "warnings": len(warnings)},
    )  # fmt: skip
    if clean is not None:
        _store_proof(actor, aid, clean)
    if cross_claim:
        track.flag_cross_claim(
            actor, person=person, kind="aid_request", source=ViolenceReport.Source.PERSON, aid=aid
        )
    return aid


def _store_proof(actor, aid: EmergencyAid, clean: uploads.CleanProof) -> ProofDocument:
    proof = ProofDocument(
        aid=aid,
        content_type=clean.content_type,
        size=len(clean.content),
        sha256=clean.sha256,
        uploaded_by=actor,
    )
    proof.file.save(f"justificatif.{clean.extension}", ContentFile(clean.content), save=False)
    # The file is written before the row: if the transaction fails, a stray file with a random name
    # remains (never served), not a row without its file.
    proof.save()
    audit.record(
        actor, "protection.proof.uploaded", proof, data={"type": clean.content_type, "size": proof.size}
    )
    return proof


@transaction.atomic
def add_proof(*, actor, aid: EmergencyAid, upload) -> ProofDocument:
    policy.require(actor, "protection.register_aid", aid)
    require_action(aid, EmergencyAid.Action.ADD_PROOF)
    return _store_proof(actor, aid, uploads.clean_proof(upload))


def _decimal(value, field: str, label: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ValidationError({field: f"{label} : montant invalide."}) from exc
    return amount


def _lock(aid: EmergencyAid) -> None:
    """Lock the file's row and read it again: two officers acting at once act one after the other."""
    EmergencyAid.objects.select_for_update().filter(pk=aid.pk).values_list("pk", flat=True).first()
    aid.refresh_from_db()


@transaction.atomic
def decide_aid(
    *,
    actor,
    aid: EmergencyAid,
    monthly_resources,
    children_count: int,
    amount,
    decided_on: date | None = None,
) -> EmergencyAid:
    """Attribute the aid: a grant when the monthly resources are at or under the ceiling in force on the
    day of receipt for that number of children, an interest-free loan above it. The amount comes from
    the benefit system, entered by the benefits officer."""
    policy.require(actor, "protection.process_aid", aid)
    _lock(aid)
    require_action(aid, EmergencyAid.Action.DECIDE)
    proof = rules.proof_problem(aid.proof_kind, aid.proof_date, aid.received_on)
    if proof:
        raise ValidationError(
            f"{proof} L'aide ne peut pas être attribuée sur ce justificatif : refusez la demande avec ce "
            "motif, ou faites enregistrer une nouvelle demande avec un justificatif recevable."
        )
    resources = _decimal(monthly_resources, "monthly_resources", "Ressources")
    amount = _decimal(amount, "amount", "Montant")
    if resources < 0:
        raise ValidationError({"monthly_resources": "Les ressources ne peuvent pas être négatives."})
    if not 0 < amount <= MAX_AMOUNT:
        raise ValidationError(
            {"amount": "Le montant doit être positif (tel que calculé par le système de prestations)."}
        )
    if children_count is None or not 0 <= int(children_count) <= 20:
        raise ValidationError({"children_count": "Le nombre d'enfants à charge est compris entre 0 et 20."})
    today = calendar.local_date(aid.household.department)
    decided_on = decided_on or today
    if decided_on > today or decided_on < aid.received_on:
        raise ValidationError(
            {
                "decided_on": "La date de décision est comprise entre la réception de la demande et aujourd'hui."
            }
        )
    ceiling = ResourceCeiling.in_force(aid.received_on, int(children_count))
    if ceiling is None:
        raise ValidationError(
            f"Aucun barème de plafonds n'est en vigueur le {rules.french_date(aid.received_on)} : "
            "le pilote national doit l'enregistrer."
        )
    _lock_person(aid.person)
    problem = rules.renewal_problem(_previous_attributions(aid.person, exclude=aid), aid.received_on)
    if problem:
        # The officer decides: the software says why it cannot be granted, it does not refuse for her.
        raise ValidationError(f"{problem} Refusez la demande avec ce motif si vous le confirmez.")
    form = rules.aid_form(resources, ceiling.monthly_amount)
    aid.monthly_resources, aid.children_count, aid.ceiling = resources, int(children_count), ceiling
    aid.form, aid.amount = form, amount
    aid.status = EmergencyAid.Status.GRANTED
    aid.decided_at, aid.decided_on, aid.decided_by = timezone.now(), decided_on, actor
    if form == EmergencyAid.Form.LOAN:
        # A complaint or a report to the prosecutor starts criminal proceedings: the loan is suspended.
        pending = aid.proof_kind in (
            EmergencyAid.ProofKind.COMPLAINT,
            EmergencyAid.ProofKind.PROSECUTOR_REPORT,
        )
        aid.proceedings = EmergencyAid.Proceedings.PENDING if pending else EmergencyAid.Proceedings.NONE
        aid.proceedings_updated_on = decided_on
    aid.save()
    comparison = "≤" if form == EmergencyAid.Form.GRANT else ">"
    reason = (
        f"{aid.get_form_display()} : ressources mensuelles {rules.euros(resources)} € {comparison} plafond "
        f"{rules.euros(ceiling.monthly_amount)} € ({ceiling.children_label}, barème du "
        f"{rules.french_date(ceiling.valid_from)})"
    )
    audit.record(
        actor,
        "protection.emergency_aid.granted",
        aid,
        reason=reason,
        data={"form": form, "amount": str(amount), "ceiling_id": ceiling.pk},
    )
    _notify(
        actor,
        aid,
        "decision",
        "protection.aid_granted",
        {"amount": rules.euros(amount), "loan": form == EmergencyAid.Form.LOAN, "due_on": aid.due_on},
    )
    return aid


@transaction.atomic
def refuse_aid(*, actor, aid: EmergencyAid, reason: str) -> EmergencyAid:
    """Refuse a request not yet paid (forged proof, request withdrawn…), with the reason."""
    policy.require(actor, "protection.process_aid", aid)
    _lock(aid)
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationError({"reason": "Motivez le refus (10 caractères au moins)."})
    require_action(aid, EmergencyAid.Action.REFUSE)
    return _refuse(actor, aid, reason)


@transaction.atomic
def correct_decision(*, actor, aid: EmergencyAid, reason: str) -> EmergencyAid:
    """A benefits officer reopens a decision (an attribution not yet paid, or a refusal) within the
    appeal delay, with the reason: the request is to decide again, and the new decision's message
    informs the person again. A message of the old decision not yet sent is withdrawn."""
    policy.require(actor, "protection.process_aid", aid)
    _lock(aid)
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationError({"reason": "Motivez la correction (10 caractères au moins)."})
    require_action(aid, EmergencyAid.Action.CORRECT)
    previous = aid.status
    outbox.cancel(key=message_key(aid, "decision"), reason="Décision corrigée")
    outbox.cancel(key=message_key(aid, "refusal"), reason="Décision corrigée")
    aid.status = EmergencyAid.Status.RECEIVED
    aid.form, aid.amount, aid.ceiling = "", None, None
    aid.monthly_resources, aid.children_count = None, None
    aid.decided_at = aid.decided_on = aid.decided_by = None
    aid.refusal_reason = ""
    aid.proceedings, aid.proceedings_updated_on = EmergencyAid.Proceedings.NONE, None
    aid.revision += 1
    aid.corrected_at = timezone.now()
    aid.save()
    audit.record(
        actor, "protection.emergency_aid.decision_corrected", aid, reason=reason,
        data={"from": previous, "revision": aid.revision},
    )  # fmt: skip
    return aid


@transaction.atomic
def record_payment(*, actor, aid: EmergencyAid, paid_on: date, reference: str = "") -> EmergencyAid:
    policy.require(actor, "protection.process_aid", aid)
    _lock(aid)
    require_action(aid, EmergencyAid.Action.PAY)
    today = calendar.local_date(aid.household.department)
    if paid_on > today:
        raise ValidationError({"paid_on": "La date de paiement ne peut pas être dans le futur."})
    if paid_on < aid.received_on:
        raise ValidationError(
            {"paid_on": "La date de paiement ne peut pas précéder la réception de la demande."}
        )
    aid.status, aid.paid_on, aid.payment_reference = (
        EmergencyAid.Status.PAID,
        paid_on,
        (reference or "").strip(),
    )
    aid.save()
    late = paid_on > aid.due_on
    audit.record(
        actor,
        "protection.emergency_aid.paid",
        aid,
        reason=f"Payée le {rules.french_date(paid_on)}"
        + (" (après le délai)" if late else " (dans le délai)"),
        data={"paid_on": paid_on.isoformat(), "late": late},
    )
    _notify(
        actor, aid, "payment", "protection.aid_paid", {"amount": rules.euros(aid.amount), "paid_on": paid_on}
    )
    return aid


@transaction.atomic
def record_proceedings(*, actor, aid: EmergencyAid, proceedings: str, on: date) -> EmergencyAid:
    """Follow the criminal proceedings of a loan. A conviction (or a composition pénale, a classement
    sous condition) records the recovery of the loan from the perpetrator (CASF L.214-12)."""
    policy.require(actor, "protection.process_aid", aid)
    _lock(aid)
    require_action(aid, EmergencyAid.Action.PROCEEDINGS)
    if proceedings not in EmergencyAid.Proceedings.values:
        raise ValidationError({"proceedings": "État de la procédure inconnu."})
    today = calendar.local_date(aid.household.department)
    if on > today:
        raise ValidationError({"on": "La date ne peut pas être dans le futur."})
    if aid.perpetrator_recovery_on is not None and proceedings != EmergencyAid.Proceedings.CONVICTION:
        raise ValidationError(
            "Le recouvrement auprès de l'auteur est déjà engagé : la procédure ne peut plus changer."
        )
    previous = aid.proceedings
    aid.proceedings, aid.proceedings_updated_on = proceedings, on
    aid.save()
    audit.record(
        actor,
        "protection.emergency_aid.proceedings_changed",
        aid,
        reason=aid.get_proceedings_display(),
        data={"from": previous, "to": proceedings},
    )
    if proceedings == EmergencyAid.Proceedings.CONVICTION and aid.perpetrator_recovery_on is None:
        aid.perpetrator_recovery_on, aid.perpetrator_recovery_amount = on, aid.amount
        aid.save(update_fields=["perpetrator_recovery_on", "perpetrator_recovery_amount", "updated_at"])
        audit.record(
            actor,
            "protection.emergency_aid.recovery_recorded",
            aid,
            reason="Condamnation de l'auteur : le remboursement du prêt lui est demandé (CASF L.214-12).",
            data={"amount": str(aid.amount)},
        )
    return aid


@transaction.atomic
def claim_repayment(*, actor, aid: EmergencyAid, claimed_on: date) -> EmergencyAid:
    """Ask the beneficiary to repay her loan: never while criminal proceedings are pending, never when
    the perpetrator was convicted (he repays)."""
    policy.require(actor, "protection.process_aid", aid)
    _lock(aid)
    if not aid.is_loan or aid.status != EmergencyAid.Status.PAID:
        require_action(aid, EmergencyAid.Action.REPAYMENT)
    if aid.proceedings == EmergencyAid.Proceedings.PENDING:
        raise ValidationError(
            "Une procédure pénale est en cours : le remboursement du prêt ne peut pas être demandé à la "
            "victime tant qu'elle n'est pas terminée (CASF L.214-12)."
        )
    if aid.proceedings == EmergencyAid.Proceedings.CONVICTION:
        raise ValidationError(
            "L'auteur a été condamné : le remboursement lui est demandé, pas à la victime (CASF L.214-12)."
        )
    require_action(aid, EmergencyAid.Action.REPAYMENT)
    today = calendar.local_date(aid.household.department)
    if claimed_on > today or (aid.paid_on and claimed_on < aid.paid_on):
        raise ValidationError({"claimed_on": "La date est comprise entre le versement et aujourd'hui."})
    aid.repayment_claimed_on = claimed_on
    aid.save()
    audit.record(
        actor,
        "protection.emergency_aid.repayment_claimed",
        aid,
        reason=f"Procédure : {aid.get_proceedings_display().lower()}",
        data={"claimed_on": claimed_on.isoformat()},
    )
    return aid


@transaction.atomic
def create_ceiling_scale(
    *, actor, valid_from: date, amounts: dict[int, Decimal], source: str
) -> list[ResourceCeiling]:
    """A new dated scale (national pilot): one ceiling per line (0, 1, 2, 3 or more children)."""
    policy.require(actor, "protection.manage_ceilings")
    if set(amounts) != {0, 1, 2, 3}:
        raise ValidationError(
            "Un barème comprend les quatre lignes : personne seule, 1, 2, 3 enfants ou plus."
        )
    if ResourceCeiling.objects.filter(valid_from=valid_from).exists():
        raise ValidationError({"valid_from": "Un barème commence déjà à cette date."})
    rows = []
    for children, value in sorted(amounts.items()):
        amount = _decimal(value, f"amount_{children}", "Plafond")
        if amount <= 0:
            raise ValidationError({f"amount_{children}": "Le plafond doit être positif."})
        rows.append(
            ResourceCeiling.objects.create(
                valid_from=valid_from, children=children, monthly_amount=amount, source=(source or "").strip()
            )
        )
    audit.record(
        actor,
        "protection.ceiling_scale.created",
        None,
        data={
            "valid_from": valid_from.isoformat(),
            "amounts": {str(r.children): str(r.monthly_amount) for r in rows},
        },
        department="",
    )
    return rows
