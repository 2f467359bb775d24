"""Issue 23: the emergency-aid (AUU) timeline shows only what was recorded — the days of the request
and of the payment as days, without a made-up time; the decision at its recorded instant — and the
request's deadline according to its outcome (a refused aid is not « à payer »)."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from parcours.households import timeline
from parcours.protection import services
from parcours.protection.models import EmergencyAid
from tests import factories
from tests.protection.factories import aid, protected_family

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(datetime.fromisoformat("2026-03-04T16:37:00+01:00"), tick=False):
        yield


def _aid_entries(user, household):
    return [e for e in timeline.entries_for(user, household) if e.extra.get("aid_id")]


def _page(client_for, user, household) -> str:
    response = client_for(user).get(reverse("backoffice:household-timeline", args=[household.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_refused_aid_is_not_to_pay_and_its_request_has_no_made_up_time(client_for):
    officer = factories.make_user("benefits_officer", "92")
    household, mother, _, _ = protected_family("92", assignee=officer)
    request = aid(household, mother, received_on=date(2026, 3, 2), officer=officer)
    services.refuse_aid(actor=officer, aid=request, reason="Justificatif de plus de douze mois.")
    received, refused = sorted(_aid_entries(officer, household), key=lambda e: e.at)
    assert received.day == date(2026, 3, 2) and received.detail == ""
    assert refused.day is None and refused.title.endswith(": refusée")
    html = _page(client_for, officer, household)
    assert "à payer" not in html.lower()
    assert '<time datetime="2026-03-02">2 mars 2026</time>' in html
    assert "12 h 00" not in html and "00 h 00" not in html
    # The decision keeps the instant it was recorded at.
    assert "4 mars 2026 à 16 h 37" in html


def test_an_open_aid_says_its_deadline_and_a_paid_one_its_payment_day(client_for):
    officer = factories.make_user("benefits_officer", "92")
    household, mother, _, _ = protected_family("92", assignee=officer)
    open_aid = aid(household, mother, received_on=date(2026, 3, 2), officer=officer)
    (received,) = _aid_entries(officer, household)
    assert received.detail == "À payer au plus tard le 5 mars 2026"
    services.decide_aid(
        actor=officer, aid=open_aid, monthly_resources=Decimal("900"), children_count=1, amount=Decimal("500")
    )
    services.record_payment(
        actor=officer, aid=EmergencyAid.objects.get(pk=open_aid.pk), paid_on=date(2026, 3, 4)
    )
    entries = _aid_entries(officer, household)
    paid = next(e for e in entries if "payée" in e.title)
    assert paid.day == date(2026, 3, 4) and paid.title.endswith("payée dans le délai")
    # Newest first: the payment (known by its day) comes after the decision recorded that day.
    assert [e.title.split(" : ")[1].split()[-1] for e in entries] == ["délai", "accordée", "reçue"]
    assert next(e for e in entries if e.title.endswith("demande reçue")).detail == (
        "Délai légal de paiement : le 5 mars 2026"
    )
    html = _page(client_for, officer, household)
    assert '<time datetime="2026-03-04">4 mars 2026</time>' in html
    assert "12 h 00" not in html and "à payer" not in html.lower()
