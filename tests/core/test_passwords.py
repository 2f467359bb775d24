import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from tests import factories


@pytest.fixture
def staff(db):
    return factories.make_user("social_worker", "92")


@pytest.mark.parametrize(
    "password", ["un chat sur le toit bleu", "correct horse battery staple", "aaaaaaaaaaaaaz"]
)
def test_long_passwords_without_composition_rules_are_accepted(password, staff):
    validate_password(password, staff)


def test_thirteen_characters_are_refused(staff):
    with pytest.raises(ValidationError, match="au moins 14 caractères"):
        validate_password("treize-caract", staff)


def test_administrators_need_sixteen_characters(db):
    admin = factories.make_user("admin", None)
    with pytest.raises(ValidationError, match="au moins 16 caractères"):
        validate_password("quinze caracter", admin)
    validate_password("seize caracteres!", admin)


@pytest.mark.parametrize(
    ("password", "word"),
    [
        ("ma caf adorée depuis toujours", "caf"),
        ("parcours-demo-2026", "parcours"),
        ("jhabitedanslesHauts-de-Seine", "hautsdeseine"),
        ("vive la Réunion et ses plages", "lareunion"),
    ],
)
def test_context_words_are_refused(password, word, staff):
    with pytest.raises(ValidationError) as error:
        validate_password(password, staff)
    assert any(word in message for message in error.value.messages) or "contexte" in " ".join(
        error.value.messages
    )


def test_common_passwords_are_refused(staff):
    with pytest.raises(ValidationError):
        validate_password("motdepasse123456", staff)


def test_the_demo_password_is_accepted_only_in_demo_mode(staff, settings):
    settings.DEMO_MODE = True
    validate_password(settings.DEMO_PASSWORD, staff)
    settings.DEMO_MODE = False
    with pytest.raises(ValidationError):
        validate_password(settings.DEMO_PASSWORD, staff)
