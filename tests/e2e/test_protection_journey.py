"""The protected track in Chromium: a social worker records violence (the pathway switches to the
protected deadlines), registers an emergency-aid request with a photo of the proof, and the file
appears in the benefits officer's worklist, who decides it. axe-core finds nothing on the way."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from parcours.protection.models import EmergencyAid, ProofDocument, ViolenceReport
from tests import factories
from tests.e2e.conftest import axe_violations, sign_in
from tests.notifications.factories import family
from tests.pathways.factories import open_pathway
from tests.protection.factories import ensure_ceilings, partner, png_bytes


def _no_violations(page):
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"


@pytest.mark.django_db(transaction=True)
def test_violence_recorded_then_an_aid_request_reaches_the_benefits_officer(page, tmp_path):
    ensure_ceilings()
    social_worker = factories.make_user("social_worker", "92", first_name="Claire", last_name="Martin")
    officer = factories.make_user("benefits_officer", "92", first_name="Karim", last_name="Payet")
    household, mother, _, _ = family("92")
    partner("92", name="CIDFF des Hauts-de-Seine")
    today = household.department.local_today()
    pathway = open_pathway(
        department="92", file_number=household.file_number, declarant_last_name="Hoarau",
        declarant_first_name="Nadia", children_count=1, declared_on=today - timedelta(days=1),
    )  # fmt: skip

    sign_in(page, social_worker)
    page.goto(f"/gestion/foyers/{household.pk}/")
    rights_row = page.get_by_role("row", name=re.compile("Rendez-vous des droits"))
    rights_before = rights_row.inner_text()
    expect(page.get_by_role("row", name=re.compile("médiation familiale", re.I))).to_have_count(1)
    expect(page.get_by_text("délai protégé")).to_have_count(0)
    panel = page.get_by_role("region", name="Protection")
    expect(panel).to_contain_text("Ne posez jamais la question frontalement")
    panel.get_by_role("link", name="Signaler des violences").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Signaler des violences conjugales")
    expect(page.locator("#consigne-signalement")).to_contain_text("Ne posez jamais la question frontalement")
    _no_violations(page)
    page.get_by_label("Nadia HOARAU").check()
    page.get_by_label("Signalées par un partenaire (association, service social, santé…)").check()
    page.get_by_role("button", name="Enregistrer le signalement").click()

    expect(page.get_by_role("status")).to_contain_text("parcours protégé")
    panel = page.get_by_role("region", name="Protection")
    expect(panel).to_contain_text("Nadia HOARAU : parcours protégé depuis le")
    expect(panel).to_contain_text("0/5 étapes traitées")
    expect(page.get_by_text("Accès restreint aux agents affectés").first).to_be_visible()
    # The pathway switched on screen: protected deadlines, earlier rights appointment, no mediation.
    expect(page.get_by_text("violences signalées : parcours protégé", exact=True)).to_be_visible()
    expect(rights_row).to_contain_text("délai protégé")
    assert rights_row.inner_text() != rights_before
    expect(page.get_by_role("row", name=re.compile("médiation familiale", re.I))).to_contain_text("Retirée")
    pathway.refresh_from_db()
    assert pathway.violence_reported
    _no_violations(page)
    assert ViolenceReport.objects.get().reported_by == social_worker

    # The protected track: checklist, then a referral with the person's consent.
    panel.get_by_role("link", name="Suivi protégé").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Suivi protégé")
    _no_violations(page)
    page.get_by_role("link", name="Orienter vers un partenaire").first.click()
    page.locator("#id_partner").select_option(label="CIDFF des Hauts-de-Seine")
    page.get_by_label("Besoin de la personne").fill("Conseil juridique")
    page.get_by_label("La personne a donné son accord").check()
    _no_violations(page)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("Orientation enregistrée")
    expect(
        page.get_by_role("table", name="Orientations de Nadia HOARAU vers des partenaires")
    ).to_contain_text("Coordonnées transmises (accord recueilli)")

    # The emergency aid: the request, with a photo of the complaint, for the benefits officer.
    page.get_by_role("link", name="Demande d'aide universelle d'urgence").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle demande d'aide universelle d'urgence")
    page.locator("#id_proof_kind").select_option("complaint")
    page.get_by_label("Date du justificatif").fill((today - timedelta(days=10)).isoformat())
    page.locator("#id_officer").select_option(label="Karim Payet")
    proof = tmp_path / "plainte.png"
    proof.write_bytes(png_bytes())
    page.get_by_label("Document justificatif (facultatif, peut être ajouté ensuite)").set_input_files(
        str(proof)
    )
    _no_violations(page)
    page.get_by_role("button", name="Enregistrer").click()
    aid = EmergencyAid.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Aide universelle d'urgence {aid.reference}")
    expect(page.get_by_role("status")).to_contain_text("à payer au plus tard le")
    expect(page.get_by_role("region", name="Justificatifs")).to_contain_text("image PNG")
    _no_violations(page)
    assert ProofDocument.objects.filter(aid=aid).count() == 1

    page.get_by_role("button", name="Se déconnecter").click()

    # The benefits officer: a count in the menu, the file in the worklist, the decision.
    sign_in(page, officer)
    menu = page.get_by_role("navigation", name="Menu principal")
    expect(menu.get_by_role("link", name="Aides d'urgence")).to_contain_text("1")
    menu.get_by_role("link", name="Aides d'urgence").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aides universelles d'urgence à traiter")
    row = page.get_by_role("row").filter(has_text=aid.reference)
    expect(row).to_contain_text("Reçue, à décider")
    expect(row).to_contain_text(household.reference)
    _no_violations(page)
    row.get_by_role("link", name=aid.reference).click()
    page.get_by_role("link", name="Décider").click()
    expect(page.get_by_role("table")).to_contain_text("2\u00a0074,63 €")
    _no_violations(page)
    page.get_by_label("Ressources mensuelles du demandeur (€)").fill("1 480,00")
    page.get_by_label("Enfants à charge").fill("0")
    page.get_by_label("Montant de l'aide (€)").fill("1 120,00")
    page.get_by_role("button", name="Attribuer l'aide").click()
    expect(page.get_by_role("status")).to_contain_text("Aide attribuée")
    expect(page.get_by_role("region", name="Décision")).to_contain_text("Aide non remboursable")
    _no_violations(page)
    aid.refresh_from_db()
    assert aid.status == EmergencyAid.Status.GRANTED and aid.form == EmergencyAid.Form.GRANT


@pytest.mark.django_db(transaction=True)
def test_the_local_pilot_keeps_the_partner_directory(page):
    pilot = factories.make_user("local_pilot", "974")
    sign_in(page, pilot)
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Partenaires").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Partenaires du département")
    _no_violations(page)
    page.get_by_role("link", name="Ajouter un partenaire").click()
    page.get_by_label("Nom").fill("France Victimes 974")
    page.locator("#id_kind").select_option("france_victimes")
    page.get_by_label("Téléphone").fill("0262 00 00 02")
    _no_violations(page)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("Partenaire ajouté")
    expect(page.get_by_role("table")).to_contain_text("France Victimes 974")
