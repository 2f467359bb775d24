"""The administrator's account list: filtered and sorted on the server; staff get a site."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from parcours.core import services
from parcours.core.models import Site
from tests import factories


@pytest.fixture
def accounts(db):
    factories.make_user("social_worker", "92", last_name="Zola")
    factories.make_user("benefits_officer", "92", last_name="Abel")
    inactive = factories.make_user("social_worker", "974", last_name="Moreau")
    inactive.is_active = False
    inactive.save()
    return factories.make_user("admin")


def _names(client, **params):
    html = client.get(reverse("backoffice:user-list"), params).content.decode()
    return [n for n in ("Zola", "Abel", "Moreau") if n in html], html


def test_accounts_are_filtered_by_role_state_and_organisation(accounts, client_for):
    client = client_for(accounts)
    assert _names(client, role="social_worker")[0] == ["Zola", "Moreau"]
    assert _names(client, etat="inactif")[0] == ["Moreau"]
    caf = factories.caf("974")
    assert _names(client, organisation=caf.pk)[0] == ["Moreau"]


def test_accounts_are_sorted_by_the_chosen_column(accounts, client_for):
    client = client_for(accounts)
    _, html = _names(client, tri="nom")
    assert html.index("Abel") < html.index("Moreau") < html.index("Zola")
    _, html = _names(client, tri="-nom")
    assert html.index("Zola") < html.index("Moreau") < html.index("Abel")
    assert 'aria-sort="descending"' in html


def test_a_site_must_belong_to_the_account_organisation(db):
    admin = factories.make_user("admin")
    caf92, caf974 = factories.caf("92"), factories.caf("974")
    site = Site.objects.create(organisation=caf974, name="Saint-Denis")
    with pytest.raises(ValidationError) as error:
        services.create_user(
            actor=admin, email="x@caf92.fr", first_name="A", last_name="B", organisation=caf92,
            roles=["social_worker"], site=site,
        )  # fmt: skip
    assert "n'appartient pas" in str(error.value)
    user = services.create_user(
        actor=admin, email="y@caf974.fr", first_name="A", last_name="B", organisation=caf974,
        roles=["social_worker"], site=site,
    )  # fmt: skip
    assert user.site == site
