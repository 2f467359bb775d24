"""Issue 15, rule 3: « signalements croisés ». A request or a report for the other parent of a
recorded victim is neither refused nor automated: flagged, no report or checklist for him, the
family's social worker alerted, a human decision with a reason; the first victim's protection and
the other parent's messages never change."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from parcours.core.models import AuditEntry
from parcours.notifications import safety
from parcours.protection import services
from parcours.protection.models import CrossClaim, EmergencyAid, SafetyStep, ViolenceReport
from tests import factories
from tests.protection.factories import protected_family

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(date(2026, 3, 4), tick=False):
        yield


@pytest.fixture
def camille_and_thomas():
    worker = factories.make_user("social_worker", "92")
    officer = factories.make_user("benefits_officer", "92")
    household, camille, thomas, _ = protected_family("92", assignee=worker)
    return worker, officer, household, camille, thomas


def test_an_aid_request_for_the_other_parent_is_flagged_not_refused_nor_automated(camille_and_thomas):
    worker, officer, household, camille, thomas = camille_and_thomas
    aid = services.register_aid_request(
        actor=worker, household=household, person=thomas, received_on=date(2026, 3, 4),
        proof_kind="complaint", proof_date=date(2026, 3, 1), officer=officer,
    )  # fmt: skip
    assert aid.status == EmergencyAid.Status.RECEIVED
    claim = CrossClaim.objects.get()
    assert (claim.person, claim.kind, claim.aid, claim.is_pending) == (thomas, "aid_request", aid, True)
    # No report, no checklist for him; hers untouched; his wording unchanged.
    assert list(ViolenceReport.objects.values_list("person", flat=True)) == [camille.pk]
    assert not SafetyStep.objects.filter(person=thomas).exists()
    assert not safety.on_protected_track(thomas) and safety.on_protected_track(camille)
    # The officer cannot decide before the social worker has decided on the flag.
    assert "signalement croisé" in aid.why_not(EmergencyAid.Action.DECIDE)
    with pytest.raises(ValidationError, match="signalement croisé"):
        services.decide_aid(actor=officer, aid=aid, monthly_resources="900", children_count=1, amount="800")
    assert AuditEntry.objects.filter(action="protection.cross_claim.flagged").exists()


def test_a_violence_report_naming_the_other_parent_is_flagged(camille_and_thomas, client_for):
    worker, _, household, camille, thomas = camille_and_thomas
    client = client_for(worker)
    response = client.post(
        reverse("backoffice:protection-report", args=[household.pk]),
        {"person": thomas.pk, "source": "person", "note": ""},
        follow=True,
    )
    assert "Signalement croisé" in response.content.decode()
    assert CrossClaim.objects.get().person == thomas
    assert not ViolenceReport.objects.filter(person=thomas).exists()
    # The social worker is alerted on her home page; a colleague not assigned is not.
    assert "Signalements croisés à décider" in client.get(reverse("backoffice:home")).content.decode()
    other = client_for(factories.make_user("social_worker", "92"))
    assert "Signalements croisés" not in other.get(reverse("backoffice:home")).content.decode()


def test_the_decision_is_human_motivated_and_never_weakens_the_first_victim(camille_and_thomas, client_for):
    worker, officer, household, camille, thomas = camille_and_thomas
    claim = services.record_violence_report(actor=worker, household=household, person=thomas, source="person")
    with pytest.raises(PermissionDenied):
        services.decide_cross_claim(
            actor=officer, claim=claim, confirm=True, reason="Plainte déposée par lui"
        )
    client = client_for(worker)
    url = reverse("backoffice:cross-claim-decide", args=[claim.pk])
    client.post(url, {"decision": "retenir", "reason": "court"})
    claim.refresh_from_db()
    assert claim.is_pending
    client.post(url, {"decision": "retenir", "reason": "Certificat médical et plainte de M. Grondin"})
    claim.refresh_from_db()
    assert claim.decision == CrossClaim.Decision.CONFIRMED and claim.decided_by == worker
    assert ViolenceReport.objects.filter(person=thomas).exists()
    # Camille's protection is unchanged: her report, her checklist, her neutral wording, the restriction.
    household.refresh_from_db()
    assert household.restricted and ViolenceReport.objects.filter(person=camille).exists()
    assert SafetyStep.objects.filter(person=camille).count() == len(SafetyStep.Kind.values)
    assert safety.on_protected_track(camille)


def test_a_dismissed_claim_records_nothing_for_the_claimant(camille_and_thomas):
    worker, _, household, _, thomas = camille_and_thomas
    claim = services.record_violence_report(
        actor=worker, household=household, person=thomas, source="partner"
    )
    services.decide_cross_claim(
        actor=worker, claim=claim, confirm=False, reason="Aucun élément, contexte d'emprise"
    )
    assert not ViolenceReport.objects.filter(person=thomas).exists()
    entry = AuditEntry.objects.get(action="protection.cross_claim.decided")
    assert entry.reason == "Aucun élément, contexte d'emprise" and entry.data == {"confirmed": False}


def test_the_officers_list_names_the_applicants(camille_and_thomas, client_for):
    worker, officer, household, camille, thomas = camille_and_thomas
    for person in (camille, thomas):
        services.register_aid_request(
            actor=worker, household=household, person=person, received_on=date(2026, 3, 4),
            proof_kind="complaint", proof_date=date(2026, 3, 1), officer=officer,
        )  # fmt: skip
    page = client_for(officer).get(reverse("backoffice:aid-worklist")).content.decode()
    assert camille.full_name in page and thomas.full_name in page


# --- a protected-address request for the other parent (issue 15, rule 3) --------------------------

ELECTED = {
    "elected_kind": "lawyer", "elected_name": "Maître Payet", "elected_line": "2 rue de Paris",
    "elected_postal_code": "92000", "elected_city": "Nanterre",
}  # fmt: skip


def test_an_address_protection_for_the_other_parent_is_flagged_and_nothing_is_protected(camille_and_thomas):
    from parcours.households import services as household_services
    from parcours.households.models import Address, ProtectedAddress

    worker, _, household, camille, thomas = camille_and_thomas
    held = household_services.protect_address(
        actor=worker, person=thomas, reason="Il dit craindre pour sa sécurité", **ELECTED
    )
    claim = CrossClaim.objects.get()
    assert held == claim and (claim.person, claim.kind, claim.is_pending) == (
        thomas,
        "address_protection",
        True,
    )
    # No automatic protection for him: his address stays as it was, no report, no checklist.
    assert not ProtectedAddress.objects.filter(person=thomas).exists()
    assert Address.objects.filter(person=thomas, line="3 avenue de la Victoire").exists()
    assert not ViolenceReport.objects.filter(person=thomas).exists()
    assert not SafetyStep.objects.filter(person=thomas).exists()
    # The request waits encrypted in the flag (never in clear, never in the audit trail).
    assert claim.request_ciphertext and b"Victoire" not in bytes(claim.request_ciphertext)
    entry = AuditEntry.objects.get(action="protection.cross_claim.flagged")
    assert entry.data == {"kind": "address_protection"} and "Victoire" not in str(entry.__dict__)
    # The first victim's own protection is untouched and her own request is never held.
    household.refresh_from_db()
    assert household.restricted and safety.on_protected_track(camille)
    protected = household_services.protect_address(
        actor=worker, person=camille, reason="Mise à l'abri", **ELECTED
    )
    assert isinstance(protected, ProtectedAddress) and CrossClaim.objects.count() == 1


def test_the_protect_address_form_holds_the_other_parents_request(camille_and_thomas, client_for):
    from parcours.households.models import ProtectedAddress

    worker, _, household, _, thomas = camille_and_thomas
    client = client_for(worker)
    response = client.post(
        reverse("backoffice:address-protect", args=[thomas.pk]),
        {"reason": "Il dit craindre pour sa sécurité", **ELECTED},
        follow=True,
    )
    assert response.status_code == 200
    assert "Signalement croisé" in response.content.decode()
    assert CrossClaim.objects.get().kind == "address_protection"
    assert not ProtectedAddress.objects.filter(person=thomas).exists()
    assert "Signalements croisés à décider" in client.get(reverse("backoffice:home")).content.decode()


def test_the_local_pilot_is_alerted_by_reference_only(camille_and_thomas, client_for):
    from parcours.households import services as household_services

    worker, _, household, _, thomas = camille_and_thomas
    household_services.protect_address(actor=worker, person=thomas, reason="Il dit craindre", **ELECTED)
    page = (
        client_for(factories.make_user("local_pilot", "92")).get(reverse("backoffice:home")).content.decode()
    )
    assert "Signalements croisés en attente de décision" in page and household.reference in page
    assert thomas.last_name not in page
    elsewhere = client_for(factories.make_user("local_pilot", "974")).get(reverse("backoffice:home"))
    assert "Signalements croisés" not in elsewhere.content.decode()


def test_a_confirmed_address_request_protects_him_through_the_ordinary_service(
    camille_and_thomas, client_for
):
    from parcours.households import services as household_services
    from parcours.households.models import Address, ProtectedAddress

    worker, _, household, camille, thomas = camille_and_thomas
    claim = household_services.protect_address(
        actor=worker, person=thomas, reason="Il dit craindre pour sa sécurité", **ELECTED
    )
    client_for(worker).post(
        reverse("backoffice:cross-claim-decide", args=[claim.pk]),
        {"decision": "retenir", "reason": "Plainte et certificat médical de M. Grondin"},
    )
    claim.refresh_from_db()
    assert claim.decision == CrossClaim.Decision.CONFIRMED and claim.request_ciphertext is None
    protected = ProtectedAddress.objects.get(person=thomas)
    assert protected.elected_name == "Maître Payet" and not Address.objects.filter(person=thomas).exists()
    assert AuditEntry.objects.filter(action="households.address.protected").exists()
    assert ViolenceReport.objects.filter(person=camille).exists() and safety.on_protected_track(camille)


def test_a_dismissed_address_request_protects_nothing_and_forgets_the_request(camille_and_thomas):
    from parcours.households import services as household_services
    from parcours.households.models import ProtectedAddress

    worker, _, _, _, thomas = camille_and_thomas
    claim = household_services.protect_address(
        actor=worker, person=thomas, reason="Il dit craindre", **ELECTED
    )
    services.decide_cross_claim(actor=worker, claim=claim, confirm=False, reason="Contexte d'emprise connu")
    claim.refresh_from_db()
    assert claim.request_ciphertext is None
    assert not ProtectedAddress.objects.filter(person=thomas).exists()
