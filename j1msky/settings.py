"""J1MSKY settings, read from the environment (every variable is listed in `.env.example`).

With nothing set, J1MSKY runs on the embedded default: SQLite (WAL) for the database, files for
the cache, and Celery on kombu's `filesystem://` transport, all under `J1MSKY_DATA_DIR`. With
`DATABASE_URL` and `REDIS_URL` it scales out on PostgreSQL and Redis.
"""

import secrets
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# --- Where the embedded default keeps its files -------------------------------------------------

DATA_DIR = Path(env("J1MSKY_DATA_DIR", default=str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

# --- Environment, secret key, debug -------------------------------------------------------------

J1MSKY_ENVIRONMENT = env("J1MSKY_ENVIRONMENT", default="dev")
if J1MSKY_ENVIRONMENT not in {"dev", "staging", "live"}:
    raise ImproperlyConfigured("J1MSKY_ENVIRONMENT must be one of dev, staging, live")


def _dev_secret_key() -> str:
    """Outside dev the key must come from the environment; in dev it is generated once."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if J1MSKY_ENVIRONMENT != "dev":
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required outside the dev environment")
    SECRET_KEY = _dev_secret_key()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["*"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "j1msky.api.errors.csrf_failure"

# --- Hardening (docs/operations.md, "Going live") ------------------------------------------
# `live` serves real keys and money: it refuses to start with debug pages, a wildcard host or a
# weak secret key, and turns on secure cookies, HTTPS redirects and HSTS. Staging and dev may opt
# in variable by variable.
LIVE = J1MSKY_ENVIRONMENT == "live"
if LIVE:
    if DEBUG:
        raise ImproperlyConfigured("DJANGO_DEBUG must be false in the live environment")
    if not env("DJANGO_ALLOWED_HOSTS", default="") or "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "DJANGO_ALLOWED_HOSTS must name the live host names (no wildcard) in live"
        )
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be at least 50 random characters in live"
        )
SESSION_COOKIE_SECURE = env.bool("J1MSKY_SECURE_COOKIES", default=LIVE)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("J1MSKY_SSL_REDIRECT", default=LIVE)
# Health probes and scrapes from inside the host network keep working over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^api/(v1/)?health$", r"^api/(v1/)?metrics$"]
SECURE_HSTS_SECONDS = env.int("J1MSKY_HSTS_SECONDS", default=31_536_000 if LIVE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("J1MSKY_HSTS_INCLUDE_SUBDOMAINS", default=LIVE)
SECURE_HSTS_PRELOAD = env.bool("J1MSKY_HSTS_PRELOAD", default=False)
if env.bool("J1MSKY_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# --- Applications -------------------------------------------------------------------------------

INSTALLED_APPS = [
    "security.admin_apps.J1mskyAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "j1msky",
    "security",
    "billing",
    "agents",
    "pricing",
    "orchestrator",
    "webhooks",
]

MIDDLEWARE = [
    "orchestrator.middleware.RequestCountMiddleware",  # outermost: counts every answer
    "j1msky.api.middleware.RequestIdMiddleware",
    "j1msky.api.middleware.NulGuardMiddleware",
    "j1msky.api.middleware.BodySizeMiddleware",
    "security.middleware.IpGuardMiddleware",
    "security.middleware.AuditRequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "j1msky.urls"
WSGI_APPLICATION = "j1msky.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- Database -----------------------------------------------------------------------------------

DATABASE_URL = env("DATABASE_URL", default="")
if DATABASE_URL:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("J1MSKY_DB_CONN_MAX_AGE", default=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("J1MSKY_SQLITE_PATH", default=str(DATA_DIR / "j1msky.sqlite3")),
            "OPTIONS": {
                # Writers queue for the lock instead of failing at once, and every write
                # transaction takes the lock up front (no deadlocking upgrades from read locks).
                "timeout": env.int("J1MSKY_SQLITE_BUSY_TIMEOUT", default=30),
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;PRAGMA busy_timeout=30000"
                ),
            },
            "TEST": {"NAME": str(DATA_DIR / "test_j1msky.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Broker, cache ------------------------------------------------------------------------------

REDIS_URL = env("REDIS_URL", default="")
BROKER_DIR = DATA_DIR / "broker"

if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 4 * 3600}
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
            "KEY_PREFIX": "j1msky",
        }
    }
else:
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://localhost//"  # a host named, so kombu warns of none
    CELERY_BROKER_TRANSPORT = "j1msky.broker:Transport"  # messages appear whole
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # How often an idle worker looks for new messages: the pickup delay of a run is up to
        # this long (see docs/operations.md for the trade-off with idle CPU on a small board).
        "polling_interval": env.float("J1MSKY_BROKER_POLL_SECONDS", default=0.1),
    }
    # Files, not a table: `migrate` alone leaves a working cache, shared by every process of
    # the one machine the embedded default runs on.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

# --- Celery -------------------------------------------------------------------------------------

CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True  # job state lives in our tables
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's consumer, minus the 2 s stall after each task on the polled filesystem broker.
CELERY_WORKER_CONSUMER = "j1msky.celery:Consumer"
CELERY_TASK_ALWAYS_EAGER = env.bool("J1MSKY_CELERY_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SOFT_TIME_LIMIT = 3700
CELERY_TASK_TIME_LIMIT = 3800
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {
    "agents-reaper": {
        "task": "agents.tasks.reap_lost_runs",
        "schedule": 60.0,
    },
    "reservation-reaper": {
        # Billing's reaper, run by the agents app: it knows which holders still wait or run.
        "task": "agents.tasks.reap_reservations",
        "schedule": 60.0,
    },
    "idempotency-purge": {
        "task": "j1msky.tasks.idempotency_purge",
        "schedule": crontab(minute=7),
    },
    "rate-counter-purge": {
        "task": "j1msky.tasks.rate_counter_purge",
        "schedule": crontab(minute=9),
    },
    # Daily in J1MSKY_TIMEZONE: hourly ticks, each task works once per local day (pricing/tasks.py).
    "pricing-report-daily": {
        "task": "pricing.tasks.pricing_report_daily",
        "schedule": crontab(minute=5),
    },
    "pricing-exception-aging-daily": {
        "task": "pricing.tasks.pricing_exception_aging_daily",
        "schedule": crontab(minute=6),
    },
    "orchestrator-budget-alerts": {  # budget events once a day each; level rises logged
        "task": "orchestrator.tasks.budget_alert_check",
        "schedule": 60.0,
    },
    # Deliveries are woken by each event; this catches what a lost wake-up left behind.
    "webhooks-deliver": {"task": "webhooks.tasks.deliver", "schedule": 60.0},
    "webhooks-purge": {"task": "webhooks.tasks.purge", "schedule": 3600.0},
    # Security (§14): blocks that ran out are audited and spent signatures forgotten, each minute;
    # audit rows and agents' content past their retention are erased, hourly.
    "security-expire": {"task": "security.tasks.security_expire", "schedule": 60.0},
    "audit-retention": {"task": "security.tasks.audit_retention_purge", "schedule": 3600.0},
    "content-retention": {"task": "agents.tasks.erase_expired_content", "schedule": 3600.0},
}
# Seconds without a heartbeat after which a worker counts as gone.
J1MSKY_WORKER_HEARTBEAT_SECONDS = env.int("J1MSKY_WORKER_HEARTBEAT_SECONDS", default=10)
J1MSKY_WORKER_LOST_AFTER_SECONDS = env.int("J1MSKY_WORKER_LOST_AFTER_SECONDS", default=60)

# --- Auth, i18n, static -------------------------------------------------------------------------

# "Shown once" secrets travel in admin messages: keep them in the session, never in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
# Failed admin logins per client IP before the login form refuses it for the lock-out window.
J1MSKY_ADMIN_LOGIN_FAILURE_LIMIT = env.int("J1MSKY_ADMIN_LOGIN_FAILURE_LIMIT", default=10)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
J1MSKY_TIMEZONE = env("J1MSKY_TIMEZONE", default="UTC")

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Static files (admin, API docs UI) are served by the web process itself: no extra service.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Bodies above this size are refused with 413 before they are read.
J1MSKY_MAX_BODY_BYTES = env.int("J1MSKY_MAX_BODY_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = J1MSKY_MAX_BODY_BYTES

EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="j1msky@localhost")

# --- REST framework, OpenAPI --------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["security.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["j1msky.api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["j1msky.api.ratelimit.KeyRateThrottle"],
    "DEFAULT_PARSER_CLASSES": [
        "j1msky.api.parsers.JSONParser",
        "j1msky.api.parsers.FormParser",
        "j1msky.api.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "j1msky.api.pagination.ListPagination",
    "DEFAULT_FILTER_BACKENDS": ["j1msky.api.filtering.ListFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "j1msky.api.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "j1msky.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": False,
    "PAGE_SIZE": 20,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "J1MSKY API",
    "DESCRIPTION": "Run AI agent jobs across LLM providers inside a budget.",
    "VERSION": "4.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "PREPROCESSING_HOOKS": ["j1msky.api.schema.only_versioned_paths"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "j1msky.api.schema.strings_without_nul",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "AgentStatusEnum": "agents.models.Agent.Status",
        "HealthStatusEnum": ["healthy", "degraded", "unhealthy"],
    },
    "APPEND_COMPONENTS": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    },
    "SECURITY": [{"bearer": []}],
}

J1MSKY_API_VERSION = "4.0"

# --- The service's own settings (J1MSKY_*: limits, money, providers, agents, metrics) ----------

from j1msky.service_settings import *  # noqa: E402, F403

# --- Logging ------------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "j1msky.logging.RequestIdFilter"}},
    "formatters": {
        "line": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": env("J1MSKY_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},  # a webhook URL's query may hold a token
    },
}
