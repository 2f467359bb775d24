"""The one settings module of Parcours, driven by environment variables.

Defaults are safe for production (DEBUG off, secure cookies, HSTS) except the database,
which defaults to a local SQLite file so that `make run` needs no other service.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from parcours.core.env import env_bool, env_int, env_list, env_str, load_dotenv

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent.parent
# `make run` writes a local `.env` (never committed) so that every command of the README works as
# written on the database it serves; the environment wins over it, and production has none.
# PARCOURS_DOTENV=0 ignores it (the test settings do), PARCOURS_DOTENV_FILE names another file.
if env_bool("PARCOURS_DOTENV", True):
    load_dotenv(Path(env_str("PARCOURS_DOTENV_FILE", str(PROJECT_DIR / ".env"))))
DATA_DIR = Path(env_str("PARCOURS_DATA_DIR", str(PROJECT_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
DEMO_MODE = env_bool("PARCOURS_DEMO", False)
if DEMO_MODE and not DEBUG:
    raise ImproperlyConfigured(
        "Le mode démo (PARCOURS_DEMO=1) est refusé quand DEBUG est désactivé : "
        "ses comptes ont un mot de passe et un second facteur publics."
    )

SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY est obligatoire quand DEBUG est désactivé.")
    SECRET_KEY = "parcours-dev-only-secret-key-not-for-production-use-0123456789"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Fernet keys (comma-separated, newest first) for protected addresses; MultiFernet rotates.
ENCRYPTION_KEYS = env_list("PARCOURS_ENCRYPTION_KEYS", [])
if not ENCRYPTION_KEYS and not DEBUG:
    raise ImproperlyConfigured("PARCOURS_ENCRYPTION_KEYS est obligatoire quand DEBUG est désactivé.")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "parcours.core",
    "parcours.households",
    "parcours.notifications",
    "parcours.pathways",
    "parcours.protection",
    "parcours.workshops",
    "parcours.accompaniment",
    "parcours.doctrine",
    "parcours.evaluation",
    "parcours.backoffice",
    "parcours.portal",
    "parcours.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "parcours.core.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "parcours.core.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",
    "parcours.core.middleware.AccessPolicyMiddleware",
]

ROOT_URLCONF = "parcours.urls"
WSGI_APPLICATION = "parcours.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # « 1er décembre »: the `date` filter with the French ordinal, everywhere.
            "builtins": ["parcours.core.templatetags.french_dates"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "parcours.core.context_processors.parcours",
                "parcours.backoffice.context_processors.staff",
            ],
        },
    },
]

FORM_RENDERER = "parcours.core.forms.ParcoursFormRenderer"

SQLITE_INIT_COMMAND = (
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
    # Deleted rows (an address in clear once it is protected) are overwritten, not left in free pages.
    "PRAGMA secure_delete=ON;"
)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'parcours.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work during an import; IMMEDIATE avoids lock upgrades mid-transaction.
        "init_command": SQLITE_INIT_COMMAND,
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 3)
# The hot statements (core.compiled.execute) prepared once per connection on PostgreSQL; turn off
# behind a connection pooler in transaction mode (PgBouncer's pool_mode = transaction).
PARCOURS_PREPARED_STATEMENTS = env_bool("PARCOURS_PREPARED_STATEMENTS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "parcours.core.auth.EmailBackend",
]
LOGIN_URL = "backoffice:login"
LOGIN_REDIRECT_URL = "backoffice:home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "parcours.core.passwords.LengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "parcours.core.passwords.ContextWordsValidator"},
]
PASSWORD_MIN_LENGTH = 14
PASSWORD_MIN_LENGTH_ADMIN = 16
DEMO_PASSWORD = "parcours-demo-2026"
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXP"

# Sessions: new id at sign-in (django.contrib.auth), idle 15 min, absolute 12 h.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = int(timedelta(hours=12).total_seconds())
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "parcours_session"
SESSION_IDLE_TIMEOUT = timedelta(minutes=env_int("PARCOURS_IDLE_TIMEOUT_MINUTES", 15))
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=env_int("PARCOURS_ABSOLUTE_TIMEOUT_HOURS", 12))
REAUTH_WINDOW = timedelta(minutes=env_int("PARCOURS_REAUTH_MINUTES", 5))
# The password step is valid this long before the second factor must be entered.
PENDING_LOGIN_TIMEOUT = timedelta(minutes=5)

SECURE_COOKIES = env_bool("PARCOURS_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
PARCOURS_BEHIND_PROXY = env_bool("PARCOURS_BEHIND_PROXY", False)
if PARCOURS_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies of this deployment append to X-Forwarded-For (see README, "Derrière un
# proxy"). The client address used by every throttle is the one the outermost of them saw; 0 means
# the connection's address (no proxy). Too high, and a client can choose its address; too low, and
# every client shares the proxy's address (one attacker then locks everyone out).
PARCOURS_TRUSTED_PROXIES = env_int("PARCOURS_TRUSTED_PROXIES", 1 if PARCOURS_BEHIND_PROXY else 0)

# Strict CSP: every asset comes from the app itself, no inline script, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
PRIVATE_MEDIA_ROOT = Path(env_str("PARCOURS_PRIVATE_MEDIA_ROOT", str(DATA_DIR / "private")))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT},
    },
    "staticfiles": {
        "BACKEND": env_str(
            "PARCOURS_STATIC_STORAGE",
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Every private file (imports, proofs, attachments) is readable by the server's account only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# E-mail: console in development, a file "mailbox" in demo, SMTP (or any backend) in production.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend"
    if DEMO_MODE
    else (
        "django.core.mail.backends.console.EmailBackend"
        if DEBUG
        else "django.core.mail.backends.smtp.EmailBackend"
    ),
)
EMAIL_FILE_PATH = Path(env_str("EMAIL_FILE_PATH", str(DATA_DIR / "mailbox")))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 15
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Caf <ne-pas-repondre@parcours.caf.fr>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

TASKS = {
    "default": {
        "BACKEND": env_str("PARCOURS_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["parcours.api.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
    # The domain's typed refusals (core.errors) become HTTP answers in this one place.
    "EXCEPTION_HANDLER": "parcours.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"api_token": env_str("PARCOURS_API_RATE", "600/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API Parcours",
    "DESCRIPTION": "API des Caf pour le parcours séparation. Authentification par jeton d'organisation.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "parcours.api.schema.add_cross_field_rules",
    ],
}

OTP_TOTP_ISSUER = env_str("PARCOURS_TOTP_ISSUER", "Parcours")
# django-otp's own delay is per device (shared by every source and by sign-in and re-authentication)
# and unbounded: whoever knows the password could freeze the code step for hours. Parcours throttles
# per account and source instead, with a capped delay (core.otp_throttle).
OTP_TOTP_THROTTLE_FACTOR = 0
PARCOURS_OTP_MAX_DELAY_SECONDS = env_int("PARCOURS_OTP_MAX_DELAY_SECONDS", 15 * 60)
# Wrong codes for one account (every source) within 24 h past which the administrators are alerted.
PARCOURS_OTP_ALERT_THRESHOLD = env_int("PARCOURS_OTP_ALERT_THRESHOLD", 10)
# Password-reset e-mails: at most this many per address and per source (client address) per hour;
# past it the answer is the same, and no e-mail is sent.
PARCOURS_PASSWORD_RESET_PER_ADDRESS_HOUR = env_int("PARCOURS_PASSWORD_RESET_PER_ADDRESS_HOUR", 3)
PARCOURS_PASSWORD_RESET_PER_SOURCE_HOUR = env_int("PARCOURS_PASSWORD_RESET_PER_SOURCE_HOUR", 10)

# Failed sign-ins are throttled per (e-mail, IP) for a cool-off period: an attacker elsewhere
# cannot lock a victim out of her account, and unknown e-mails get the very same answer.
AXES_FAILURE_LIMIT = env_int("PARCOURS_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("PARCOURS_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "email"
# One normalisation of the e-mail for the throttle and the backend: each capitalisation of an address
# must not get its own budget. The address is the one X-Forwarded-For gives as far as it is trusted.
AXES_USERNAME_CALLABLE = "parcours.core.auth.axes_username"
AXES_CLIENT_IP_CALLABLE = "parcours.core.ratelimit.client_ip"
AXES_LOCKOUT_CALLABLE = "parcours.backoffice.views.auth.lockout_response"
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False
AXES_SENSITIVE_PARAMETERS = ["password", "token", "otp_token"]

# Denied accesses to personal-data URLs by one account in an hour past which the admins are alerted.
PARCOURS_DENIED_ALERT_PER_HOUR = env_int("PARCOURS_DENIED_ALERT_PER_HOUR", 30)
# Statistical secrecy (core.secrecy): no published cell rests on fewer than this many people — the
# rule of individuals' tax data (11); docs/evaluation.md says why not the Cnaf open data's 5.
PARCOURS_STATISTICAL_SECRECY_THRESHOLD = env_int("PARCOURS_STATISTICAL_SECRECY_THRESHOLD", 11)
# The evaluation's nightly refresh recomputes this many months, the current one included.
PARCOURS_EVALUATION_MONTHS = env_int("PARCOURS_EVALUATION_MONTHS", 24)
# Files of background exports (core.exports) are deleted after this many hours.
PARCOURS_EXPORT_RETENTION_HOURS = env_int("PARCOURS_EXPORT_RETENTION_HOURS", 24)
PARCOURS_AUDIT_RETENTION_DAYS = env_int("PARCOURS_AUDIT_RETENTION_DAYS", 365)
# Retention (core/retention.py, docs/donnees-personnelles.md): after these many days a household's
# data is anonymised by the `households.anonymise` periodic job, unless something keeps it alive.
# Pathway data: 2 years after the pathway's last activity (the follow-up and the 6-month review,
# plus the time of a new declaration).
PARCOURS_RETENTION_PATHWAY_DAYS = env_int("PARCOURS_RETENTION_PATHWAY_DAYS", 730)
# Workshop registrations: 1 year after the session (reminders, attendance, survey).
PARCOURS_RETENTION_REGISTRATION_DAYS = env_int("PARCOURS_RETENTION_REGISTRATION_DAYS", 365)
# Emergency aid (loi n° 2023-140): the limitation period of the recovery, 5 years after payment
# (art. 2224 du code civil), during which the loan may still be recovered.
PARCOURS_RETENTION_EMERGENCY_AID_DAYS = env_int("PARCOURS_RETENTION_EMERGENCY_AID_DAYS", 1826)
# MAP measures: 2 years after the measure's end (a renewal or an appeal of the judge's decision).
PARCOURS_RETENTION_MEASURE_DAYS = env_int("PARCOURS_RETENTION_MEASURE_DAYS", 730)
# Messages sent to a household follow its pathway.
PARCOURS_RETENTION_MESSAGE_DAYS = env_int("PARCOURS_RETENTION_MESSAGE_DAYS", 730)
PARCOURS_SITE_URL = env_str("PARCOURS_SITE_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}

# --- workshops: Parents après la séparation -------------------------------------------------------
# Reminders before a session (days, comma-separated), a waiting-list offer's validity (hours),
# private links' lifetime, invitations' validity and their single reminder, the survey window.
PARCOURS_WORKSHOP_REMINDER_DAYS = sorted(
    {int(d) for d in env_list("PARCOURS_WORKSHOP_REMINDER_DAYS", ["7", "1"])}, reverse=True
)
PARCOURS_WORKSHOP_OFFER_HOURS = env_int("PARCOURS_WORKSHOP_OFFER_HOURS", 48)
PARCOURS_WORKSHOP_LINK_DAYS = env_int("PARCOURS_WORKSHOP_LINK_DAYS", 90)
PARCOURS_WORKSHOP_INVITATION_DAYS = env_int("PARCOURS_WORKSHOP_INVITATION_DAYS", 21)
PARCOURS_WORKSHOP_INVITATION_REMINDER_DAYS = env_int("PARCOURS_WORKSHOP_INVITATION_REMINDER_DAYS", 3)
PARCOURS_WORKSHOP_SURVEY_DAYS = env_int("PARCOURS_WORKSHOP_SURVEY_DAYS", 14)
PARCOURS_WORKSHOP_SURVEY_MIN_ANSWERS = env_int("PARCOURS_WORKSHOP_SURVEY_MIN_ANSWERS", 5)
PARCOURS_WORKSHOP_MAX_PARTY = env_int("PARCOURS_WORKSHOP_MAX_PARTY", 4)
# The webinar room opens this many minutes before the start.
PARCOURS_WORKSHOP_JOIN_OPENS_MINUTES = env_int("PARCOURS_WORKSHOP_JOIN_OPENS_MINUTES", 30)
PARCOURS_WORKSHOP_BBB_TIMEOUT = env_int("PARCOURS_WORKSHOP_BBB_TIMEOUT", 5)
# Public forms: attempts per IP address per hour, and messages per contact (e-mail, phone) per day,
# so that nobody floods someone else's phone with confirmations.
PARCOURS_WORKSHOP_RATE_PER_IP_HOUR = env_int("PARCOURS_WORKSHOP_RATE_PER_IP_HOUR", 20)
PARCOURS_WORKSHOP_RATE_PER_CONTACT_DAY = env_int("PARCOURS_WORKSHOP_RATE_PER_CONTACT_DAY", 5)
# Where the quick-exit button and Shift × 3 lead (a neutral site).
PARCOURS_QUICK_EXIT_URL = env_str("PARCOURS_QUICK_EXIT_URL", "https://www.meteofrance.com/")
# Rate-limit counters live in the database (core.RateCounter): one upsert per check, shared by every
# server process, purged by the worker (core.ratelimit).
# The default cache (the menu's worklist counts) is shared by every server process too: a count
# forgotten after a change is forgotten for all workers, and each agent's counts are computed once
# per period for the whole server, not once per worker. Its table is created by `migrate`.
CACHES = {
    "default": {
        "BACKEND": env_str("PARCOURS_CACHE_BACKEND", "django.core.cache.backends.db.DatabaseCache"),
        "LOCATION": env_str("PARCOURS_CACHE_LOCATION", "parcours_cache"),
        "OPTIONS": {"MAX_ENTRIES": 1_000_000},  # one entry per agent at work (300 by default: culled)
    },
    # Rendered HTML of public fragments (portal/fragments.py), keyed by a digest of what they show:
    # never stale, so each process may keep its own copy (no query to read it back).
    "fragments": {
        "BACKEND": env_str(
            "PARCOURS_FRAGMENT_CACHE_BACKEND", "django.core.cache.backends.locmem.LocMemCache"
        ),
        "LOCATION": env_str("PARCOURS_FRAGMENT_CACHE_LOCATION", "parcours-fragments"),
        "TIMEOUT": 3600,
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
}
# --- notifications: outbox, worker, e-mail / SMS / letter transports ----------------------------
# The demo writes each e-mail to its own .eml file in var/mailbox/ (unless EMAIL_BACKEND is set).
if DEMO_MODE and not env_str("EMAIL_BACKEND", ""):
    EMAIL_BACKEND = "parcours.notifications.backends.email.MailboxBackend"
# SMS: the file backend in development and demo (var/sms/); in production Brevo when its key is set,
# otherwise none (SMS is then never chosen, and a message forced on SMS fails visibly).
PARCOURS_BREVO_API_KEY = env_str("PARCOURS_BREVO_API_KEY", "")
PARCOURS_BREVO_SMS_URL = env_str("PARCOURS_BREVO_SMS_URL", "https://api.brevo.com/v3/transactionalSMS/send")
PARCOURS_SMS_BACKEND = env_str(
    "PARCOURS_SMS_BACKEND",
    "parcours.notifications.backends.sms.FileBackend"
    if DEBUG
    else (
        "parcours.notifications.backends.sms.BrevoBackend"
        if PARCOURS_BREVO_API_KEY
        else "parcours.notifications.backends.sms.DisabledBackend"
    ),
)
PARCOURS_SMS_FILE_PATH = Path(env_str("PARCOURS_SMS_FILE_PATH", str(DATA_DIR / "sms")))
PARCOURS_SMS_SENDER = env_str("PARCOURS_SMS_SENDER", "Caf")
PARCOURS_SMS_TIMEOUT = env_int("PARCOURS_SMS_TIMEOUT", 10)
PARCOURS_SMS_MAX_LENGTH = env_int("PARCOURS_SMS_MAX_LENGTH", 480)
# Letters (PDF) are stored here, outside the web root, for printing.
PARCOURS_LETTERS_DIR = Path(env_str("PARCOURS_LETTERS_DIR", str(PRIVATE_MEDIA_ROOT / "letters")))
# Worker: retries with exponential backoff (base × 2^(n-1)), lease of a claimed message.
PARCOURS_OUTBOX_MAX_ATTEMPTS = env_int("PARCOURS_OUTBOX_MAX_ATTEMPTS", 6)
PARCOURS_OUTBOX_BACKOFF_SECONDS = env_int("PARCOURS_OUTBOX_BACKOFF_SECONDS", 60)
PARCOURS_OUTBOX_LEASE_SECONDS = env_int("PARCOURS_OUTBOX_LEASE_SECONDS", 120)
# Messages the worker claims, decides and records together (delivery.py).
PARCOURS_OUTBOX_BATCH_SIZE = env_int("PARCOURS_OUTBOX_BATCH_SIZE", 100)
# Worker processes `parcours worker` runs side by side (PostgreSQL only: SKIP LOCKED shares the queues;
# SQLite has one writer, so one process). 2 on a 2-core PostgreSQL deployment (perf-030).
PARCOURS_WORKER_PROCESSES = env_int("PARCOURS_WORKER_PROCESSES", 1)
# Neutral wording on the protected track, and the Caf's phone number given in neutral messages.
PARCOURS_NEUTRAL_SUBJECT = env_str("PARCOURS_NEUTRAL_SUBJECT", "Message de votre Caf")
PARCOURS_CAF_PHONE = env_str("PARCOURS_CAF_PHONE", "3230")
# WeasyPrint reports every rendering step at INFO: keep the worker's log readable.
LOGGING["loggers"].update({"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}})

# --- protection: violence reports, referrals, emergency aid (AUU) -------------------------------
# Proof documents of the AUU: size limit (MB); they are stored with the default storage, i.e. under
# PRIVATE_MEDIA_ROOT, outside the web root, and served only through an audited staff view.
PARCOURS_PROOF_MAX_MB = env_int("PARCOURS_PROOF_MAX_MB", 10)

# --- pathways (parcours séparation) ---------------------------------------------------------------
# A step can be closed as "family unreachable" after this many unsuccessful contact attempts.
PATHWAYS_UNREACHABLE_AFTER = env_int("PARCOURS_UNREACHABLE_AFTER", 3)
# Uploaded files of separation events: size limit; an import silent for this long may be restarted.
PATHWAYS_IMPORT_MAX_BYTES = env_int("PARCOURS_IMPORT_MAX_MB", 50) * 1024 * 1024
# An upload is deleted as soon as its import is done or rejected; a failed one (kept for a restart)
# after this many hours. Private files are readable by the server's account only.
PATHWAYS_IMPORT_FILE_RETENTION_HOURS = env_int("PARCOURS_IMPORT_FILE_RETENTION_HOURS", 72)
PATHWAYS_IMPORT_STALE_MINUTES = env_int("PARCOURS_IMPORT_STALE_MINUTES", 15)
# Events written per bulk round (memory vs round trips); the whole file stays one transaction.
PATHWAYS_IMPORT_CHUNK_SIZE = env_int("PARCOURS_IMPORT_CHUNK_SIZE", 5000)
# From this many new pathways, a thread writes the rows while the next ones are built (core.bulk.Writer).
PATHWAYS_IMPORT_BACKGROUND_MIN = env_int("PARCOURS_IMPORT_BACKGROUND_MIN", 2000)
# Events per request on POST /api/v1/separation-events.
PATHWAYS_API_MAX_BATCH = env_int("PARCOURS_API_MAX_BATCH", 1000)
# Step 1 (information on the offer) is sent for declarations of the last N days only (not for old ones).
PATHWAYS_INFORMATION_MAX_AGE_DAYS = env_int("PARCOURS_INFORMATION_MAX_AGE_DAYS", 7)

# --- accompaniment: mesures d'accompagnement protégé (MAP) -----------------------------------------
# The two parents are never given the same place within this many minutes of each other.
PARCOURS_MAP_STAGGER_MINUTES = env_int("PARCOURS_MAP_STAGGER_MINUTES", 15)
# An accompanist needs this long between the end of a handover and the start of the next one.
PARCOURS_MAP_TRAVEL_MINUTES = env_int("PARCOURS_MAP_TRAVEL_MINUTES", 30)
# Default length of one accompanied trip (pick-up → drop-off), when the organisation gives none.
PARCOURS_MAP_TRIP_MINUTES = env_int("PARCOURS_MAP_TRIP_MINUTES", 30)
# End-of-measure alerts to the referent and the organisation, days before the end.
PARCOURS_MAP_END_ALERT_DAYS = sorted(
    {int(d) for d in env_list("PARCOURS_MAP_END_ALERT_DAYS", ["30", "7"])}, reverse=True
)
