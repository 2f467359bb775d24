import pytest
from playwright.sync_api import expect

from parcours.notifications import outbox
from parcours.notifications.models import Message
from tests import factories
from tests.e2e.conftest import axe_violations, sign_in
from tests.notifications.factories import family


@pytest.mark.django_db(transaction=True)
def test_a_refused_message_is_understood_and_sent_again_once_the_channel_is_confirmed_safe(page):
    user = factories.make_user("social_worker", "92")
    household, mother, _, _ = family("92", channels=("email",), safe=False)
    message = outbox.enqueue(
        actor=user, template="notifications.callback_request", key="e2e.callback", person=mother, context={}
    )
    outbox.deliver_due()

    sign_in(page, user)
    page.goto(f"/gestion/foyers/{household.pk}/")
    panel = page.get_by_role("region", name="Messages")
    expect(panel).to_contain_text("Refusé (sécurité)")
    expect(panel).to_contain_text("non confirmé sûr")
    assert axe_violations(page) == []

    panel.get_by_role("link", name="Demande de rappel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Demande de rappel")
    expect(page.get_by_role("table")).to_contain_text("Aucun canal sûr pour cette personne")
    assert axe_violations(page) == []

    # The person gives an address she alone reads: the social worker records it as safe, then sends again.
    page.get_by_role("link", name=f"Dossier {household.reference}").click()
    page.get_by_role("article", name="Nadia HOARAU").get_by_role("link", name="Ajouter un canal").click()
    page.locator("#id_kind").select_option("email")
    page.get_by_label("Coordonnée").fill("nadia.sure@exemple.fr")
    page.get_by_label("Canal sûr").check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("ajouté")
    page.goto(f"/gestion/messages/{message.pk}/")
    page.get_by_role("button", name="Renvoyer").click()
    expect(page.get_by_role("status")).to_contain_text("remis en file")
    outbox.deliver_due()
    page.reload()
    expect(page.locator("dd").first).to_contain_text("Envoyé")
    expect(page.get_by_role("heading", name="Contenu envoyé")).to_be_visible()
    assert Message.objects.get(pk=message.pk).status == Message.Status.SENT


@pytest.mark.django_db(transaction=True)
def test_the_local_pilot_sees_the_departments_failures(page):
    pilot = factories.make_user("local_pilot", "92")
    _, mother, _, _ = family("92", channels=("email",))
    outbox.enqueue(
        actor=None, template="notifications.callback_request", key="e2e.fail", person=mother, context={}
    )
    Message.objects.filter(key="e2e.fail").update(status=Message.Status.FAILED, reason="Serveur injoignable")
    sign_in(page, pilot)
    page.get_by_role("link", name="Messages").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Messages du département")
    expect(page.get_by_role("table")).to_contain_text("Serveur injoignable")
    assert axe_violations(page) == []
