"""Settings, read from the environment (see `.env.example` and docs/settings.md).

With no variable set at all this runs the embedded default: SQLite, local-memory cache, eager
Celery, console email and local media files, with DEBUG on. Production sets DEBUG=false and the
URLs of PostgreSQL, Redis, SMTP and a media store (Cloudinary or S3), and the secrets; without
any of them it refuses to start, naming each (docs/operations.md, "Production settings").

Longer than 500 lines on purpose: Django reads one settings module, and reading every variable
here, in sections, with the comment that says what it does, keeps the environment's whole
surface in one file that `.env.example` mirrors (config/tests/test_env_example.py).
"""

import hashlib
import os
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

# Each app's periodic tasks and dashboard panels, as plain data (no Django needed to read them).
from catalog import panels as catalog_panels
from catalog import schedule as catalog_schedule
from customers import schedule as customers_schedule
from merchants import schedule as merchants_schedule
from orders import panels as orders_panels
from orders import schedule as orders_schedule
from payments import panels as payments_panels
from payments import schedule as payments_schedule
from photobox import panels as photobox_panels
from photobox import schedule as photobox_schedule

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A `.env` file is a convenience for developers; real deployments set real variables.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
# DEBUG off is production: there every service must be named, or the product would run quietly
# on SQLite, local memory, a console mailer and local files and still report healthy. A trial
# run (or the bench) says ALLOW_EMBEDDED_DEFAULTS=true to accept those; secrets stay required.
ALLOW_EMBEDDED_DEFAULTS = env.bool("ALLOW_EMBEDDED_DEFAULTS", default=False)
if not DEBUG:
    from config.production import missing_production_settings

    _missing = missing_production_settings(os.environ, embedded=ALLOW_EMBEDDED_DEFAULTS)
    if _missing:
        raise ImproperlyConfigured(
            "DEBUG is off, and these settings are missing: "
            + ", ".join(_missing)
            + ". Set them (docs/operations.md lists the production settings)"
            + (
                "."
                if ALLOW_EMBEDDED_DEFAULTS
                else ", or set ALLOW_EMBEDDED_DEFAULTS=true to run "
                "on SQLite, local memory, console email and local media files."
            )
        )

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    SECRET_KEY = "insecure-development-key-only-for-the-embedded-default"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The customer front end: magic links and payment returns point here.
APP_URL = env.str("APP_URL", default="http://127.0.0.1:8000").rstrip("/")
# Where this back-office itself is reachable from outside (links in emails to our own pages).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "merchants.apps.PosAdminConfig",  # django.contrib.admin with the product's admin site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "corsheaders",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "import_export",
    # ours
    "merchants",
    "catalog",
    "customers",
    "orders",
    "payments",
    "photobox",
]

MIDDLEWARE = [
    # First: its request id and timing cover everything below (see merchants/observability).
    "merchants.observability.middleware.RequestObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's Accept-Language (or the language cookie) picks English or Indonesian...
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # ...unless the signed-in staff member chose one in their profile.
    "merchants.i18n.StaffLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "merchants.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "merchants.csp.context_processor",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several request threads share the file: wait for a lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# Behind PgBouncer in transaction mode (or another pooler that hands each transaction to any
# server connection): no server-side cursors, which live across transactions. Django already
# leaves psycopg's prepared statements off. Run `migrate` against PostgreSQL itself.
DATABASE_TRANSACTION_POOLING = env.bool("DATABASE_TRANSACTION_POOLING", default=False)
if DATABASE_TRANSACTION_POOLING:
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, Redis ---------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Redis seconds to connect and to answer before a call counts as failed.
CACHE_REDIS_TIMEOUT_SECONDS = env.float("CACHE_REDIS_TIMEOUT_SECONDS", default=1.0)
if REDIS_URL:
    CACHES = {
        "default": {
            # Answers like a miss while Redis is unreachable (see merchants/cache.py).
            "BACKEND": "merchants.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="pos"),
            "OPTIONS": {
                "socket_connect_timeout": CACHE_REDIS_TIMEOUT_SECONDS,
                "socket_timeout": CACHE_REDIS_TIMEOUT_SECONDS,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# After a failed cache call a process leaves Redis alone this many seconds (answers as a miss).
CACHE_RETRY_SECONDS = env.float("CACHE_RETRY_SECONDS", default=5.0)
# While Redis is down, one warning per cache operation per process this often, not per request.
CACHE_DOWN_LOG_SECONDS = env.float("CACHE_DOWN_LOG_SECONDS", default=60.0)

# --- auth and security ----------------------------------------------------------------------
# A staff token's user, memberships and merchants are remembered in each web process this long,
# checked at every request against the token's version in the cache (0: read them every time).
STAFF_AUTH_LOCAL_SECONDS = env.int("STAFF_AUTH_LOCAL_SECONDS", default=30)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# Django's ModelBackend, refusing a locked-out login before the password is checked
# (merchants/login_guard.py).
AUTHENTICATION_BACKENDS = ["merchants.login_guard.LockoutModelBackend"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Served over HTTPS only (SECURE_SSL=true): plain HTTP redirects to HTTPS, browsers are told to
# use HTTPS for SECURE_HSTS_SECONDS (a year), cookies are sent on HTTPS only. Off by default so
# the embedded default and a plain-HTTP trial work; each part can be set on its own too.
SECURE_SSL = env.bool("SECURE_SSL", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SECURE_SSL)
# Probes from inside the network (container healthchecks, Prometheus) speak plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if SECURE_SSL else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if SECURE_SSL:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
# Content-Security-Policy of every response (merchants/csp.py, shaped as Django 6's setting).
# Scripts only from here or inline with this response's nonce; styles may be inline (the admin
# and Chart.js set some); images also from https: (Cloudinary, S3); nothing may frame our pages.
_SELF, _NONCE = "'self'", "<CSP_NONCE_SENTINEL>"
_CSP_POLICY = {
    "default-src": [_SELF],
    "script-src": [
        _SELF,
        _NONCE,
        # The one inline handler of django-import-export's export page (select all fields).
        "'unsafe-hashes'",
        "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='",
    ],
    "style-src": [_SELF, "'unsafe-inline'"],
    "img-src": [_SELF, "data:", "blob:", "https:"],
    "font-src": [_SELF, "data:"],
    "connect-src": [_SELF],
    "worker-src": [_SELF, "blob:"],
    "object-src": ["'none'"],
    "base-uri": [_SELF],
    # The magic-link page's form hands the customer to the front end (APP_URL).
    "form-action": [_SELF, "{0.scheme}://{0.netloc}".format(urlsplit(APP_URL))],
    "frame-ancestors": ["'none'"],
}
# As Django 6 reads them: each setting is a policy (a dict, empty for none).
# SECURE_CSP_REPORT_ONLY=true sends it as Content-Security-Policy-Report-Only, to try it out.
_CSP_REPORT_ONLY = env.bool("SECURE_CSP_REPORT_ONLY", default=False)
SECURE_CSP = {} if _CSP_REPORT_ONLY else _CSP_POLICY
SECURE_CSP_REPORT_ONLY = _CSP_POLICY if _CSP_REPORT_ONLY else {}

# Earlier SECRET_KEYs, still accepted for signatures (and, without FIELD_ENCRYPTION_KEYS, for
# decrypting what they encrypted) while sessions and secrets move to the new one.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
# Fernet keys that encrypt secrets stored in the database (merchants' gateway keys). The first
# encrypts; every key decrypts; `manage.py rotate_field_keys` re-encrypts with the first.
# Required with DEBUG off (config/production.py); unset, keys derive from SECRET_KEY and
# SECRET_KEY_FALLBACKS (merchants/crypto.py), for development and ALLOW_EMBEDDED_DEFAULTS trials.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])


# JSON bodies nested deeper than this (arrays and objects) are a 400 anywhere in the API.
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=32)

# Failed staff logins (API token, /admin/login/, the browsable API's login) per username and
# address, and per address alone, before a lock-out of STAFF_LOGIN_LOCKOUT_SECONDS.
STAFF_LOGIN_MAX_FAILURES = env.int("STAFF_LOGIN_MAX_FAILURES", default=5)
STAFF_LOGIN_MAX_FAILURES_PER_ADDRESS = env.int("STAFF_LOGIN_MAX_FAILURES_PER_ADDRESS", default=20)
STAFF_LOGIN_LOCKOUT_SECONDS = env.int("STAFF_LOGIN_LOCKOUT_SECONDS", default=900)
# Staff API tokens lapse after this many hours unused (each use, counted once a minute, renews).
STAFF_TOKEN_TTL_HOURS = env.int("STAFF_TOKEN_TTL_HOURS", default=12)

# --- i18n -----------------------------------------------------------------------------------
# English is the default; Indonesian is shipped complete in locale/id (see docs/i18n.md).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("id", "Bahasa Indonesia")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Jakarta")
USE_I18N = True
USE_TZ = True

# --- static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))

# Media: Cloudinary when CLOUDINARY_URL is set (cloudinary://key:secret@cloud), else an
# S3-compatible bucket when AWS_STORAGE_BUCKET_NAME is set (S3, MinIO via AWS_S3_ENDPOINT_URL),
# else local files under MEDIA_ROOT. The code only ever talks to Django's storage API.
CLOUDINARY_URL = env.str("CLOUDINARY_URL", default="")
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if CLOUDINARY_URL:
    DEFAULT_STORAGE = {"BACKEND": "merchants.storage.CloudinaryStorage"}
elif AWS_STORAGE_BUCKET_NAME:
    DEFAULT_STORAGE = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="") or None
    AWS_S3_CUSTOM_DOMAIN = env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None
    AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="") or None
    AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="") or None
    AWS_QUERYSTRING_AUTH = env.bool("AWS_QUERYSTRING_AUTH", default=False)
    AWS_DEFAULT_ACL = env.str("AWS_DEFAULT_ACL", default="") or None
    AWS_S3_FILE_OVERWRITE = False
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
# Uploaded images with more pixels than this are refused before they are decoded.
IMAGE_MAX_PIXELS = env.int("IMAGE_MAX_PIXELS", default=40_000_000)
STORAGES = {
    "default": DEFAULT_STORAGE,
    # Background CSV exports; Cloudinary keeps such files as "raw" resources, not images.
    "exports": (
        {"BACKEND": "merchants.storage.CloudinaryStorage", "OPTIONS": {"resource_type": "raw"}}
        if CLOUDINARY_URL
        else DEFAULT_STORAGE
    ),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- email ----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="POS Back-office <no-reply@localhost>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)

# --- CORS (the customer front end calls the API from the browser) ---------------------------
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "origin",
    "user-agent",
    "x-csrftoken",
    "x-requested-with",
    "idempotency-key",
    "x-merchant",
    "x-kiosk-key",
    "x-request-id",
)
# Browsers may read the request id of an answer (to quote it to support).
CORS_EXPOSE_HEADERS = ["X-Request-ID"]

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
# Without a broker the tasks run in-process, and their errors surface instead of vanishing.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# django-celery-beat's database scheduler, writing a heartbeat that /health/ reads.
CELERY_BEAT_SCHEDULER = "merchants.beat:HeartbeatScheduler"
# Workers log through LOGGING below (JSON in production), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# /health/: how long a worker has to answer the ping, and how old beat's heartbeat may be.
HEALTH_WORKER_PING_TIMEOUT = env.float("HEALTH_WORKER_PING_TIMEOUT", default=1.0)
BEAT_HEARTBEAT_MAX_AGE_SECONDS = env.int("BEAT_HEARTBEAT_MAX_AGE_SECONDS", default=60)

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "merchants.api.authentication.StaffTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "merchants.api.renderers.ActionFormsBrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "merchants.api.pagination.StandardPagination",
    "DEFAULT_PARSER_CLASSES": [
        "merchants.api.parsers.BoundedJSONParser",
        "merchants.api.parsers.BoundedFormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 100,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        # DRF's, counted in one cache round trip (merchants/throttling.py).
        "merchants.throttling.AnonRateThrottle",
        "merchants.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="120/min"),
        "user": env.str("THROTTLE_USER", default="1200/min"),
        "staff_login": env.str("THROTTLE_STAFF_LOGIN", default="30/min"),
    },
    # Reverse proxies in front of us. 0: the address is REMOTE_ADDR and X-Forwarded-For (which
    # any client can write) is ignored; N: the N-th address from the right of it, our proxy's.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "merchants.api.exceptions.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "POS Back-office API",
    "DESCRIPTION": (
        "Staff API for merchants (token or session auth; the `X-Merchant` header picks one), "
        "customer endpoints (customer JWT) and kiosk endpoints (`X-Kiosk-Key`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.Order.Status",
        "OrderPaymentStatusEnum": "orders.models.Order.PaymentStatus",
        "PaymentStatusEnum": "payments.models.Payment.Status",
        "StaffDiscountKindEnum": "orders.models.Order.DiscountKind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "merchants.api.schema.add_error_responses",
    ],
}

# --- logging, metrics, error reports (docs/operations.md) ------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
# json: one JSON object per line (production); plain: a readable line (development).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "merchants.observability.logs.RequestIdFilter"},
        "no_403_traceback": {"()": "merchants.observability.logs.ClientErrorTracebackFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "merchants.observability.logs.JsonFormatter"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["no_403_traceback"]},
    },
}
# /metrics answers `Authorization: Bearer <METRICS_TOKEN>`, or clients in these networks
# (comma-separated, e.g. 10.0.0.0/8); with neither it answers nobody.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
# A Celery worker serves its own metrics (task runs) on this port when set; 0: off.
CELERY_METRICS_PORT = env.int("CELERY_METRICS_PORT", default=0)
CELERY_METRICS_ADDRESS = env.str("CELERY_METRICS_ADDRESS", default="0.0.0.0")  # noqa: S104
# Error reports to Sentry, only when a DSN is set (never with personal data).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_DSN:
    from merchants.observability.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )

# Periodic tasks installed once into django-celery-beat (editable in the admin afterwards),
# each app's from its schedule.py (see merchants/signals.py):
# name -> {"task": dotted path, "every_seconds": N} or {"task": ..., "crontab": (minute, hour)}
BEAT_SCHEDULE_DEFAULTS: dict[str, dict] = {
    name: dict(entry)
    for schedule in (
        catalog_schedule,
        customers_schedule,
        merchants_schedule,
        orders_schedule,
        payments_schedule,
        photobox_schedule,
    )
    for name, entry in schedule.BEAT_SCHEDULE.items()
}

# --- the outbox: tasks the broker could not take after their commit (merchants/outbox.py) ---
# After a failed publish, a process stores tasks straight in the outbox this many seconds.
OUTBOX_BROKER_RETRY_SECONDS = env.float("OUTBOX_BROKER_RETRY_SECONDS", default=5.0)
# Rows sent per sweep transaction, and days a sent row is kept (visible in the admin).
OUTBOX_SWEEP_BATCH_SIZE = env.int("OUTBOX_SWEEP_BATCH_SIZE", default=500)
OUTBOX_KEEP_SENT_DAYS = env.int("OUTBOX_KEEP_SENT_DAYS", default=7)
# How often, in seconds, the beat sweep sends what waits in the outbox.
BEAT_SCHEDULE_DEFAULTS[merchants_schedule.OUTBOX_SWEEP]["every_seconds"] = env.int(
    "OUTBOX_SWEEP_EVERY_SECONDS", default=30
)

# Panels of the admin dashboard, each app's from its panels.py (see merchants/reports.py):
# name, title, selector "(*, merchant, now) -> PanelData", type, role.
DASHBOARD_PANELS: list[dict] = [
    *catalog_panels.DASHBOARD_PANELS,
    *orders_panels.DASHBOARD_PANELS,
    *payments_panels.DASHBOARD_PANELS,
    *photobox_panels.DASHBOARD_PANELS,
]
# Links on the dashboard: {"title", "url_name" (an admin URL), "role"}.
DASHBOARD_LINKS: list[dict] = [*orders_panels.DASHBOARD_LINKS]
# Merchants of these business types see only the panels and links naming their type.
DASHBOARD_DEDICATED_BUSINESS_TYPES: list[str] = [*photobox_panels.DEDICATED_BUSINESS_TYPES]
# Admin CSV exports read this many rows per database round trip (memory stays bounded).
EXPORT_CHUNK_SIZE = env.int("EXPORT_CHUNK_SIZE", default=2000)
# An export of more rows than this is written by a Celery task (the admin shows its progress,
# the requester downloads the file when ready) instead of streaming while a web worker waits.
EXPORT_SYNC_MAX_ROWS = env.int("EXPORT_SYNC_MAX_ROWS", default=5000)
# A background export records how many rows it has written every this many rows.
EXPORT_PROGRESS_EVERY = env.int("EXPORT_PROGRESS_EVERY", default=1000)

# An emailed staff invitation can be accepted for this many hours.
STAFF_INVITATION_TTL_HOURS = env.int("STAFF_INVITATION_TTL_HOURS", default=72)

# Pages for trying the customer flows in a browser (/demo/...); on with DEBUG by default.
DEMO_PAGES_ENABLED = env.bool("DEMO_PAGES_ENABLED", default=DEBUG)

# --- catalog ---------------------------------------------------------------------------------
CATALOG_THUMBNAIL_MAX_BYTES = env.int("CATALOG_THUMBNAIL_MAX_BYTES", default=5 * 1024 * 1024)
CATALOG_DETAIL_IMAGE_MAX_BYTES = env.int("CATALOG_DETAIL_IMAGE_MAX_BYTES", default=10 * 1024 * 1024)
CATALOG_MAX_DETAIL_IMAGES = env.int("CATALOG_MAX_DETAIL_IMAGES", default=3)
# The public menu (no login) is throttled per client address.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["public_menu"] = env.str(
    "THROTTLE_PUBLIC_MENU", default="300/min"
)
# The public menu's answers are cached this long at most (less before a promotion starts or
# ends); every catalog change invalidates them at once (catalog/menu_cache.py).
PUBLIC_MENU_CACHE_SECONDS = env.int("PUBLIC_MENU_CACHE_SECONDS", default=300)
# The staff product list's answers are cached this long at most, per merchant and URL; every
# catalog change and every stock movement invalidates them at once. 0 turns the cache off.
PRODUCT_LIST_CACHE_SECONDS = env.int("PRODUCT_LIST_CACHE_SECONDS", default=300)
# A shop's slug -> id is remembered in each web process this long (a hint: checked by version).
PUBLIC_MENU_SLUG_LOCAL_SECONDS = env.int("PUBLIC_MENU_SLUG_LOCAL_SECONDS", default=60)

# --- customers -------------------------------------------------------------------------------
# Shop whose customers sign in when a login request names no `merchant` (a slug); empty = required.
DEFAULT_MERCHANT = env.str("DEFAULT_MERCHANT", default="")
# Customer JWTs are signed with their own key, never SECRET_KEY, so either can be rotated alone.
CUSTOMER_JWT_SECRET = env.str("CUSTOMER_JWT_SECRET", default="")
if not CUSTOMER_JWT_SECRET:  # only with DEBUG on: production requires it (see the top)
    CUSTOMER_JWT_SECRET = hashlib.sha256(f"customer-jwt:{SECRET_KEY}".encode()).hexdigest()
CUSTOMER_JWT_ISSUER = env.str("CUSTOMER_JWT_ISSUER", default="pos-backoffice")
CUSTOMER_JWT_TTL_SECONDS = env.int("CUSTOMER_JWT_TTL_SECONDS", default=7 * 24 * 3600)
MAGIC_LINK_TTL_SECONDS = env.int("MAGIC_LINK_TTL_SECONDS", default=900)
OTP_LENGTH = env.int("OTP_LENGTH", default=6)
OTP_TTL_SECONDS = env.int("OTP_TTL_SECONDS", default=300)
OTP_MAX_ATTEMPTS = env.int("OTP_MAX_ATTEMPTS", default=5)
# Per merchant and email (and per kind: link or code): wait between two sends, cap per hour.
OTP_RESEND_COOLDOWN_SECONDS = env.int("OTP_RESEND_COOLDOWN_SECONDS", default=60)
OTP_HOURLY_CAP = env.int("OTP_HOURLY_CAP", default=5)
# Throttles of the login endpoints (DRF rates), in the cache: Redis when REDIS_URL is set.
CUSTOMER_AUTH_THROTTLE_IP = env.str("CUSTOMER_AUTH_THROTTLE_IP", default="30/min")
CUSTOMER_AUTH_THROTTLE_EMAIL = env.str("CUSTOMER_AUTH_THROTTLE_EMAIL", default="20/hour")
# Every endpoint called with a customer token, per customer.
CUSTOMER_THROTTLE = env.str("CUSTOMER_THROTTLE", default="600/min")

# --- orders ----------------------------------------------------------------------------------
# Pending orders still unpaid after this many minutes are cancelled and their stock released.
ORDER_PAYMENT_TIMEOUT_MINUTES = env.int("ORDER_PAYMENT_TIMEOUT_MINUTES", default=60)
# A request holding an Idempotency-Key counts as crashed (key reusable) after this long.
IDEMPOTENCY_LOCK_SECONDS = env.int("IDEMPOTENCY_LOCK_SECONDS", default=60)
# Stored answers to Idempotency-Keys are kept this long.
IDEMPOTENCY_TTL_HOURS = env.int("IDEMPOTENCY_TTL_HOURS", default=24)
# The longest range one sales report covers, in days.
REPORT_MAX_DAYS = env.int("REPORT_MAX_DAYS", default=366)

# --- payments --------------------------------------------------------------------------------
# Midtrans keys and the production flag are per merchant (admin). Empty base URLs mean the
# library's sandbox/production hosts; set them to point every merchant at a simulator.
MIDTRANS_SNAP_BASE_URL = env.str("MIDTRANS_SNAP_BASE_URL", default="").rstrip("/")
MIDTRANS_API_BASE_URL = env.str("MIDTRANS_API_BASE_URL", default="").rstrip("/")
# Every gateway call gives up after this many seconds (Midtrans waits 15 s for our webhook).
PAYMENT_GATEWAY_TIMEOUT_SECONDS = env.float("PAYMENT_GATEWAY_TIMEOUT_SECONDS", default=8.0)
# Gateway calls of one merchant in flight at once, across every process (counted in Redis); one
# more waits this long for a slot, then answers 503 "gateway busy" with Retry-After. 0: no limit.
PAYMENT_GATEWAY_MAX_CONCURRENT_PER_MERCHANT = env.int(
    "PAYMENT_GATEWAY_MAX_CONCURRENT_PER_MERCHANT", default=4
)
PAYMENT_GATEWAY_ACQUIRE_TIMEOUT_SECONDS = env.float(
    "PAYMENT_GATEWAY_ACQUIRE_TIMEOUT_SECONDS", default=1.0
)
XENDIT_API_BASE_URL = env.str("XENDIT_API_BASE_URL", default="https://api.xendit.co").rstrip("/")
# The webhook verification token from Xendit's dashboard; empty rejects every callback.
XENDIT_CALLBACK_TOKEN = env.str("XENDIT_CALLBACK_TOKEN", default="")
# Gateway notifications larger than this are refused (413) and nothing of them is stored.
WEBHOOK_MAX_BYTES = env.int("WEBHOOK_MAX_BYTES", default=64 * 1024)
# Rejected notifications (unknown payment, bad signature or token) per client address; past
# this rate the address gets 429s. Verified notifications are never throttled.
THROTTLE_WEBHOOK_REJECTED = env.str("THROTTLE_WEBHOOK_REJECTED", default="30/min")
# Pending gateway payments older than this are asked about by the reconciliation task.
PAYMENT_RECONCILE_AFTER_SECONDS = env.int("PAYMENT_RECONCILE_AFTER_SECONDS", default=300)
PAYMENT_SNAP_EXPIRY_MINUTES = env.int("PAYMENT_SNAP_EXPIRY_MINUTES", default=60)
# How long a QRIS code for an order (a tender by a Midtrans or Xendit QRIS method) can be paid.
ORDER_QRIS_EXPIRY_MINUTES = env.int("ORDER_QRIS_EXPIRY_MINUTES", default=15)
# How often, in seconds, the reconciliation task asks the gateways about pending payments.
BEAT_SCHEDULE_DEFAULTS[payments_schedule.RECONCILE]["every_seconds"] = env.int(
    "PAYMENT_RECONCILE_EVERY_SECONDS", default=180
)

# --- photobox --------------------------------------------------------------------------------
# Gallery links in photo emails point here: {GALLERY_BASE_URL}/gallery/{token}/.
GALLERY_BASE_URL = env.str("GALLERY_BASE_URL", default=SITE_URL).rstrip("/")
# How long a kiosk's QRIS code (and so its session) can be paid.
PHOTOBOX_QRIS_EXPIRY_MINUTES = env.int("PHOTOBOX_QRIS_EXPIRY_MINUTES", default=15)
# Photos stay online this many days after the gallery email, then the daily cleanup deletes them.
PHOTOBOX_PHOTO_RETENTION_DAYS = env.int("PHOTOBOX_PHOTO_RETENTION_DAYS", default=14)
PHOTOBOX_PHOTO_MAX_BYTES = env.int("PHOTOBOX_PHOTO_MAX_BYTES", default=10 * 1024 * 1024)
PHOTOBOX_MAX_PHOTOS_PER_SESSION = env.int("PHOTOBOX_MAX_PHOTOS_PER_SESSION", default=50)
# A kiosk key's lookup is cached this long (rotation and deactivation clear it at once).
PHOTOBOX_KIOSK_KEY_CACHE_SECONDS = env.int("PHOTOBOX_KIOSK_KEY_CACHE_SECONDS", default=60)
# The poll alone also remembers a key in each process this long (at most the above); a rotation
# reaches the poll of other processes within it, sales and uploads at once. 0: off.
PHOTOBOX_POLL_KEY_LOCAL_SECONDS = env.int("PHOTOBOX_POLL_KEY_LOCAL_SECONDS", default=10)
# Session creation and photo uploads per kiosk (the status poll is not throttled).
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["kiosk"] = env.str("THROTTLE_KIOSK", default="60/min")
# X-Maintenance-Token for POST /api/v1/photobox/maintenance/cleanup; empty: the endpoint refuses.
MAINTENANCE_TOKEN = env.str("MAINTENANCE_TOKEN", default="")
# Optional AES-256-CBC encryption of the kiosk poll and gallery JSON (docs/photobox.md).
ENCRYPTION_ENABLED = env.bool("ENCRYPTION_ENABLED", default=False)
ENCRYPTION_KEY = env.str("ENCRYPTION_KEY", default="")
# A fixed IV (16 characters) gives the older {"data": ...} form; empty: a fresh IV per answer.
ENCRYPTION_IV = env.str("ENCRYPTION_IV", default="")
if ENCRYPTION_ENABLED and len(ENCRYPTION_KEY.encode()) != 32:
    raise ImproperlyConfigured("ENCRYPTION_KEY must be exactly 32 characters (AES-256).")
if ENCRYPTION_IV and len(ENCRYPTION_IV.encode()) != 16:
    raise ImproperlyConfigured("ENCRYPTION_IV must be exactly 16 characters (or empty).")
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["PhotoSessionStatusEnum"] = (
    "photobox.models.PhotoSession.Status"
)
