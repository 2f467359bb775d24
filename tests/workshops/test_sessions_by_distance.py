"""Issue 23: parents sort the public session list by distance from the postal code they type, from
shipped data (postal codes and commune positions, no geocoder called); the postal code never
appears in the page's address."""

import pytest
from django.urls import reverse

from parcours.workshops import geo
from tests.workshops import factories as wf

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "postal_code, city", [("92000", "Nanterre"), ("97400", "Saint-Denis"), ("27000", "Évreux"),
                          ("86000", "Poitiers"), ("47000", "Agen")],
)  # fmt: skip
def test_each_pilot_departments_chief_town_is_located(postal_code, city):
    assert geo.locate(postal_code) is not None
    assert geo.locate(postal_code, city.upper()) == geo.locate(postal_code, city)


@pytest.mark.parametrize(
    "postal_code, commune", [("27130", "Bâlines"), ("86120", "Berrie"), ("47250", "Cocumont"), ("97480", "Saint-Joseph")],
)  # fmt: skip
def test_small_rural_communes_are_located_too(postal_code, commune):
    # The communes' centres cover every commune, not only towns of 1,000 inhabitants or more.
    assert geo.locate(postal_code, commune) is not None


def test_distances_are_great_circle_kilometres():
    nanterre, boulogne = geo.locate("92000"), geo.locate("92100")
    assert 6 < geo.distance_km(nanterre, boulogne) < 8
    assert (
        520 < geo.distance_km(geo.locate("92000"), geo.locate("47000")) < 550
    )  # Nanterre–Agen, straight line
    assert geo.locate("99999") is None


def _sessions():
    antony = wf.workshop(venue=wf.venue(postal_code="92160", city="Antony"), days=3)
    nanterre = wf.workshop(venue=wf.venue(postal_code="92000", city="Nanterre"), days=4)
    online = wf.workshop(format="webinar", days=2)
    boulogne = wf.workshop(venue=wf.venue(postal_code="92100", city="Boulogne-Billancourt"), days=5)
    return antony, nanterre, online, boulogne


def _order(html: str, workshops) -> list:
    positions = {w: html.index(reverse("portal:workshop-detail", args=["92", w.pk])) for w in workshops}
    return sorted(workshops, key=positions.get)


def test_sessions_come_nearest_first_from_the_typed_postal_code(client):
    antony, nanterre, online, boulogne = _sessions()
    url = reverse("portal:workshop-department", args=["92"])
    by_date = client.get(url).content.decode()
    assert _order(by_date, [antony, nanterre, online, boulogne]) == [online, antony, nanterre, boulogne]
    response = client.post(url, {"code_postal": "92100"})
    html = response.content.decode()
    assert response.status_code == 200  # no redirect: the postal code stays out of the address
    assert not response.cookies and response["Cache-Control"] == "no-store"
    assert _order(html, [antony, nanterre, online, boulogne]) == [boulogne, nanterre, antony, online]
    assert "les plus proches du 92100 d&#x27;abord" in html or "les plus proches du 92100 d'abord" in html
    assert "environ 0 km" in html and "environ 7 km" in html and "En ligne</td>" in html
    # The format filter is kept.
    in_person = client.post(url, {"code_postal": "92000", "format": "in_person"}).content.decode()
    assert reverse("portal:workshop-detail", args=["92", online.pk]) not in in_person


def test_a_bad_or_unknown_postal_code_is_said_in_french_and_keeps_the_date_order(client):
    antony, nanterre, online, boulogne = _sessions()
    url = reverse("portal:workshop-department", args=["92"])
    bad = client.post(url, {"code_postal": "921"}).content.decode()
    assert "Le code postal compte 5 chiffres, par exemple 92000." in bad
    unknown = client.post(url, {"code_postal": "99999"}).content.decode()
    assert "Nous ne savons pas situer le code postal 99999" in unknown
    assert _order(unknown, [antony, nanterre, online, boulogne]) == [online, antony, nanterre, boulogne]
