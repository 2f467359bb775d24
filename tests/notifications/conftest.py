import pytest
from django.core import mail

from parcours.notifications import templates


@pytest.fixture(autouse=True)
def transports(settings, tmp_path):
    """Each test gets empty SMS and letter folders and an empty mail outbox."""
    settings.PARCOURS_SMS_BACKEND = "parcours.notifications.backends.sms.FileBackend"
    settings.PARCOURS_SMS_FILE_PATH = tmp_path / "sms"
    settings.PARCOURS_LETTERS_DIR = tmp_path / "letters"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    return tmp_path


@pytest.fixture
def template():
    """register(MessageTemplate(...)) for the test only."""
    added = []

    def add(**fields):
        fields.setdefault("label", "Message de test")
        found = templates.register(templates.MessageTemplate(**fields))
        added.append(found.key)
        return found

    yield add
    for key in added:
        templates.REGISTRY.pop(key, None)
