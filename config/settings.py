"""Settings, read from the environment (see `.env.example` and the README's settings table).

With no variable set at all this runs the embedded default: SQLite, local-memory cache, eager
Celery, console email and local media files, with DEBUG on. Production sets DEBUG=false and the
URLs of PostgreSQL, Redis, SMTP and Cloudinary.
"""

import hashlib
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

# Each app's periodic tasks and dashboard panels, as plain data (no Django needed to read them).
from catalog import panels as catalog_panels
from catalog import schedule as catalog_schedule
from customers import schedule as customers_schedule
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

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
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
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, Redis ---------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "pos",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- auth and security ----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Keys that encrypt secrets stored in the database (merchants' gateway keys). The first key
# encrypts; every key decrypts, so keys can be rotated. Defaults to one derived from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

# How many failed staff logins per username and address before the token endpoint says 429.
STAFF_LOGIN_MAX_FAILURES = env.int("STAFF_LOGIN_MAX_FAILURES", default=5)
STAFF_LOGIN_LOCKOUT_SECONDS = env.int("STAFF_LOGIN_LOCKOUT_SECONDS", default=900)

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
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
)

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
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "merchants.api.authentication.StaffTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "merchants.api.pagination.StandardPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="120/min"),
        "user": env.str("THROTTLE_USER", default="1200/min"),
        "staff_login": env.str("THROTTLE_STAFF_LOGIN", default="30/min"),
    },
    # Behind one reverse proxy: trust exactly one X-Forwarded-For hop.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0) or None,
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

# --- logging --------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}

# Periodic tasks installed once into django-celery-beat (editable in the admin afterwards),
# each app's from its schedule.py (see merchants/signals.py):
# name -> {"task": dotted path, "every_seconds": N} or {"task": ..., "crontab": (minute, hour)}
BEAT_SCHEDULE_DEFAULTS: dict[str, dict] = {
    name: dict(entry)
    for schedule in (
        catalog_schedule,
        customers_schedule,
        orders_schedule,
        payments_schedule,
        photobox_schedule,
    )
    for name, entry in schedule.BEAT_SCHEDULE.items()
}

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

# --- customers -------------------------------------------------------------------------------
# Shop whose customers sign in when a login request names no `merchant` (a slug); empty = required.
DEFAULT_MERCHANT = env.str("DEFAULT_MERCHANT", default="")
# Customer JWTs are signed with their own key, never SECRET_KEY, so either can be rotated alone.
CUSTOMER_JWT_SECRET = env.str("CUSTOMER_JWT_SECRET", default="")
if not CUSTOMER_JWT_SECRET:
    if not DEBUG:
        raise ImproperlyConfigured("CUSTOMER_JWT_SECRET must be set when DEBUG is off.")
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
XENDIT_API_BASE_URL = env.str("XENDIT_API_BASE_URL", default="https://api.xendit.co").rstrip("/")
# The webhook verification token from Xendit's dashboard; empty rejects every callback.
XENDIT_CALLBACK_TOKEN = env.str("XENDIT_CALLBACK_TOKEN", default="")
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
# Optional AES-256-CBC encryption of the kiosk poll and gallery JSON (see the README).
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
