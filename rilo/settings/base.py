"""Settings shared by every environment; values come from the environment (django-environ)."""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    # third party
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",
    "simple_history",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "guardian",
    "django_celery_beat",
    # ours
    "apps.core",
    "apps.mail",
    "apps.tenancy",
    "apps.accounts",
    "apps.reference",
    "apps.reports",
    "apps.audit",
    "apps.autosave",
    "apps.exchange",
    "apps.jobs",
    "apps.uploads",
    "apps.dashboards",
    "demo",  # seed_demo / seed_reports (refused unless RILO_ALLOW_DEMO_SEED); no app imports it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "apps.core.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After LocaleMiddleware, so its 413 is in the client's Accept-Language; neither middleware above reads the body.
    "apps.core.middleware.ApiBodySizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: a signed-in user's own language wins over the cookie and the browser's.
    "apps.accounts.middleware.UserLanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "apps.accounts.middleware.SessionExpiryMiddleware",
    "apps.accounts.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "apps.core.middleware.DomainErrorMiddleware",
    # django-axes must be last so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "rilo.urls"
WSGI_APPLICATION = "rilo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.navigation",
            ],
        },
    }
]


def _prepare_threshold(value: str) -> int | None:
    """psycopg's ``prepare_threshold``: after how many runs a statement is prepared; "off" never."""
    if value.strip().lower() in ("off", "none", ""):
        return None
    return int(value)


def database_config(url: str) -> dict[str, object]:
    """Django DATABASES entry from a libpq URL, including ``?host=/socket/dir`` URLs."""
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    config = environ.Env.db_url_config(url.split("?", 1)[0])
    config["ENGINE"] = "django.db.backends.postgresql"
    if "host" in query:
        config["HOST"] = query.pop("host")
    if "port" in query:
        config["PORT"] = query.pop("port")
    options: dict[str, object] = {
        # Parameters bound by the server, and statements a connection runs often prepared once: PostgreSQL
        # then skips parsing and planning them (most of its CPU time on the short queries a transition runs).
        # Behind a pooler in transaction mode, set DJANGO_DB_PREPARE_THRESHOLD to "off".
        "server_side_binding": env.bool("DJANGO_DB_SERVER_SIDE_BINDING", default=True),
        "prepare_threshold": _prepare_threshold(env.str("DJANGO_DB_PREPARE_THRESHOLD", default="5")),
    }
    if statement_timeout := env.int("DJANGO_DB_STATEMENT_TIMEOUT", default=0):
        # Milliseconds; set for web processes by gunicorn.conf.py (workers have their task time limits).
        options["options"] = f"-c statement_timeout={statement_timeout}"
    options.update(config.get("OPTIONS") or {})
    options.update(query)
    config["OPTIONS"] = options
    config["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASE_URL = env("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/rilo_demo")
DATABASES = {"default": database_config(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")


def celery_broker_url(redis_url: str) -> str:
    """Celery names a unix-socket Redis ``redis+socket://``; redis-py names it ``unix://``."""
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url.removeprefix("unix://")
    return redis_url


CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("DJANGO_CACHE_PREFIX", default="rilo"),
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "apps.accounts.backends.ModelBackend",  # Django's, permissions in one query
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions: an idle session expires after SESSION_COOKIE_AGE seconds (renewed on each request).
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_IDLE_SECONDS", default=60 * 60 * 2)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# django-axes: lock the (username, IP) pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("RILO_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("RILO_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The client's address (lockout and API throttles): REMOTE_ADDR, or behind this many reverse proxies the
# N-th X-Forwarded-For address from the right (apps/core/client_address.py).
RILO_TRUSTED_PROXY_COUNT = env.int("RILO_TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "apps.core.client_address.client_address"

# Content-Security-Policy of every response (apps/core/security.py): scripts and styles only from
# our own static files, no inline or evaluated script; refused at start-up if it allows them.
RILO_CONTENT_SECURITY_POLICY = env(
    "RILO_CONTENT_SECURITY_POLICY",
    default=(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
)

# django-otp
OTP_TOTP_ISSUER = env("RILO_OTP_ISSUER", default="RILO")

# django-simple-history: no index of a history by its date alone (apps/core/history.py says which it has).
SIMPLE_HISTORY_DATE_INDEX = False

# django-guardian: no anonymous user row; object permissions live in direct-FK tables.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

LANGUAGE_CODE = "en"
# Each language under its own name, as a reader of that language looks for it in the switcher.
# Adding one: README.md, "Languages".
LANGUAGES = [("en", "English"), ("fr", "Français"), ("es", "Español"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "rilo_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
# As the session cookie: no script reads it, it is sent on top-level navigation only.
LANGUAGE_COOKIE_SAMESITE = SESSION_COOKIE_SAMESITE
LANGUAGE_COOKIE_HTTPONLY = SESSION_COOKIE_HTTPONLY
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Numbers in the reader's locale (Django's per-locale formats: decimal comma in French, Spanish and Russian).
# Thousands are grouped only where a quantity is shown (the "grouped" filter, apps/core/templatetags/numbers.py):
# site-wide grouping would also write "1,234" into ids and timestamps in URLs and form values.
USE_THOUSAND_SEPARATOR = False
# French groups thousands with a narrow no-break space (rilo/formats/fr), as the browsers' Intl does.
FORMAT_MODULE_PATH = ["rilo.formats"]

# Outside production, static files come from the finders; whitenoise need not warn of an empty STATIC_ROOT.
warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "apps.core.npm_assets.NodeModulesFinder",
]
# Browser libraries from npm (package.json; `make install` runs `npm ci`): only these files of node_modules are
# static files, each under its path there (apps/core/npm_assets.py).
RILO_NODE_MODULES_DIR = Path(env("RILO_NODE_MODULES_DIR", default=str(BASE_DIR / "node_modules")))
RILO_NPM_STATIC_FILES = [
    "echarts/dist/echarts.min.js",
    # ECharts' own texts in French, Spanish and Russian (English is built in): apps/dashboards/views.py.
    "echarts/i18n/langES.js",
    "echarts/i18n/langFR.js",
    "echarts/i18n/langRU.js",
    "topojson-client/dist/topojson-client.min.js",
    "world-atlas/countries-110m.json",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Uploaded files (attachments) live outside the web root and are served only through views.
MEDIA_ROOT = Path(env("RILO_MEDIA_ROOT", default=str(BASE_DIR / ".var" / "media")))

EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="rilo@localhost")
# E-mails are sent by workers from the mail outbox (apps.mail), never in a request; an SMTP server
# that does not answer must still not hold a worker for ever (Django's default).
EMAIL_TIMEOUT = env.float("DJANGO_EMAIL_TIMEOUT", default=10.0)
EMAIL_HOST = env("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("DJANGO_EMAIL_HOST_PASSWORD", default="")
# STARTTLS (usually port 587) or implicit TLS (usually 465): one or the other, never both.
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("DJANGO_EMAIL_USE_SSL", default=False)

# The mail outbox (apps.mail): retries kept in the database, base * factor**(n-1) capped; the defaults
# try 10 times over about 6 hours. A worker's claim on a batch lasts the lease (more than batch * EMAIL_TIMEOUT).
RILO_MAIL_MAX_ATTEMPTS = env.int("RILO_MAIL_MAX_ATTEMPTS", default=10)
RILO_MAIL_RETRY_BASE_SECONDS = env.float("RILO_MAIL_RETRY_BASE_SECONDS", default=30.0)
RILO_MAIL_RETRY_FACTOR = env.float("RILO_MAIL_RETRY_FACTOR", default=2.0)
RILO_MAIL_RETRY_MAX_SECONDS = env.float("RILO_MAIL_RETRY_MAX_SECONDS", default=60 * 60.0)
RILO_MAIL_BATCH = env.int("RILO_MAIL_BATCH", default=20)
RILO_MAIL_LEASE_SECONDS = env.float("RILO_MAIL_LEASE_SECONDS", default=300.0)
RILO_MAIL_SWEEP_SECONDS = env.float("RILO_MAIL_SWEEP_SECONDS", default=30.0)
RILO_MAIL_RETENTION_DAYS = env.int("RILO_MAIL_RETENTION_DAYS", default=7)

# Celery
CELERY_BROKER_URL = celery_broker_url(REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
# Celery's Django fix-up closes every database connection around every task unless told to reuse
# them; rilo/celery.py instead applies Django's own rule (CONN_MAX_AGE, CONN_HEALTH_CHECKS) around
# each task, as around each web request, so a worker does not open a connection per task.
CELERY_DB_REUSE_MAX = 2**31
CELERY_TASK_SOFT_TIME_LIMIT = 100
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# acks_late tasks cannot be acknowledged once the connection is lost: cancel them (they are redelivered).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# Request bodies (JSON, form fields; not uploaded files) larger than this are refused: 413 on the API.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that a request without credentials gets 401 with "WWW-Authenticate: Bearer".
        "apps.accounts.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "apps.core.api.permissions.TokenScopePermission",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apps.core.api.parsers.LimitedJSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.core.api.throttling.AccountRateThrottle",
        "apps.core.api.throttling.AnonymousRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "account": env("RILO_API_RATE_ACCOUNT", default="1200/min"),
        "anonymous": env("RILO_API_RATE_ANONYMOUS", default="120/min"),
    },
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.pagination.StandardPageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "apps.core.api.schema.RiloAutoSchema",
    "EXCEPTION_HANDLER": "apps.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "RILO API",
    "DESCRIPTION": (
        "Seizure and offence reports, reference vocabularies and exchange with partner systems. "
        "Authenticate with `Authorization: Bearer <token>`. Every error answers "
        '`{"type", "message", "details"}`.'
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ApiTokenScopeEnum": "apps.accounts.models.ApiToken.Scope",
        "ApiTokenStatusEnum": ["active", "expired", "revoked"],
        "ReportStatusEnum": "apps.reports.choices.ReportStatus",
        "ReportKindEnum": "apps.reports.choices.ReportKind",
        "RouteRoleEnum": "apps.reports.choices.RouteRole",
        "PartyKindEnum": "apps.reports.choices.PartyKind",
        "PartyRoleEnum": "apps.reports.choices.PartyRole",
        "FormVariantEnum": "apps.reports.choices.FormVariant",
        "UploadStateEnum": "apps.uploads.choices.UploadState",
        "UploadFormatEnum": "apps.uploads.choices.UploadFormat",
        "UploadProblemKindEnum": "apps.uploads.choices.ProblemKind",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# API tokens: lifetime offered by default and the longest allowed, in days.
RILO_API_TOKEN_DEFAULT_DAYS = env.int("RILO_API_TOKEN_DEFAULT_DAYS", default=90)
RILO_API_TOKEN_MAX_DAYS = env.int("RILO_API_TOKEN_MAX_DAYS", default=366)
# A CSV export's audit event lists the reports whose personal columns it filled up to this many; beyond,
# it records their count, its filters and a "truncated" flag.
RILO_AUDIT_EXPORT_LIST_MAX = env.int("RILO_AUDIT_EXPORT_LIST_MAX", default=10_000)
# seed_demo and seed_reports (demo accounts with a published password): local and test settings only.
RILO_ALLOW_DEMO_SEED = env.bool("RILO_ALLOW_DEMO_SEED", default=False)
# Idempotency-Key records are kept this long; an unfinished one is taken over after the lease.
RILO_IDEMPOTENCY_TTL_HOURS = env.int("RILO_IDEMPOTENCY_TTL_HOURS", default=24)
RILO_IDEMPOTENCY_LEASE_SECONDS = env.int("RILO_IDEMPOTENCY_LEASE_SECONDS", default=60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "apps.core.middleware.RequestIdLogFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# The HS nomenclature file the demo and tests may load in full (absent in production images).
RILO_HS_CSV = env("RILO_HS_CSV", default=str(BASE_DIR.parent / "shared" / "data" / "hs2022.csv"))

# Report attachments: largest accepted file, in bytes (docker/nginx.conf.template caps request bodies to match).
RILO_ATTACHMENT_MAX_BYTES = env.int("RILO_ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024)

# Bulk uploads: largest accepted file in bytes (enforced while the body streams), and most rows per sheet.
RILO_UPLOAD_MAX_BYTES = env.int("RILO_UPLOAD_MAX_BYTES", default=50 * 1024 * 1024)
RILO_UPLOAD_MAX_ROWS = env.int("RILO_UPLOAD_MAX_ROWS", default=200_000)

# Form autosave: how long a form page's signed ticket may keep a draft after the session expired.
RILO_AUTOSAVE_TICKET_MAX_AGE = env.int("RILO_AUTOSAVE_TICKET_MAX_AGE", default=7 * 24 * 60 * 60)
# Autosaved drafts untouched this many days are deleted by the beat task autosave.purge_form_drafts.
RILO_AUTOSAVE_RETENTION_DAYS = env.int("RILO_AUTOSAVE_RETENTION_DAYS", default=30)
# Partner exchange (apps.exchange, DESIGN.md section 6).
# Fernet key(s) encrypting partner credentials and signing secrets at rest. A comma-separated list
# rotates keys: the first encrypts, every one decrypts.
RILO_SECRETS_KEY = env("RILO_SECRETS_KEY", default="")
# Partner endpoints must be public HTTPS addresses unless this is on (local and test settings only).
RILO_ALLOW_PRIVATE_ENDPOINTS = env.bool("RILO_ALLOW_PRIVATE_ENDPOINTS", default=False)
# Partner traffic through an HTTP(S) proxy from the environment (HTTPS_PROXY…): refused unless allowed.
RILO_PARTNER_PROXY_ALLOWED = env.bool("RILO_PARTNER_PROXY_ALLOWED", default=False)
# At most this many bytes of a partner's answer are read (webhook receivers, TAXII servers).
RILO_PARTNER_RESPONSE_MAX_BYTES = env.int("RILO_PARTNER_RESPONSE_MAX_BYTES", default=64 * 1024)
# The scanner reads strings up to this length; a longer one needs attention instead of being scanned.
RILO_SCANNER_MAX_CHARS = env.int("RILO_SCANNER_MAX_CHARS", default=64 * 1024)
# "Replay since" reaches back at most this many days.
RILO_REPLAY_MAX_DAYS = env.int("RILO_REPLAY_MAX_DAYS", default=7)
# The pull feed serves a superseded version's personal fields this long after it was superseded.
RILO_FEED_PERSONAL_RETENTION_DAYS = env.int("RILO_FEED_PERSONAL_RETENTION_DAYS", default=30)
RILO_EXCHANGE_CONNECT_TIMEOUT = env.float("RILO_EXCHANGE_CONNECT_TIMEOUT", default=5.0)
RILO_EXCHANGE_READ_TIMEOUT = env.float("RILO_EXCHANGE_READ_TIMEOUT", default=15.0)
# A claimed delivery belongs to its worker this long; must exceed connect + read timeouts.
RILO_EXCHANGE_LEASE_SECONDS = env.float("RILO_EXCHANGE_LEASE_SECONDS", default=60.0)
# Retry schedule, kept in the database (next_attempt_at): base * factor**(n-1), capped, +/- jitter.
# Defaults: 30 s, 75 s, 3 min, ... 6 h; 12 attempts spread over about a day.
RILO_EXCHANGE_RETRY_BASE_SECONDS = env.float("RILO_EXCHANGE_RETRY_BASE_SECONDS", default=30.0)
RILO_EXCHANGE_RETRY_FACTOR = env.float("RILO_EXCHANGE_RETRY_FACTOR", default=2.5)
RILO_EXCHANGE_RETRY_MAX_SECONDS = env.float("RILO_EXCHANGE_RETRY_MAX_SECONDS", default=6 * 60 * 60.0)
RILO_EXCHANGE_RETRY_JITTER = env.float("RILO_EXCHANGE_RETRY_JITTER", default=0.2)
RILO_EXCHANGE_MAX_ATTEMPTS = env.int("RILO_EXCHANGE_MAX_ATTEMPTS", default=12)
# The sweeper (Celery beat) fans out pending events and hands due deliveries to workers.
RILO_EXCHANGE_SWEEP_SECONDS = env.float("RILO_EXCHANGE_SWEEP_SECONDS", default=2.0)
# How long the sweeper leaves a fresh event or a queued delivery to the worker it was handed to.
RILO_EXCHANGE_KICK_GRACE_SECONDS = env.float("RILO_EXCHANGE_KICK_GRACE_SECONDS", default=5.0)
# How long the worker that fans out an event goes on sending its messages itself before it hands
# the rest to other workers (so a slow partner does not hold up the others).
RILO_EXCHANGE_INLINE_SECONDS = env.float("RILO_EXCHANGE_INLINE_SECONDS", default=2.0)
RILO_EXCHANGE_BATCH = env.int("RILO_EXCHANGE_BATCH", default=20)
# Exports (apps.reports.exports): up to this many rows stream at once; a larger one becomes a background job.
RILO_EXPORT_ROW_LIMIT = env.int("RILO_EXPORT_ROW_LIMIT", default=20_000)
# Background jobs (apps.jobs): their files live here, outside any directory the web server serves.
RILO_JOBS_ROOT = Path(env("RILO_JOBS_ROOT", default=str(BASE_DIR / ".var" / "jobs")))
# A finished job's file is offered this long, then deleted (beat task jobs.purge_expired).
RILO_JOBS_FILE_HOURS = env.int("RILO_JOBS_FILE_HOURS", default=24)
# A running job records its progress (its heartbeat) every so many rows or seconds; one silent for longer than
# the timeout is marked failed by the sweep (its worker died) and its partial file deleted.
RILO_JOBS_PROGRESS_ROWS = env.int("RILO_JOBS_PROGRESS_ROWS", default=1000)
RILO_JOBS_PROGRESS_SECONDS = env.float("RILO_JOBS_PROGRESS_SECONDS", default=5.0)
RILO_JOBS_HEARTBEAT_TIMEOUT = env.float("RILO_JOBS_HEARTBEAT_TIMEOUT", default=120.0)
RILO_JOBS_SWEEP_SECONDS = env.float("RILO_JOBS_SWEEP_SECONDS", default=30.0)
# The sweep asks a worker again for a job still queued after this long (its first request may have been lost).
RILO_JOBS_KICK_GRACE_SECONDS = env.float("RILO_JOBS_KICK_GRACE_SECONDS", default=60.0)
# A job still queued this long after it was made is marked failed by the sweep, saying so (no worker takes it).
RILO_JOBS_QUEUED_HOURS = env.int("RILO_JOBS_QUEUED_HOURS", default=6)
# A job's page refreshes its progress itself for this long after it was opened, then offers a "Refresh" link
# (each refresh renews the session: an unattended page must not keep it signed in for ever).
RILO_JOBS_POLL_SECONDS = env.int("RILO_JOBS_POLL_SECONDS", default=15 * 60)
# The longest a job may run (a Celery hard time limit on the task).
RILO_JOBS_TIME_LIMIT = env.int("RILO_JOBS_TIME_LIMIT", default=60 * 60)
# A user may have this many jobs queued or running at once; asking for more is refused (409) until one ends.
RILO_JOBS_ACTIVE_PER_OWNER = env.int("RILO_JOBS_ACTIVE_PER_OWNER", default=3)
# A job's row (its parameters hold the filters as typed: possibly personal) is deleted this many days after it
# was started (beat task jobs.purge_expired).
RILO_JOBS_KEEP_DAYS = env.int("RILO_JOBS_KEEP_DAYS", default=30)
# Bulk uploads (apps.uploads): their files live here, outside any directory the web server serves.
RILO_UPLOADS_ROOT = Path(env("RILO_UPLOADS_ROOT", default=str(BASE_DIR / ".var" / "uploads")))
# An upload's stored file is kept this many days after it was sent, then deleted (beat task uploads.purge_expired);
# the upload's row, counts and problems stay listed.
RILO_UPLOADS_KEEP_DAYS = env.int("RILO_UPLOADS_KEEP_DAYS", default=30)
# An upload's commit writes its reports' rows without PostgreSQL's trigger per row and foreign key, then checks
# each key once per distinct value (apps/uploads/foreign_keys.py): needs a role that may set
# session_replication_role (a superuser, or GRANT SET ON PARAMETER session_replication_role); off, or without it,
# the triggers check the rows as any write.
RILO_UPLOADS_KEYS_CHECKED_ONCE = env.bool("RILO_UPLOADS_KEYS_CHECKED_ONCE", default=False)
# A worker on an upload records its progress (its heartbeat) every so many rows or seconds; one silent for longer
# than the timeout is taken over by the sweep: the check or the commit starts again from the stored file.
RILO_UPLOADS_PROGRESS_ROWS = env.int("RILO_UPLOADS_PROGRESS_ROWS", default=2000)
RILO_UPLOADS_PROGRESS_SECONDS = env.float("RILO_UPLOADS_PROGRESS_SECONDS", default=2.0)
RILO_UPLOADS_HEARTBEAT_TIMEOUT = env.float("RILO_UPLOADS_HEARTBEAT_TIMEOUT", default=120.0)
RILO_UPLOADS_SWEEP_SECONDS = env.float("RILO_UPLOADS_SWEEP_SECONDS", default=30.0)
# The sweep asks a worker again for an upload still waiting after this long (its first request may be lost).
RILO_UPLOADS_KICK_GRACE_SECONDS = env.float("RILO_UPLOADS_KICK_GRACE_SECONDS", default=60.0)
# A worker that took over an upload this many times without finishing it gives up (the upload fails, saying so).
RILO_UPLOADS_MAX_ATTEMPTS = env.int("RILO_UPLOADS_MAX_ATTEMPTS", default=3)
# The longest a check or a commit may run (a Celery hard time limit on the task).
RILO_UPLOADS_TIME_LIMIT = env.int("RILO_UPLOADS_TIME_LIMIT", default=30 * 60)
# A check of a stored file this large or larger (bytes) is shared with a helper process the worker forks, a core
# each (apps/uploads/helper.py), unless RILO_UPLOADS_CHECK_HELPER is off or the machine has one core.
RILO_UPLOADS_CHECK_HELPER = env.bool("RILO_UPLOADS_CHECK_HELPER", default=True)
RILO_UPLOADS_CHECK_HELPER_FROM = env.int("RILO_UPLOADS_CHECK_HELPER_FROM", default=2 * 1024 * 1024)
# How many reports the preview shows as they will be stored, and how many problems are kept at most.
RILO_UPLOADS_PREVIEW_REPORTS = env.int("RILO_UPLOADS_PREVIEW_REPORTS", default=20)
RILO_UPLOADS_MAX_PROBLEMS = env.int("RILO_UPLOADS_MAX_PROBLEMS", default=10_000)
# The dashboards (apps.dashboards): a panel counted from the reports themselves (filters the summary tables cannot
# answer) is cancelled after this many milliseconds; beat recomputes the summary buckets whose recompute was never
# kicked this often, and compares the summaries with the reports (the reconciliation) this often (seconds).
RILO_STATISTICS_BASE_TIMEOUT_MS = env.int("RILO_STATISTICS_BASE_TIMEOUT_MS", default=10_000)
RILO_STATISTICS_SWEEP_SECONDS = env.float("RILO_STATISTICS_SWEEP_SECONDS", default=30.0)
RILO_STATISTICS_RECONCILE_SECONDS = env.float("RILO_STATISTICS_RECONCILE_SECONDS", default=24 * 60 * 60.0)
# How many seizure months a full rebuild of the summaries (rebuild_statistics) recomputes at once, each on a
# database connection of its own.
RILO_STATISTICS_REBUILD_WORKERS = env.int("RILO_STATISTICS_REBUILD_WORKERS", default=2)
# Mail has its own queue: a slow or dead mail server never delays partner deliveries, nor a backlog of
# deliveries the mail (and each can be given its own workers).
# Background jobs (large exports) have their own queue too: an hour-long export never holds up mail or deliveries.
# Only the jobs themselves: the jobs' sweep and purge go to ``default`` (every worker consumes it), so a queue
# busy with hour-long exports never holds up the sweep that fails their dead workers' jobs.
CELERY_TASK_ROUTES = {
    "apps.exchange.tasks.*": {"queue": "exchange"},
    "mail.*": {"queue": "mail"},
    "jobs.run": {"queue": "jobs"},
    "uploads.check": {"queue": "uploads"},
    "uploads.commit": {"queue": "uploads"},
}
CELERY_BEAT_SCHEDULE = {
    # Buckets whose recompute was never kicked (a broker hiccup, a worker lost): the sweep does them.
    "dashboards-recompute-dirty": {
        "task": "dashboards.recompute_dirty",
        "schedule": RILO_STATISTICS_SWEEP_SECONDS,
        "options": {"expires": 2 * RILO_STATISTICS_SWEEP_SECONDS},
    },
    "dashboards-reconcile": {
        "task": "dashboards.reconcile",
        "schedule": RILO_STATISTICS_RECONCILE_SECONDS,
        "options": {"expires": min(60 * 60.0, RILO_STATISTICS_RECONCILE_SECONDS)},
    },
    "exchange-sweep": {
        "task": "apps.exchange.tasks.sweep",
        "schedule": RILO_EXCHANGE_SWEEP_SECONDS,
        "options": {"queue": "exchange", "expires": RILO_EXCHANGE_SWEEP_SECONDS * 2},
    },
    # Expired shares already grant nothing (restrict() compares expiry in SQL); this removes their rows.
    "reports-purge-expired-shares": {
        "task": "reports.purge_expired_shares",
        "schedule": 15 * 60,
        "options": {"expires": 15 * 60},
    },
    "exchange-scrub-superseded": {
        "task": "apps.exchange.tasks.scrub_superseded",
        "schedule": 60 * 60.0,
        "options": {"queue": "exchange", "expires": 30 * 60.0},
    },
    "core-purge-idempotency-records": {
        "task": "core.purge_idempotency_records",
        "schedule": 60 * 60.0,
        "options": {"expires": 30 * 60.0},
    },
    "mail-sweep": {
        "task": "mail.sweep",
        "schedule": RILO_MAIL_SWEEP_SECONDS,
        "options": {"expires": RILO_MAIL_SWEEP_SECONDS * 2},
    },
    "mail-purge-sent": {
        "task": "mail.purge_sent",
        "schedule": 6 * 60 * 60.0,
        "options": {"expires": 60 * 60.0},
    },
    "jobs-sweep": {
        "task": "jobs.sweep",
        "schedule": RILO_JOBS_SWEEP_SECONDS,
        "options": {"queue": "default", "expires": RILO_JOBS_SWEEP_SECONDS * 2},
    },
    "jobs-purge-expired": {
        "task": "jobs.purge_expired",
        "schedule": 15 * 60.0,
        "options": {"queue": "default", "expires": 15 * 60.0},
    },
    "uploads-sweep": {
        "task": "uploads.sweep",
        "schedule": RILO_UPLOADS_SWEEP_SECONDS,
        "options": {"queue": "default", "expires": RILO_UPLOADS_SWEEP_SECONDS * 2},
    },
    "uploads-purge-expired": {
        "task": "uploads.purge_expired",
        "schedule": 60 * 60.0,
        "options": {"queue": "default", "expires": 30 * 60.0},
    },
    "autosave-purge-form-drafts": {
        "task": "autosave.purge_form_drafts",
        "schedule": 6 * 60 * 60.0,
        "options": {"expires": 60 * 60.0},
    },
}
# Without a reachable broker, publishing (e.g. the low-latency kick after an approval) gives up
# quickly instead of hanging; the sweeper catches up once the broker is back.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": env.float("RILO_BROKER_CONNECT_TIMEOUT", default=3.0)}
