import pytest
from django.urls import reverse

from parcours.core import places
from parcours.core.models import Department


@pytest.mark.parametrize(
    ("code", "inside", "of"),
    [
        ("974", "à La Réunion", "de La Réunion"),
        ("92", "dans les Hauts-de-Seine", "des Hauts-de-Seine"),
        ("27", "dans l'Eure", "de l'Eure"),
        ("86", "dans la Vienne", "de la Vienne"),
        ("47", "dans le Lot-et-Garonne", "du Lot-et-Garonne"),
    ],
)
def test_each_pilot_department_has_its_article(db, code, inside, of):
    department = Department.objects.get(code=code)
    assert places.in_place(department) == inside
    assert places.of_place(department) == of


def test_a_department_missing_from_the_table_stays_grammatical():
    assert places.in_place("Ardèche") == "dans le département Ardèche"


def test_the_public_session_list_names_the_department_with_its_article(db, client):
    from tests.workshops import factories as wf

    for code in ("974", "92"):
        wf.workshop(code)
    for code, phrase in (("974", "à La Réunion"), ("92", "dans les Hauts-de-Seine")):
        page = client.get(reverse("portal:workshop-department", kwargs={"code": code})).content.decode()
        assert f"Séances à venir {phrase}" in page, code
        assert " en La Réunion" not in page and " en Hauts-de-Seine" not in page
