"""Partners of the department and referrals, with the person's consent when her details are passed on."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from parcours.core.models import AuditEntry
from parcours.households.models import Consent
from parcours.protection import documents, services
from parcours.protection.models import Partner, Referral, SafetyStep
from tests import factories
from tests.notifications.factories import pdf_text
from tests.protection.factories import partner, protected_family

pytestmark = pytest.mark.django_db
T, INFO = Referral.Mode.TRANSMISSION, Referral.Mode.INFORMATION


@pytest.fixture
def worker():
    return factories.make_user("social_worker", "92")


@pytest.fixture
def victim(worker):
    household, mother, father, _ = protected_family("92", assignee=worker)
    return household, mother, father


def test_passing_details_on_needs_consent_and_records_it(worker, victim):
    _, mother, _ = victim
    cidff = partner("92")
    with pytest.raises(ValidationError) as error:
        services.refer(actor=worker, person=mother, partner=cidff, mode=T, need="Conseil juridique")
    assert "accord" in str(error.value)
    assert not Referral.objects.exists() and not Consent.objects.filter(purpose="partner_referral").exists()

    referral = services.refer(
        actor=worker, person=mother, partner=cidff, mode=T, need="Conseil juridique", consent_given=True
    )
    consent = referral.consent
    assert consent.person == mother and consent.given and consent.purpose == Consent.Purpose.PARTNER_REFERRAL
    assert cidff.name in consent.note and consent.recorded_by == worker
    assert AuditEntry.objects.filter(action="households.consent.recorded").exists()
    assert AuditEntry.objects.filter(
        action="protection.referral.created", object_id=str(referral.pk)
    ).exists()


def test_giving_her_the_partners_details_needs_no_consent(worker, victim):
    _, mother, _ = victim
    line = partner(
        "92", name="3919 — Violences Femmes Info", kind=Partner.Kind.HELPLINE, accepts_referrals=False
    )
    referral = services.refer(actor=worker, person=mother, partner=line, mode=INFO, need="Écoute")
    assert referral.consent is None


def test_a_helpline_does_not_receive_details(worker, victim):
    _, mother, _ = victim
    line = partner("92", name="3919", kind=Partner.Kind.HELPLINE, accepts_referrals=False)
    with pytest.raises(ValidationError, match="ne reçoit pas de coordonnées"):
        services.refer(actor=worker, person=mother, partner=line, mode=T, need="Écoute", consent_given=True)


def test_a_referral_ticks_the_checklist_step(worker, victim):
    _, mother, _ = victim
    services.refer(actor=worker, person=mother, partner=partner("92"), mode=INFO, need="Hébergement")
    step = SafetyStep.objects.get(person=mother, kind=SafetyStep.Kind.REFERRALS)
    assert step.status == SafetyStep.Status.DONE and step.done_on is not None


@pytest.mark.parametrize("case", ["other_department", "inactive"])
def test_only_an_active_partner_of_the_department(worker, victim, case):
    _, mother, _ = victim
    other = partner("974") if case == "other_department" else partner("92", is_active=False)
    with pytest.raises(ValidationError, match="partenaire actif de votre département"):
        services.refer(actor=worker, person=mother, partner=other, mode=INFO, need="Hébergement")


def test_only_a_person_at_risk_is_referred(worker, victim):
    _, _, father = victim
    with pytest.raises(ValidationError, match="pas suivie au titre de la protection"):
        services.refer(actor=worker, person=father, partner=partner("92"), mode=INFO, need="Hébergement")


def test_a_follow_up_date_in_the_past_is_refused(worker, victim):
    _, mother, _ = victim
    with pytest.raises(ValidationError):
        services.refer(
            actor=worker, person=mother, partner=partner("92"), mode=INFO, need="Hébergement",
            follow_up_on=date.today() - timedelta(days=3),
        )  # fmt: skip


def test_follow_up_status_and_declined_needs_a_reason(worker, victim):
    _, mother, _ = victim
    referral = services.refer(
        actor=worker, person=mother, partner=partner("92"), mode=INFO, need="Hébergement"
    )
    services.update_referral(actor=worker, referral=referral, status=Referral.Status.IN_PROGRESS)
    assert referral.status == Referral.Status.IN_PROGRESS and referral.status_changed_by == worker
    with pytest.raises(ValidationError):
        services.update_referral(actor=worker, referral=referral, status=Referral.Status.DECLINED)
    services.update_referral(
        actor=worker, referral=referral, status=Referral.Status.DECLINED, status_note="Ne souhaite pas",
        follow_up_on=date.today(),
    )  # fmt: skip
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DECLINED and referral.follow_up_on is None


def test_unassigned_staff_cannot_refer(victim):
    _, mother, _ = victim
    with pytest.raises(Http404):
        services.refer(
            actor=factories.make_user("social_worker", "92"),
            person=mother,
            partner=partner("92"),
            mode=INFO,
            need="x",
        )


# --- partner directory ----------------------------------------------------------------------------


def test_the_local_pilot_keeps_the_directory_of_her_department():
    pilot = factories.make_user("local_pilot", "974")
    created = services.save_partner(
        actor=pilot, name="France Victimes 974", kind="france_victimes", phone="0262 00 00 00"
    )
    assert created.department.code == "974"
    services.save_partner(
        actor=pilot, partner=created, name="France Victimes 974", kind="france_victimes", is_active=False
    )
    created.refresh_from_db()
    assert not created.is_active
    assert AuditEntry.objects.filter(action="protection.partner.changed", data__fields=["is_active"]).exists()
    with pytest.raises(ValidationError, match="porte déjà ce nom"):
        services.save_partner(actor=pilot, name="france victimes 974", kind="other")


def test_caseworkers_cannot_edit_the_directory_nor_a_pilot_another_department():
    cidff = partner("92")
    with pytest.raises(PermissionDenied):
        services.save_partner(
            actor=factories.make_user("social_worker", "92"), partner=cidff, name="X", kind="other"
        )
    with pytest.raises(Http404):
        services.save_partner(
            actor=factories.make_user("local_pilot", "974"), partner=cidff, name="X", kind="other"
        )


# --- the referral sheet (PDF for the partner) ----------------------------------------------------


def test_the_referral_sheet_gives_the_elected_address_and_the_safe_channels_only(worker, victim):
    from parcours.households import services as household_services

    household, mother, father = victim
    household_services.protect_address(
        actor=worker, person=mother, reason="Mise à l'abri", address={"line": "7 impasse Secrète", "postal_code": "92000", "city": "Nanterre"},
        elected_kind="lawyer", elected_name="Cabinet Maître Leclerc", elected_line="5 place du Marché",
        elected_postal_code="92000", elected_city="Nanterre",
    )  # fmt: skip
    mother.contacts.filter(kind="sms").update(is_safe=False)
    referral = services.refer(
        actor=worker,
        person=mother,
        partner=partner("92"),
        mode=T,
        need="Conseil juridique",
        consent_given=True,
    )
    mother.refresh_from_db()
    text = pdf_text(documents.referral_sheet(actor=worker, referral=referral))
    assert "Fiche de liaison" in text and mother.full_name in text
    assert "Cabinet Maître Leclerc" in text and "5 place du Marché" in text
    assert "7 impasse Secrète" not in text
    email = mother.contacts.get(kind="email").value
    assert email in text
    assert mother.contacts.get(kind="sms").value not in text  # not confirmed safe
    assert father.first_name not in text and father.contacts.get(kind="email").value not in text
    assert AuditEntry.objects.filter(action="protection.referral_sheet.downloaded").exists()


def test_no_sheet_without_a_consented_transmission(worker, victim):
    _, mother, _ = victim
    referral = services.refer(actor=worker, person=mother, partner=partner("92"), mode=INFO, need="Écoute")
    with pytest.raises(ValidationError, match="Pas de fiche de liaison"):
        documents.referral_sheet(actor=worker, referral=referral)
