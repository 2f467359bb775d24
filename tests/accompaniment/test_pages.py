"""Staff pages of the MAP module: who sees what (organisation, accompanist, referent, pilot), the ICS feed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.accompaniment import ics, services
from parcours.accompaniment.models import Accompanist, Handover
from tests import factories
from tests.accompaniment import factories as af

NARRATIVE = "Le parent a crié sur le palier"


@pytest.fixture
def setup(db):
    org = af.map_organisation("92")
    m = af.measure("92", map_org=org)
    af.calendar(m)
    person = af.accompanist(org)
    handover = m.handovers.order_by("from_at").first()
    coordinator = af.coordinator_of(org)
    services.assign(actor=coordinator, handovers=[handover], accompanist=person)
    services.record_outcome(
        actor=coordinator,
        handover=handover,
        outcome="done",
        incidents=[services.IncidentInput("verbal", NARRATIVE)],
    )
    return {"org": org, "measure": m, "accompanist": person, "handover": handover, "coordinator": coordinator}


def test_the_organisation_sees_its_measure_with_the_narrative(setup, client_for):
    response = client_for(setup["coordinator"]).get(
        reverse("backoffice:map-measure", args=[setup["measure"].pk])
    )
    assert response.status_code == 200
    assert NARRATIVE in response.content.decode()


def test_another_organisation_gets_404(setup, client_for):
    other = af.coordinator(af.map_organisation("92"))
    assert (
        client_for(other).get(reverse("backoffice:map-measure", args=[setup["measure"].pk])).status_code
        == 404
    )
    assert (
        setup["measure"].reference
        not in client_for(other).get(reverse("backoffice:map-list")).content.decode()
    )


def test_the_referent_sees_it_another_social_worker_does_not(setup, client_for):
    url = reverse("backoffice:map-measure", args=[setup["measure"].pk])
    assert NARRATIVE in client_for(setup["measure"].referent).get(url).content.decode()
    assert client_for(factories.make_user("social_worker", "92")).get(url).status_code == 404


def test_an_accompanist_sees_their_handover_with_its_places_and_nothing_else(setup, client_for):
    client = client_for(setup["accompanist"].user)
    m = setup["measure"]
    page = client.get(reverse("backoffice:map-handover", args=[setup["handover"].pk])).content.decode()
    assert "impasse des Roses" in page  # the pick-up place they need
    for private in (
        m.residential_parent.last_name.upper(),
        m.household.file_number,
        NARRATIVE,
        m.case_number,
    ):
        assert private not in page
    assert client.get(reverse("backoffice:map-measure", args=[m.pk])).status_code == 403
    other = m.handovers.exclude(pk=setup["handover"].pk).first()
    assert client.get(reverse("backoffice:map-handover", args=[other.pk])).status_code == 404


def test_the_local_pilot_sees_figures_and_no_narrative(setup, client_for):
    pilot = factories.make_user("local_pilot", "92")
    page = client_for(pilot).get(reverse("backoffice:map-overview")).content.decode()
    assert setup["org"].name in page and NARRATIVE not in page
    assert (
        client_for(pilot).get(reverse("backoffice:map-measure", args=[setup["measure"].pk])).status_code
        == 403
    )


def test_the_agenda_feed_has_times_and_links_but_no_name_place_or_address(setup, client):
    person: Accompanist = setup["accompanist"]
    soon = timezone.now() + timedelta(days=2)
    Handover.objects.filter(pk=setup["handover"].pk).update(from_at=soon, to_at=soon + timedelta(minutes=30))
    services.set_feed(actor=person.user, enabled=True)
    person.refresh_from_db()
    url = reverse("backoffice:map-agenda", kwargs={"token": ics.token_for(person)})
    body = client.get(url).content.decode()
    assert "BEGIN:VEVENT" in body and "Remise accompagn" in body
    m = setup["measure"]
    for private in (
        "Roses",
        "Domicile",
        "Point rencontre",
        m.residential_parent.first_name,
        m.visiting_parent.first_name,
        m.reference,
    ):
        assert private not in body


def test_revoking_the_agenda_link_kills_the_old_one(setup, client):
    person: Accompanist = setup["accompanist"]
    services.set_feed(actor=person.user, enabled=True)
    person.refresh_from_db()
    old = reverse("backoffice:map-agenda", kwargs={"token": ics.token_for(person)})
    services.set_feed(actor=person.user, enabled=True)  # a new link
    assert client.get(old).status_code == 404
    assert client.get(old.replace(".ics", "x.ics")).status_code == 404


def test_recording_an_order_from_the_household(db, client_for):
    household, mother, father, child = af.family("92")
    sw = factories.make_user("social_worker", "92")
    response = client_for(sw).post(
        reverse("backoffice:map-record", args=[household.pk]),
        {
            **{k: v for k, v in af.TERMS.items() if k not in ("pickup_time", "return_time")},
            "pickup_time": "10:00", "return_time": "18:00", "residential_parent": mother.pk,
            "visiting_parent": father.pk, "children": [child.pk], "visit_days": 1, "extend_on_public_holiday": "on",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    assert household.accompaniment_measures.get().referent == sw


def test_the_week_view_shows_the_handovers_in_local_time(setup, client_for):
    m = setup["measure"]
    page = (
        client_for(setup["coordinator"])
        .get(reverse("backoffice:map-calendar", args=[m.pk]) + "?semaine=2026-03-14")
        .content.decode()
    )
    assert "10h00" in page  # 09:00 UTC, 10:00 in Paris
    assert Handover.objects.filter(measure=m, from_at__date=date(2026, 3, 14)).exists()


def test_the_referent_renews_the_measure_with_a_new_order(setup, client_for):
    m = setup["measure"]
    response = client_for(m.referent).post(
        reverse("backoffice:map-renew", args=[m.pk]),
        {
            **{k: v for k, v in af.TERMS.items() if k not in ("pickup_time", "return_time")},
            "order_date": "2026-08-20", "case_number": "26/09999", "starts_on": "2026-09-01",
            "ends_on": "2027-02-28", "first_visit_on": "2026-09-05", "pickup_time": "10:00",
            "return_time": "18:00", "visit_days": 1,
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    m.refresh_from_db()
    assert m.end_reason == "renewed" and m.renewal.case_number == "26/09999"
    assert m.renewal.map_organisation_id == setup["org"].pk


def test_the_pilot_sees_the_delay_from_order_to_first_handover(setup, client_for):
    page = (
        client_for(factories.make_user("local_pilot", "92"))
        .get(reverse("backoffice:map-overview"))
        .content.decode()
    )
    assert "Médiane : 29 jours ouvrés (1 mesure)" in page
