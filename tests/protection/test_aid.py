"""The AUU file: request, automatic refusals, decision, payment, loan follow-up, messages."""

import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from parcours.core.models import AuditEntry
from parcours.households.models import HouseholdAssignment
from parcours.notifications import outbox, safety
from parcours.notifications.models import Message
from parcours.protection import services
from parcours.protection.models import EmergencyAid, ProofDocument, ViolenceReport
from tests import factories
from tests.notifications.factories import family
from tests.protection.factories import jpeg_with_gps, protected_family, upload

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 4)  # a Wednesday
P, S = EmergencyAid.ProofKind, EmergencyAid.Status


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(date(2026, 3, 4), tick=False):
        yield


@pytest.fixture
def officer():
    return factories.make_user("benefits_officer", "92")


@pytest.fixture
def worker():
    return factories.make_user("social_worker", "92")


@pytest.fixture
def victim(worker):
    household, mother, father, _ = protected_family("92", assignee=worker)
    return household, mother, father


def register(actor, household, person, **values):
    values.setdefault("received_on", TODAY)
    values.setdefault("proof_kind", P.COMPLAINT)
    values.setdefault("proof_date", date(2026, 2, 20))
    return services.register_aid_request(actor=actor, household=household, person=person, **values)


def test_a_request_registered_by_a_social_worker_goes_to_the_named_officer(worker, officer, victim):
    household, mother, _ = victim
    aid = register(worker, household, mother, officer=officer)
    assert aid.status == S.RECEIVED and aid.officer == officer
    assert aid.due_on == date(2026, 3, 9)  # Thu 5, Fri 6, Mon 9
    assert HouseholdAssignment.objects.filter(household=household, user=officer).exists()
    entry = AuditEntry.objects.get(action="households.assignment.created")
    assert "gestionnaire-conseil" in entry.reason and entry.actor == worker
    assert AuditEntry.objects.filter(
        action="protection.emergency_aid.registered", object_id=str(aid.pk)
    ).exists()


def test_a_non_allocataire_has_5_working_days(worker, officer, victim):
    household, mother, _ = victim
    assert register(worker, household, mother, officer=officer, is_allocataire=False).due_on == date(
        2026, 3, 11
    )


def test_the_officer_must_be_a_benefits_officer_of_the_department(worker, victim):
    household, mother, _ = victim
    for wrong in (
        None,
        factories.make_user("social_worker", "92"),
        factories.make_user("benefits_officer", "974"),
    ):
        with pytest.raises(ValidationError):
            register(worker, household, mother, officer=wrong)
    assert not EmergencyAid.objects.exists()


def test_a_benefits_officer_registering_is_in_charge_by_default(officer):
    household, mother, _, _ = protected_family("92", assignee=officer)
    assert register(officer, household, mother).officer == officer


def test_a_request_without_a_report_records_one(officer):
    household, mother, _, _ = family("92")
    aid = register(officer, household, mother)
    household.refresh_from_db()
    assert household.restricted
    assert ViolenceReport.objects.filter(person=mother, source="person").exists()
    assert aid.status == S.RECEIVED


def test_a_main_courante_is_a_warning_at_intake_and_only_the_officer_refuses(worker, officer, victim):
    """Issue 15, rule 4: the social worker's choice never produces a refusal signed with her name."""
    household, mother, _ = victim
    with pytest.raises(services.IntakeWarnings) as warned:
        register(worker, household, mother, officer=officer, proof_kind=P.MAIN_COURANTE)
    assert "main courante" in warned.value.warnings[0] and not EmergencyAid.objects.exists()
    aid = register(
        worker, household, mother, officer=officer, proof_kind=P.MAIN_COURANTE, acknowledge_warnings=True
    )
    assert aid.status == S.RECEIVED and "main courante" in aid.intake_warnings[0]
    assert not AuditEntry.objects.filter(action="protection.emergency_aid.refused").exists()
    assert not Message.objects.filter(key__startswith=f"protection.aid.{aid.pk}.").exists()
    # The officer cannot grant on it; she refuses, with the reason, and the refusal is hers.
    with pytest.raises(ValidationError, match="main courante"):
        services.decide_aid(actor=officer, aid=aid, monthly_resources="900", children_count=1, amount="800")
    services.refuse_aid(actor=officer, aid=aid, reason=aid.intake_warnings[0])
    aid.refresh_from_db()
    assert aid.status == S.REFUSED and aid.decided_by == officer
    entry = AuditEntry.objects.get(action="protection.emergency_aid.refused")
    assert "main courante" in entry.reason and entry.actor == officer
    assert Message.objects.filter(
        key=f"protection.aid.{aid.pk}.refusal", template="protection.aid_refused"
    ).exists()


def test_a_proof_of_12_months_and_1_day_is_a_warning_and_cannot_be_granted(worker, officer, victim):
    household, mother, _ = victim
    with pytest.raises(services.IntakeWarnings, match="plus de 12 mois"):
        register(worker, household, mother, officer=officer, proof_date=date(2025, 3, 3))
    aid = register(
        worker, household, mother, officer=officer, proof_date=date(2025, 3, 3), acknowledge_warnings=True
    )
    assert aid.status == S.RECEIVED and "plus de 12 mois" in aid.intake_warnings[0]
    with pytest.raises(ValidationError, match="plus de 12 mois"):
        services.decide_aid(actor=officer, aid=aid, monthly_resources="900", children_count=1, amount="800")


def test_a_proof_of_11_months_and_30_days_is_accepted(worker, officer, victim):
    household, mother, _ = victim
    assert (
        register(worker, household, mother, officer=officer, proof_date=date(2025, 4, 5)).status == S.RECEIVED
    )


def test_a_second_request_within_12_months_is_refused_with_the_date_of_the_first(worker, officer, victim):
    household, mother, _ = victim
    with time_machine.travel(date(2025, 6, 2), tick=False):
        first = register(
            worker,
            household,
            mother,
            officer=officer,
            received_on=date(2025, 6, 2),
            proof_date=date(2025, 6, 1),
        )
        services.decide_aid(actor=officer, aid=first, monthly_resources="900", children_count=1, amount="800")
        services.record_payment(actor=officer, aid=first, paid_on=date(2025, 6, 2))
    with pytest.raises(services.IntakeWarnings, match="2 juin 2025"):
        register(worker, household, mother, officer=officer)
    second = register(worker, household, mother, officer=officer, acknowledge_warnings=True)
    assert second.status == S.RECEIVED
    assert "2 juin 2025" in second.intake_warnings[0] and "2 juin 2026" in second.intake_warnings[0]
    with pytest.raises(ValidationError, match="2 juin 2026"):
        services.decide_aid(
            actor=officer, aid=second, monthly_resources="900", children_count=1, amount="800"
        )
    assert EmergencyAid.objects.get(pk=second.pk).status == S.RECEIVED


def test_the_same_person_in_another_file_of_the_department_counts(worker, officer, victim):
    household, mother, _ = victim
    mother.birth_date = date(1990, 4, 1)
    mother.save()
    with time_machine.travel(date(2025, 9, 1), tick=False):
        first = register(
            worker,
            household,
            mother,
            officer=officer,
            received_on=date(2025, 9, 1),
            proof_date=date(2025, 8, 30),
        )
        services.decide_aid(actor=officer, aid=first, monthly_resources="900", children_count=1, amount="800")
    new_household, new_mother, _, _ = protected_family("92", assignee=worker)
    new_mother.first_name, new_mother.last_name, new_mother.birth_date = (
        mother.first_name,
        mother.last_name,
        mother.birth_date,
    )
    new_mother.save()
    again = register(worker, new_household, new_mother, officer=officer, acknowledge_warnings=True)
    assert again.status == S.RECEIVED and "1er septembre 2025" in again.intake_warnings[0]


def test_a_pending_request_is_not_registered_twice(worker, officer, victim):
    household, mother, _ = victim
    first = register(worker, household, mother, officer=officer)
    with pytest.raises(ValidationError, match="déjà en cours d'instruction"):
        register(worker, household, mother, officer=officer)
    assert EmergencyAid.objects.filter(person=mother).count() == 1 and first.pk


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("received_on", {"received_on": date(2026, 3, 5)}),
        ("proof_date", {"proof_date": date(2026, 3, 5), "received_on": date(2026, 3, 4)}),
        ("person", {"person_is_child": True}),
    ],
)
def test_bad_input_is_refused_in_french_and_nothing_is_written(worker, officer, victim, field, values):
    household, mother, _ = victim
    person = household.members.get(role="child") if values.pop("person_is_child", False) else mother
    with pytest.raises(ValidationError) as error:
        register(worker, household, person, officer=officer, **values)
    assert field in error.value.message_dict
    assert not EmergencyAid.objects.exists()
    assert not HouseholdAssignment.objects.filter(user=officer).exists()


def test_a_proof_uploaded_with_the_request_is_stored_clean_outside_the_web_root(
    worker, officer, victim, settings
):
    from pathlib import Path

    household, mother, _ = victim
    aid = register(
        worker, household, mother, officer=officer, proof_file=upload("photo.jpg", jpeg_with_gps())
    )
    proof = ProofDocument.objects.get(aid=aid)
    path = Path(proof.file.path)
    assert Path(settings.PRIVATE_MEDIA_ROOT).resolve() in path.resolve().parents
    assert not str(path.resolve()).startswith(str(Path(settings.STATIC_ROOT).resolve()))
    assert proof.content_type == "image/jpeg" and b"Phone 12 Pro" not in path.read_bytes()
    assert mother.last_name.lower() not in proof.file.name.lower()  # a random name


def test_a_renamed_executable_with_the_request_writes_nothing(worker, officer, victim):
    household, mother, _ = victim
    with pytest.raises(ValidationError):
        register(
            worker, household, mother, officer=officer, proof_file=upload("plainte.pdf", b"MZ\x90\x00" * 50)
        )
    assert not EmergencyAid.objects.exists() and not ProofDocument.objects.exists()


# --- decision ------------------------------------------------------------------------------------


@pytest.fixture
def received(worker, officer, victim):
    household, mother, _ = victim
    return register(worker, household, mother, officer=officer)


@pytest.mark.parametrize(
    ("children", "resources", "form"),
    [
        (0, "2074.63", "grant"),
        (0, "2074.64", "loan"),
        (1, "3111.94", "grant"),
        (1, "3111.95", "loan"),
        (2, "3734.33", "grant"),
        (2, "3734.34", "loan"),
        (3, "4564.18", "grant"),
        (3, "4564.19", "loan"),
        (6, "4564.18", "grant"),
    ],
)
def test_grant_or_loan_by_the_ceiling_at_and_one_cent_above(officer, received, children, resources, form):
    aid = services.decide_aid(
        actor=officer, aid=received, monthly_resources=resources, children_count=children, amount="1250"
    )
    aid.refresh_from_db()
    assert aid.status == S.GRANTED and aid.form == form and aid.amount == Decimal("1250.00")
    assert aid.decided_on == TODAY and aid.decided_by == officer
    entry = AuditEntry.objects.get(action="protection.emergency_aid.granted")
    assert ("≤" if form == "grant" else ">") in entry.reason and "barème du 1er décembre 2023" in entry.reason


def test_a_loan_on_a_complaint_starts_with_proceedings_pending(officer, received):
    aid = services.decide_aid(
        actor=officer, aid=received, monthly_resources="5000", children_count=0, amount="600"
    )
    assert aid.is_loan and aid.proceedings == EmergencyAid.Proceedings.PENDING


def test_decision_input_is_checked(officer, received):
    for values in (
        {"monthly_resources": "-1", "children_count": 0, "amount": "600"},
        {"monthly_resources": "100", "children_count": 0, "amount": "0"},
        {"monthly_resources": "abc", "children_count": 0, "amount": "600"},
        {"monthly_resources": "100", "children_count": 25, "amount": "600"},
        {"monthly_resources": "100", "children_count": 0, "amount": "600", "decided_on": date(2026, 3, 5)},
    ):
        with pytest.raises(ValidationError):
            services.decide_aid(actor=officer, aid=received, **values)
    received.refresh_from_db()
    assert received.status == S.RECEIVED


def test_only_a_benefits_officer_decides(worker, received):
    with pytest.raises(PermissionDenied):
        services.decide_aid(
            actor=worker, aid=received, monthly_resources="100", children_count=0, amount="600"
        )


def test_an_officer_not_assigned_to_the_file_cannot_decide(received):
    with pytest.raises(Http404):
        services.decide_aid(
            actor=factories.make_user("benefits_officer", "92"),
            aid=received,
            monthly_resources="1",
            children_count=0,
            amount="1",
        )


def test_payment_in_time_and_late(officer, received):
    services.decide_aid(actor=officer, aid=received, monthly_resources="100", children_count=0, amount="600")
    with pytest.raises(ValidationError, match="futur"):
        services.record_payment(actor=officer, aid=received, paid_on=date(2026, 3, 5))
    with time_machine.travel(date(2026, 3, 10), tick=False):
        aid = services.record_payment(actor=officer, aid=received, paid_on=date(2026, 3, 10))
    assert aid.status == S.PAID
    entry = AuditEntry.objects.get(action="protection.emergency_aid.paid")
    assert entry.data["late"] is True and "après le délai" in entry.reason


def test_a_request_is_refused_by_the_officer_with_a_reason(officer, received):
    with pytest.raises(ValidationError):
        services.refuse_aid(actor=officer, aid=received, reason="non")
    aid = services.refuse_aid(actor=officer, aid=received, reason="Justificatif falsifié selon le greffe")
    assert aid.status == S.REFUSED
    assert (
        AuditEntry.objects.get(action="protection.emergency_aid.refused").reason
        == "Justificatif falsifié selon le greffe"
    )
    with pytest.raises(ValidationError):
        services.record_payment(actor=officer, aid=aid, paid_on=TODAY)


# --- loan: never claimed from the victim while proceedings are pending ---------------------------


@pytest.fixture
def paid_loan(officer, received):
    services.decide_aid(actor=officer, aid=received, monthly_resources="5000", children_count=0, amount="600")
    return services.record_payment(actor=officer, aid=received, paid_on=TODAY)


def test_the_loan_is_never_claimed_from_the_victim_while_proceedings_are_pending(officer, paid_loan):
    with pytest.raises(ValidationError, match="procédure pénale est en cours"):
        services.claim_repayment(actor=officer, aid=paid_loan, claimed_on=TODAY)
    paid_loan.refresh_from_db()
    assert paid_loan.repayment_claimed_on is None


def test_a_conviction_records_the_recovery_from_the_perpetrator_and_spares_the_victim(officer, paid_loan):
    aid = services.record_proceedings(actor=officer, aid=paid_loan, proceedings="conviction", on=TODAY)
    assert aid.perpetrator_recovery_on == TODAY and aid.perpetrator_recovery_amount == Decimal("600.00")
    assert AuditEntry.objects.filter(action="protection.emergency_aid.recovery_recorded").exists()
    with pytest.raises(ValidationError, match="auteur a été condamné"):
        services.claim_repayment(actor=officer, aid=aid, claimed_on=TODAY)
    with pytest.raises(ValidationError, match="recouvrement"):
        services.record_proceedings(actor=officer, aid=aid, proceedings="ended", on=TODAY)


def test_once_proceedings_end_without_conviction_the_loan_may_be_claimed(officer, paid_loan):
    services.record_proceedings(actor=officer, aid=paid_loan, proceedings="ended", on=TODAY)
    aid = services.claim_repayment(actor=officer, aid=paid_loan, claimed_on=TODAY)
    assert aid.repayment_claimed_on == TODAY
    with pytest.raises(ValidationError, match="déjà été demandé"):
        services.claim_repayment(actor=officer, aid=paid_loan, claimed_on=TODAY)


def test_a_grant_has_no_proceedings_to_follow(officer, received):
    aid = services.decide_aid(
        actor=officer, aid=received, monthly_resources="100", children_count=0, amount="600"
    )
    with pytest.raises(ValidationError, match="prêt"):
        services.record_proceedings(actor=officer, aid=aid, proceedings="conviction", on=TODAY)


# --- messages to the applicant -------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["email", "sms", "postal"])
def test_decision_and_payment_reach_the_victim_in_neutral_words_on_a_safe_channel(
    officer, received, channel, settings, tmp_path
):
    settings.PARCOURS_SMS_FILE_PATH = tmp_path / "sms"
    settings.PARCOURS_LETTERS_DIR = tmp_path / "letters"
    mother = received.person
    mother.contacts.exclude(kind=channel).update(is_safe=False)
    services.decide_aid(actor=officer, aid=received, monthly_resources="100", children_count=0, amount="1250")
    services.record_payment(actor=officer, aid=received, paid_on=TODAY)
    outbox.deliver_due()
    sent = list(Message.objects.filter(person=mother, key__startswith=f"protection.aid.{received.pk}."))
    assert {m.template for m in sent} == {"protection.aid_granted", "protection.aid_paid"}
    for message in sent:
        assert message.status == Message.Status.SENT, message.reason
        assert message.channel == channel and message.protected_wording
        text = message.subject + message.body
        assert re.search("1[\u202f ]250,00 €", text)  # an SMS collapses the narrow no-break space
        assert safety.violence_term(text) is None and safety.separation_term(text) is None
        assert message.subject in ("", "Message de votre Caf")
    granted = next(m for m in sent if m.template == "protection.aid_granted")
    assert "9 mars" in granted.body  # the payment deadline


def test_the_refusal_message_does_not_quote_the_reason(worker, officer, victim):
    household, mother, _ = victim
    aid = register(
        worker, household, mother, officer=officer, proof_kind=P.MAIN_COURANTE, acknowledge_warnings=True
    )
    services.refuse_aid(
        actor=officer, aid=aid, reason="Une main courante n'est pas un justificatif recevable."
    )
    outbox.deliver_due()
    message = Message.objects.get(key=f"protection.aid.{aid.pk}.refusal")
    assert message.status == Message.Status.SENT, message.reason
    assert "main courante" not in message.body.lower() and "3230" in message.body
