"""Test settings: the production settings module, with the few environment values tests need.

Tests run with DEBUG off (as in production). DATABASE_URL, when set, points the suite at
PostgreSQL (see .ci/run); otherwise SQLite.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("PARCOURS_ENCRYPTION_KEYS", "aW5zZWN1cmUtdGVzdC1rZXktZm9yLXBhcmNvdXJzISE=")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("PARCOURS_STATIC_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage")
os.environ.setdefault("PARCOURS_TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault("PARCOURS_SMS_BACKEND", "parcours.notifications.backends.sms.FileBackend")
os.environ.setdefault("PARCOURS_DATA_DIR", tempfile.mkdtemp(prefix="parcours-tests-"))
os.environ["DEBUG"] = "0"
# A developer's `.env` (written by `make run`) must not reach the suite.
os.environ["PARCOURS_DOTENV"] = "0"
os.environ["PARCOURS_DEMO"] = "0"

from parcours.settings import *  # noqa: E402,F403

# Fast hashing: the suite creates many accounts; production keeps Django's PBKDF2 default.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
