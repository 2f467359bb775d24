"""Staff pages of the protected track, the partner directory, referrals and the AUU."""

from datetime import date
from io import BytesIO

import pytest
import time_machine
from django.urls import reverse
from PIL import Image

from parcours.core.models import AuditEntry
from parcours.households.models import Consent
from parcours.protection.models import (
    EmergencyAid,
    Partner,
    ProofDocument,
    Referral,
    ResourceCeiling,
    SafetyStep,
    ViolenceReport,
)
from tests import factories
from tests.notifications.factories import family
from tests.protection.factories import aid, jpeg_with_gps, partner, protected_family

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(date(2026, 3, 4), tick=False):  # a Wednesday
        yield


@pytest.fixture
def worker(client_for):
    user = factories.make_user("social_worker", "92")
    return user, client_for(user)


def url(name, *args):
    return reverse(f"backoffice:{name}", args=args)


# --- recording violence ---------------------------------------------------------------------------


def test_the_household_page_offers_to_record_violence_and_says_never_to_ask_bluntly(worker):
    _, client = worker
    household, _, _, _ = family("92")
    page = client.get(url("household-detail", household.pk)).content.decode()
    assert "Signaler des violences" in page and "Ne posez jamais la question frontalement" in page
    form = client.get(url("protection-report", household.pk)).content.decode()
    assert "Ne posez jamais la question frontalement" in form
    assert "Déclarées par la personne elle-même" in form and "police" in form


def test_recording_violence_from_the_form_restricts_the_file_and_shows_the_checklist(worker):
    user, client = worker
    household, mother, _, _ = family("92")
    response = client.post(
        url("protection-report", household.pk), {"person": mother.pk, "source": "partner", "note": "Urgence"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#titre-protection")
    household.refresh_from_db()
    assert household.restricted and ViolenceReport.objects.get().reported_by == user
    page = client.get(url("household-detail", household.pk)).content.decode()
    assert "parcours protégé depuis le 4 mars 2026" in page and "0/5 étapes traitées" in page
    track = client.get(url("protection-track", household.pk)).content.decode()
    for label in SafetyStep.Kind.labels:
        assert label.replace("'", "&#x27;") in track
    assert "Urgence" in track
    assert AuditEntry.objects.filter(action="protection.track.viewed").exists()
    # A colleague who is not assigned no longer opens the file.
    colleague = factories.make_user("social_worker", "92")
    from tests.conftest import sign_in

    other = sign_in(client.__class__(), colleague)
    assert other.get(url("household-detail", household.pk)).status_code == 404
    assert other.get(url("protection-track", household.pk)).status_code == 404


def test_a_report_without_its_source_is_refused_in_french_and_nothing_changes(worker):
    _, client = worker
    household, mother, _, _ = family("92")
    response = client.post(url("protection-report", household.pk), {"person": mother.pk})
    assert response.status_code == 200
    assert "Ce champ est obligatoire" in response.content.decode()
    household.refresh_from_db()
    assert not household.restricted and not ViolenceReport.objects.exists()


def test_a_checklist_step_is_ticked_with_its_date(worker):
    user, client = worker
    household, mother, _, _ = protected_family("92", assignee=user)
    step = SafetyStep.objects.get(person=mother, kind=SafetyStep.Kind.ONLINE_ACCOUNT)
    page = client.get(url("safety-step-edit", step.pk)).content.decode()
    assert "Accès de l&#x27;autre parent révoqué le" in page
    response = client.post(url("safety-step-edit", step.pk), {"status": "done", "done_on": ""})
    assert response.status_code == 200 and "date de révocation" in response.content.decode()
    response = client.post(url("safety-step-edit", step.pk), {"status": "done", "done_on": "2026-03-03"})
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.status == "done" and step.done_on == date(2026, 3, 3)


# --- referrals and partners -----------------------------------------------------------------------


def test_a_referral_with_transmission_needs_the_consent_box(worker):
    user, client = worker
    household, mother, _, _ = protected_family("92", assignee=user)
    cidff = partner("92")
    data = {"person": mother.pk, "partner": cidff.pk, "mode": "transmission", "need": "Conseil juridique"}
    response = client.post(url("referral-create", household.pk), data)
    assert response.status_code == 200 and "Sans l&#x27;accord de la personne" in response.content.decode()
    assert not Referral.objects.exists()
    response = client.post(url("referral-create", household.pk), {**data, "consent_given": "on"})
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.consent.purpose == Consent.Purpose.PARTNER_REFERRAL
    sheet = client.get(url("export-protection-referral-sheet", referral.pk))
    assert sheet.status_code == 200 and sheet["Content-Type"] == "application/pdf"
    assert AuditEntry.objects.filter(action="protection.referral_sheet.downloaded").exists()


def test_a_referral_without_consent_has_no_sheet_and_the_page_says_why(worker):
    user, client = worker
    household, mother, _, _ = protected_family("92", assignee=user)
    data = {"person": mother.pk, "partner": partner("92").pk, "mode": "information", "need": "Écoute"}
    assert client.post(url("referral-create", household.pk), data).status_code == 302
    referral = Referral.objects.get()
    back = url("referral-edit", referral.pk)
    response = client.get(url("export-protection-referral-sheet", referral.pk), HTTP_REFERER=back)
    assert response.status_code == 302 and response["Location"] == back
    assert "Pas de fiche de liaison" in client.get(back).content.decode()
    assert not AuditEntry.objects.filter(action="protection.referral_sheet.downloaded").exists()


def test_the_partner_list_of_another_department_is_not_offered(worker):
    user, client = worker
    household, mother, _, _ = protected_family("92", assignee=user)
    partner("92", name="CIDFF des Hauts-de-Seine")
    partner("974", name="France Victimes 974")
    page = client.get(url("referral-create", household.pk)).content.decode()
    assert "CIDFF des Hauts-de-Seine" in page and "France Victimes 974" not in page


def test_caseworkers_read_the_directory_and_the_local_pilot_keeps_it(worker, client_for):
    _, client = worker
    partner("92", name="CIDFF des Hauts-de-Seine")
    partner("92", name="Ancienne association", is_active=False)
    page = client.get(url("partner-list")).content.decode()
    assert "CIDFF des Hauts-de-Seine" in page and "Ancienne association" not in page
    assert "Ajouter un partenaire" not in page
    assert client.get(url("partner-create")).status_code == 403

    pilot = client_for(factories.make_user("local_pilot", "92"))
    page = pilot.get(url("partner-list")).content.decode()
    assert "Ancienne association" in page and "Ajouter un partenaire" in page
    response = pilot.post(
        url("partner-create"),
        {
            "name": "3919 Violences Femmes Info",
            "kind": "helpline",
            "phone": "3919",
            "hours": "24 h/24",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert Partner.objects.get(name="3919 Violences Femmes Info").department.code == "92"


# --- AUU: request, proof, worklist, decision ------------------------------------------------------


def test_a_social_worker_registers_a_request_with_a_photo_of_the_proof(worker, client_for):
    user, client = worker
    officer = factories.make_user("benefits_officer", "92")
    household, mother, _, _ = protected_family("92", assignee=user)
    photo = BytesIO(jpeg_with_gps())
    photo.name = "plainte.jpg"
    response = client.post(
        url("aid-create", household.pk),
        {
            "person": mother.pk, "received_on": "2026-03-04", "is_allocataire": "on", "proof_kind": "complaint",
            "proof_date": "2026-03-01", "officer": officer.pk, "proof_file": photo,
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    created = EmergencyAid.objects.get()
    assert response["Location"] == url("aid-detail", created.pk)
    detail = client.get(url("aid-detail", created.pk)).content.decode()
    assert "lundi 9 mars 2026" in detail and "Reçue, à décider" in detail
    proof = ProofDocument.objects.get(aid=created)
    assert url("aid-proof", proof.pk) in detail
    download = client.get(url("aid-proof", proof.pk))
    assert download.status_code == 200 and download["Content-Type"] == "image/jpeg"
    assert "attachment" in download["Content-Disposition"]
    with Image.open(BytesIO(download.content)) as image:
        assert not image.getexif()
    assert AuditEntry.objects.filter(action="protection.proof.downloaded", actor=user).exists()
    # The officer was assigned: the file is in her worklist.
    worklist = client_for(officer).get(url("aid-worklist")).content.decode()
    assert created.reference in worklist and "3 jours ouvrés restants" in worklist  # Thu 5, Fri 6, Mon 9


def test_a_renamed_executable_is_refused_on_the_form_and_nothing_is_stored(worker):
    user, client = worker
    officer = factories.make_user("benefits_officer", "92")
    household, mother, _, _ = protected_family("92", assignee=user)
    fake = BytesIO(b"MZ\x90\x00" * 100)
    fake.name = "plainte.pdf"
    response = client.post(
        url("aid-create", household.pk),
        {
            "person": mother.pk, "received_on": "2026-03-04", "proof_kind": "complaint", "proof_date": "2026-03-01",
            "officer": officer.pk, "proof_file": fake,
        },
    )  # fmt: skip
    assert response.status_code == 200
    assert "fichier renommé" in response.content.decode()
    assert not EmergencyAid.objects.exists() and not ProofDocument.objects.exists()


def test_a_service_advisor_sees_the_file_but_not_the_proof(client_for):
    advisor = factories.make_user("service_advisor", "92")
    household, mother, _, _ = protected_family("92", assignee=advisor)
    from tests.protection.factories import proof

    document = proof(aid(household, mother))
    client = client_for(advisor)
    detail = client.get(url("aid-detail", document.aid.pk)).content.decode()
    assert f"Justificatif n° {document.pk}" in detail and url("aid-proof", document.pk) not in detail
    assert client.get(url("aid-proof", document.pk)).status_code == 403


@pytest.fixture
def officer_with_files(client_for):
    officer = factories.make_user("benefits_officer", "92")
    household, mother, _, _ = protected_family("92", assignee=officer)
    h2, m2, _, _ = protected_family("92", assignee=officer)
    h3, m3, _, _ = protected_family("92", assignee=officer)
    late = aid(household, mother, received_on=date(2026, 2, 25), officer=officer)  # due Mon 2 March
    soon = aid(h2, m2, received_on=date(2026, 3, 3), officer=officer)  # due Fri 6 March
    paid = aid(h3, m3, received_on=date(2026, 3, 2), officer=officer, status=EmergencyAid.Status.PAID)
    return officer, client_for(officer), late, soon, paid


def test_the_worklist_orders_by_time_left_and_shows_late_files_in_red(officer_with_files):
    _, client, late, soon, paid = officer_with_files
    page = client.get(url("aid-worklist")).content.decode()
    assert page.index(late.reference) < page.index(soon.reference)
    assert paid.reference not in page
    row = page[page.index(late.reference) - 300 : page.index(late.reference)]
    assert 'class="table-danger"' in row
    assert "En retard de 2 jours ouvrés" in page and "2 jours ouvrés restants" in page
    assert "1 demande en retard" in page
    # The menu shows the count of open files, the home page a card.
    assert 'Aides d&#x27;urgence <span class="badge rounded-pill">2<' in page
    home = client.get(url("home")).content.decode()
    assert "Aides d'urgence à traiter" in home and "1 en retard" in home


def test_other_roles_have_no_worklist(client_for):
    for role in ("social_worker", "service_advisor", "local_pilot"):
        assert client_for(factories.make_user(role, "92")).get(url("aid-worklist")).status_code == 403


def test_a_decision_typed_the_french_way(officer_with_files):
    officer, client, _, soon, _ = officer_with_files
    page = client.get(url("aid-decide", soon.pk)).content.decode()
    assert 'Personne seule</th><td class="text-end">2\u00a0074,63 €' in page  # the scale beside the form
    response = client.post(
        url("aid-decide", soon.pk),
        {
            "monthly_resources": "2 074,63",
            "children_count": "0",
            "amount": "1 250,00",
            "decided_on": "2026-03-04",
        },
    )
    assert response.status_code == 302
    soon.refresh_from_db()
    assert soon.status == "granted" and soon.form == "grant" and str(soon.amount) == "1250.00"
    detail = client.get(url("aid-detail", soon.pk)).content.decode()
    assert "Aide non remboursable" in detail and "Enregistrer le paiement" in detail


def test_paying_a_file_not_yet_granted_is_redirected_with_an_explanation(officer_with_files):
    _, client, late, _, _ = officer_with_files
    response = client.get(url("aid-pay", late.pk), follow=True)
    assert "Cette action n&#x27;est pas possible" in response.content.decode()


def test_the_scale_is_shown_and_only_the_national_pilot_adds_one(client_for, officer_with_files):
    _, client, _, _, _ = officer_with_files
    page = client.get(url("aid-ceilings")).content.decode()
    assert "1er décembre 2023" in page and "4\u00a0564,18 €" in page
    assert client.get(url("aid-ceiling-create")).status_code == 403
    national = client_for(factories.make_user("national_pilot", None))
    response = national.post(
        url("aid-ceiling-create"),
        {
            "valid_from": "2026-04-01",
            "amount_0": "2 100,00",
            "amount_1": "3150",
            "amount_2": "3780,5",
            "amount_3": "4620",
            "source": "Décret 2026",
        },
    )
    assert response.status_code == 302

    assert str(ResourceCeiling.in_force(date(2026, 4, 1), 2).monthly_amount) == "3780.50"


def test_a_refusal_through_its_page_is_explained_on_the_file(officer_with_files):
    _, client, late, _, _ = officer_with_files
    response = client.post(
        url("aid-refuse", late.pk), {"reason": "Demande retirée par la personne"}, follow=True
    )
    page = response.content.decode()
    assert "Demande refusée." in page and "Demande retirée par la personne" in page
    assert "Refus" in page and "Décider" not in page
    late.refresh_from_db()
    assert late.status == "refused"


def test_the_loan_pages_refuse_to_claim_from_the_victim_while_proceedings_pend(officer_with_files):
    officer, client, _, soon, _ = officer_with_files
    from parcours.protection import services

    services.decide_aid(actor=officer, aid=soon, monthly_resources="9000", children_count=0, amount="700")
    services.record_payment(actor=officer, aid=soon, paid_on=date(2026, 3, 4))
    detail = client.get(url("aid-detail", soon.pk)).content.decode()
    assert "Procédure pénale en cours" in detail and "ne peut pas être demandé à la victime" in detail
    response = client.post(url("aid-repayment", soon.pk), {"claimed_on": "2026-03-04"})
    assert response.status_code == 200 and "procédure pénale est en cours" in response.content.decode()
    response = client.post(
        url("aid-proceedings", soon.pk), {"proceedings": "conviction", "on": "2026-03-04"}, follow=True
    )
    assert "700,00 € demandés à l'auteur le 4 mars 2026" in response.content.decode()


def test_the_social_workers_home_lists_the_safety_steps_still_to_do(worker):
    user, client = worker
    household, _, _, _ = protected_family("92", assignee=user)
    home = client.get(url("home")).content.decode()
    assert "Mise en sécurité : étapes à faire" in home and f"Dossier {household.reference}" in home
    colleague_home = factories.make_user("social_worker", "92")
    from tests.conftest import sign_in

    assert (
        f"Dossier {household.reference}"
        not in sign_in(client.__class__(), colleague_home).get(url("home")).content.decode()
    )


def test_the_timeline_tells_the_protected_track_to_assigned_staff_only(worker):
    from parcours.households import timeline
    from parcours.protection import services

    user, _ = worker
    officer = factories.make_user("benefits_officer", "92")
    household, mother, _, _ = family("92")
    services.record_violence_report(
        actor=user, household=household, person=mother, source="police", note="NE-PAS-AFFICHER"
    )
    aid = services.register_aid_request(
        actor=user, household=household, person=mother, received_on=date(2026, 3, 4), proof_kind="main_courante",
        proof_date=date(2026, 3, 1), officer=officer, acknowledge_warnings=True,
    )  # fmt: skip
    services.refuse_aid(actor=officer, aid=aid, reason="Une main courante n'est pas un justificatif.")
    titles = [e.title for e in timeline.entries_for(user, household) if e.kind == "protection"]
    assert any(t.startswith("Violences signalées (signalées par la police") for t in titles)
    assert any(t.endswith(": refusée") for t in titles)
    assert not any("NE-PAS-AFFICHER" in f"{e.title}{e.detail}" for e in timeline.entries_for(user, household))
    stranger = factories.make_user("social_worker", "974")
    assert [e for e in timeline.entries_for(stranger, household) if e.kind == "protection"] == []


def test_the_history_finds_paid_refused_and_loans_to_recover_by_name_or_file(officer_with_files):
    officer, client, late, soon, paid = officer_with_files
    EmergencyAid.objects.filter(pk=paid.pk).update(form=EmergencyAid.Form.LOAN)
    everything = client.get(url("aid-history")).content.decode()
    assert "Aides (3)" in everything and paid.person.full_name in everything
    paid_only = client.get(url("aid-history"), {"statut": "payees"}).content.decode()
    assert "Aides (1)" in paid_only
    to_recover = client.get(url("aid-history"), {"statut": "prets-a-recouvrer"}).content.decode()
    assert "Aides (1)" in to_recover and paid.household.reference in to_recover
    type(late.person).objects.filter(pk=late.person_id).update(last_name="Grondin")
    by_name = client.get(url("aid-history"), {"q": "grondin"}).content.decode()
    assert late.household.reference in by_name and soon.household.reference not in by_name
    by_file = client.get(url("aid-history"), {"q": soon.household.reference}).content.decode()
    assert "Aides (1)" in by_file
    entry = AuditEntry.objects.filter(action="protection.emergency_aid.searched").last()
    assert "rondin" not in str(entry.data).lower()  # the text typed is never kept


def test_only_benefits_officers_search_the_history(client_for):
    for role in ("social_worker", "service_advisor", "local_pilot"):
        assert client_for(factories.make_user(role, "92")).get(url("aid-history")).status_code == 403
