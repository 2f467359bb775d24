"""Forms speak French: no "---------" placeholder, no Django default for a duplicate value."""

from django.test import override_settings

from parcours.backoffice.forms import UserForm
from tests import factories


def test_choice_placeholders_are_french(db):
    form = UserForm()
    html = str(form["site"]) + str(form["organisation"])
    assert "---------" not in html
    assert "Aucun site" in html or "Choisissez" in html


@override_settings(LANGUAGE_CODE="fr")
def test_a_duplicate_email_says_so_in_plain_french(db):
    existing = factories.make_user("social_worker", "92")
    form = UserForm(
        data={
            "email": existing.email,
            "first_name": "A",
            "last_name": "B",
            "organisation": existing.organisation_id,
            "roles": ["social_worker"],
        }
    )
    assert not form.is_valid()
    message = " ".join(form.errors["email"])
    assert "Un objet" not in message and "déjà utilisée" in message
