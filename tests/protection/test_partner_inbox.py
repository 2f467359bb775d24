"""A partner association's inbox: the referrals sent to it with the person's consent, acknowledged
and followed up by its own staff — and nothing else of the household."""

from datetime import time

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from parcours.core.models import AuditEntry
from parcours.households.models import ContactChannel
from parcours.protection import services
from parcours.protection.models import Referral
from tests import factories
from tests.protection import factories as pf


@pytest.fixture
def sent(db):
    partner_user = factories.make_user("partner", "92")
    entry = pf.partner("92", name="CIDFF des Hauts-de-Seine", organisation=partner_user.organisation)
    household = factories.HouseholdFactory(department_code="92", restricted=True)
    person = factories.PersonFactory(
        household=household, first_name="Nadia", last_name="Payet", is_declarant=True
    )
    ContactChannel.objects.create(
        person=person,
        kind="phone",
        value="06 11 22 33 44",
        is_safe=True,
        safe_from=time(9),
        safe_until=time(11),
    )
    ContactChannel.objects.create(person=person, kind="phone", value="06 99 88 77 66", is_safe=False)
    consented = pf.referral(
        person, entry, by=factories.make_user("social_worker", "92"), need="Conseil juridique"
    )
    self_contact = pf.referral(person, entry, mode=Referral.Mode.INFORMATION, need="Écoute")
    return partner_user, consented, self_contact


def test_the_inbox_lists_only_consented_referrals_to_the_organisation(sent, client_for):
    partner_user, consented, self_contact = sent
    other = factories.make_user("partner", "974")
    html = client_for(partner_user).get(reverse("backoffice:partner-inbox")).content.decode()
    assert "Orientations (1)" in html and "Nadia" in html
    assert reverse("backoffice:partner-referral", args=[consented.pk]) in html
    assert reverse("backoffice:partner-referral", args=[self_contact.pk]) not in html
    assert (
        client_for(other).get(reverse("backoffice:partner-referral", args=[consented.pk])).status_code == 404
    )


def test_the_partner_reads_the_safe_channel_only_and_records_the_follow_up(sent, client_for):
    partner_user, consented, _ = sent
    client = client_for(partner_user)
    url = reverse("backoffice:partner-referral", args=[consented.pk])
    html = client.get(url).content.decode()
    assert "06 11 22 33 44" in html and "seulement de 09h00 à 11h00" in html
    assert "06 99 88 77 66" not in html
    assert client.post(url, {"status": "contacted"}).status_code == 302
    consented.refresh_from_db()
    assert consented.status == Referral.Status.CONTACTED and consented.status_changed_by == partner_user
    entry = AuditEntry.objects.filter(action="protection.referral.followed_up").last()
    assert entry.data["by"] == "partenaire"


def test_a_referral_without_follow_up_reason_is_refused_and_staff_cannot_use_the_inbox(sent, client_for):
    partner_user, consented, _ = sent
    with pytest.raises(ValidationError):
        services.partner_follow_up(actor=partner_user, referral=consented, status="declined")
    worker = factories.make_user("social_worker", "92")
    assert client_for(worker).get(reverse("backoffice:partner-inbox")).status_code == 403
