"""The task page shows how to reach the person: their safe channels and safe hours, and only those."""

from datetime import time

from django.urls import reverse

from parcours.households.models import ContactChannel
from parcours.pathways.models import StepKind
from tests import factories
from tests.pathways.factories import open_pathway


def test_the_step_page_shows_only_the_safe_channels_with_their_hours(db, client_for):
    pathway = open_pathway(department="92")
    declarant = pathway.declarant
    ContactChannel.objects.filter(person=declarant).delete()
    ContactChannel.objects.create(
        person=declarant,
        kind="phone",
        value="06 11 22 33 44",
        is_safe=True,
        safe_from=time(9),
        safe_until=time(12),
    )
    ContactChannel.objects.create(person=declarant, kind="email", value="sure@exemple.fr", is_safe=True)
    ContactChannel.objects.create(person=declarant, kind="phone", value="06 99 99 99 99", is_safe=False)
    ContactChannel.objects.create(person=declarant, kind="postal", value="Boîte postale 12", is_safe=True)
    step = pathway.steps.get(kind=StepKind.SOCIAL_WORKER_CONTACT)
    page = client_for(factories.make_user("social_worker", "92")).get(
        reverse("backoffice:step-detail", kwargs={"pk": step.pk})
    )
    html = page.content.decode()
    assert 'href="tel:0611223344"' in html and "seulement de 09h00 à 12h00" in html
    assert "mailto:sure@exemple.fr" in html
    assert "06 99 99 99 99" not in html and "Boîte postale" not in html


def test_without_a_safe_channel_the_page_says_so(db, client_for):
    pathway = open_pathway(department="92")
    ContactChannel.objects.filter(person=pathway.declarant).update(is_safe=False)
    step = pathway.steps.get(kind=StepKind.SOCIAL_WORKER_CONTACT)
    html = (
        client_for(factories.make_user("social_worker", "92"))
        .get(reverse("backoffice:step-detail", kwargs={"pk": step.pk}))
        .content.decode()
    )
    assert "Aucun canal sûr confirmé" in html


def test_only_a_step_really_done_is_shown_green():
    from types import SimpleNamespace

    from parcours.backoffice.templatetags.pathways_tags import step_state

    def closed(outcome, label):
        return SimpleNamespace(status="closed", outcome=outcome, get_outcome_display=lambda: label)

    assert step_state(closed("done", "Réalisée"))[0] == "text-bg-success"
    assert step_state(closed("unreachable", "Famille injoignable"))[0] == "text-bg-warning"
    assert step_state(closed("declined", "Déclinée par la famille"))[0] != "text-bg-success"
