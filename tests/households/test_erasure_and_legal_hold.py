"""Erasure on request (RGPD art. 17) and the legal-hold page: the local pilot's acts, with a reason,
audited; an erasure is refused, in French, while something keeps the file alive."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from parcours.core.models import AuditEntry
from parcours.households import services
from parcours.households.models import Person
from parcours.pathways.models import Pathway
from tests import factories
from tests.households.test_anonymisation import close, expired_family
from tests.pathways.factories import open_pathway

REASON = "Demande d'effacement reçue par courrier le 2 décembre"


@pytest.fixture
def pilot(db):
    return factories.make_user("local_pilot", "92")


def test_a_file_closed_today_is_erased_on_request_without_waiting_for_the_retention(pilot):
    pathway = expired_family(7)  # closed today: the nightly job would wait two years
    household = pathway.household
    services.erase_on_request(actor=pilot, household=household, reason=REASON)
    household.refresh_from_db()
    assert household.anonymised_at is not None
    assert not Person.objects.filter(household=household, last_name="Canarinom7").exists()
    entry = AuditEntry.objects.get(action="households.household.erased")
    assert entry.reason == REASON and "Canarinom7" not in str(entry.data) + entry.object_ref


def test_an_open_pathway_refuses_the_erasure_and_says_so(pilot):
    household = open_pathway().household
    with pytest.raises(ValidationError) as refusal:
        services.erase_on_request(actor=pilot, household=household, reason=REASON)
    assert "un parcours séparation en cours" in " ".join(refusal.value.messages)
    household.refresh_from_db()
    assert household.anonymised_at is None
    assert not AuditEntry.objects.filter(action="households.household.erased").exists()


def test_a_legal_hold_refuses_the_erasure(pilot):
    household = expired_family(8).household
    services.set_legal_hold(actor=pilot, household=household, hold=True, reason="Procédure prud'homale")
    with pytest.raises(ValidationError, match="gel légal"):
        services.erase_on_request(actor=pilot, household=household, reason=REASON)
    assert household.anonymised_at is None


def test_a_limited_person_keeps_the_file_from_erasure(pilot):
    household = expired_family(9).household
    person = household.members.first()
    services.set_processing_limitation(
        actor=pilot, person=person, limited=True, reason="Contestation en cours"
    )
    with pytest.raises(ValidationError, match="limitation du traitement"):
        services.erase_on_request(actor=pilot, household=household, reason=REASON)


@pytest.mark.parametrize("role", ["social_worker", "service_advisor", "benefits_officer", "national_pilot"])
def test_only_the_local_pilot_erases(role, db):
    from django.core.exceptions import PermissionDenied

    household = expired_family(10).household
    with pytest.raises(PermissionDenied):
        services.erase_on_request(actor=factories.make_user(role, "92"), household=household, reason=REASON)


def test_the_erase_page_lists_what_keeps_the_file_and_refuses_in_french(pilot, client_for):
    household = open_pathway().household
    client = client_for(pilot)
    url = reverse("backoffice:household-erase", kwargs={"pk": household.pk})
    page = client.get(url).content.decode()
    assert "un parcours séparation en cours" in page
    response = client.post(url, {"reason": REASON, "confirm": "on"})
    assert response.status_code == 200 and "Effacement refusé" in response.content.decode()
    Pathway.objects.filter(household=household).update(status=Pathway.Status.CLOSED, closed_at=timezone.now())
    close(household.pathways.get())
    response = client.post(url, {"reason": REASON, "confirm": "on"})
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.anonymised_at is not None


def test_the_pilot_sets_and_lifts_the_legal_hold_from_its_page_and_the_household_page_shows_it(
    pilot, client_for
):
    household = open_pathway().household
    client = client_for(pilot)
    url = reverse("backoffice:household-legal-hold", kwargs={"pk": household.pk})
    assert client.post(url, {"reason": "court"}).status_code == 200  # too short: nothing set
    household.refresh_from_db()
    assert not household.legal_hold
    assert client.post(url, {"reason": "Procédure pénale en cours"}).status_code == 302
    household.refresh_from_db()
    assert household.legal_hold and household.legal_hold_reason == "Procédure pénale en cours"
    social_worker = factories.make_user("social_worker", "92")
    page = client_for(social_worker).get(reverse("backoffice:household-detail", kwargs={"pk": household.pk}))
    assert "Gel légal" in page.content.decode()
    assert client.post(url, {"reason": "Procédure terminée par un jugement"}).status_code == 302
    household.refresh_from_db()
    assert not household.legal_hold
    actions = list(
        AuditEntry.objects.filter(action__startswith="households.household.legal_hold").values_list(
            "action", flat=True
        )
    )
    assert actions == ["households.household.legal_hold_set", "households.household.legal_hold_lifted"]
