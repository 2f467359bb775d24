from datetime import timedelta
from io import StringIO

import time_machine
from django.core.management import call_command

from parcours.core.policy import LinkHolder
from parcours.households.timeline import entries_for
from parcours.workshops import services
from parcours.workshops.models import Invitation, Registration
from tests.workshops import factories as wf


def test_the_housekeeping_command_lapses_offers_and_invitations(db, make_user):
    workshop = wf.workshop(capacity=1, days=20)
    holder = wf.public_registration(workshop)
    waiting = wf.public_registration(workshop)
    services.cancel_registration(actor=LinkHolder(registration=holder), registration=holder)
    household, *_ = wf.household_with_parents("92")
    services.invite_household(actor=make_user("service_advisor", "92"), household=household)
    out = StringIO()
    with time_machine.travel(timedelta(days=22)):
        call_command("workshops_housekeeping", stdout=out)
    assert "Places proposées expirées : 1 ; invitations expirées : 2" in out.getvalue()
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.OFFER_EXPIRED
    assert set(Invitation.objects.values_list("status", flat=True)) == {"expired"}


def test_the_household_timeline_shows_invitations_and_registrations(db, make_user):
    advisor = make_user("service_advisor", "92")
    household, mother, _ = wf.household_with_parents("92")
    workshop = wf.workshop("92")
    services.invite_household(actor=advisor, household=household)
    services.register(actor=advisor, workshop=workshop, person=mother)
    titles = [entry.title for entry in entries_for(advisor, household)]
    assert any(t.startswith("Inscription de Nadia à la séance du") for t in titles)
    assert sum(t.startswith("Invitation « Parents après la séparation »") for t in titles) == 2
    assert entries_for(make_user("admin", None), household) == []
