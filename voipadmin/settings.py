"""Settings for voipadmin, read from the environment through django-environ.

With no variable set this is the embedded default: SQLite under ``var/``, Celery on kombu's filesystem
transport, a database cache, and the cloud/WeChat sandbox on 127.0.0.1:8001. Production sets
``DATABASE_URL`` (PostgreSQL) and ``CELERY_BROKER_URL`` (Redis); see ``.env.example``.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VOIPADMIN_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
_DEV_SECRET_KEY = "dev-only-insecure-key-for-the-embedded-default"  # noqa: S105 -- refused when DEBUG is off
SECRET_KEY = env.str("SECRET_KEY", default="") or (_DEV_SECRET_KEY if DEBUG else "")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
_HOSTS_GIVEN = "ALLOWED_HOSTS" in env.ENVIRON
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

if not DEBUG:
    # Production must be configured on purpose: refuse to start with a guessable key or an open host list.
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    if SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured("SECRET_KEY is insecure: use at least 50 random characters.")
    if not _HOSTS_GIVEN:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS must be set when DEBUG is off (the hosts this console answers)."
        )
    if "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must name the hosts; '*' is refused when DEBUG is off.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "axes",
    "csp",
    "django_celery_beat",
    "voipadmin.core.apps.VoipadminConfig",
    "devices",
    "devices.reconciliation.apps.ReconciliationConfig",
    "mall",
    "voipadmin.console.apps.ConsoleConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "voipadmin.core.middleware.UserTimezoneMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "voipadmin.core.sessions.SessionLimitsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "voipadmin.urls"
WSGI_APPLICATION = "voipadmin.wsgi.application"

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
                "django.template.context_processors.i18n",
                "voipadmin.console.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
USING_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
# Web, worker, beat and sync share one file: WAL lets readers run beside the writer, IMMEDIATE takes the write
# lock at BEGIN (no deadlock on upgrade), and the timeout makes writers queue instead of failing. Without
# IMMEDIATE, a transaction that reads before it writes fails at once with "database is locked" when another
# process writes, and the database cache swallows that failure: a set() that silently stored nothing.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
if USING_SQLITE:
    DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
    # A file, not memory: a worker subprocess in the tests must see the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery, cache --------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
BROKER_IS_REDIS = CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
REDIS_URL = env.str("REDIS_URL", default=CELERY_BROKER_URL if BROKER_IS_REDIS else "")
CELERY_FOLDERS = Path(env.str("VOIPADMIN_CELERY_DIR", default=str(VAR_DIR / "celery")))
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FOLDERS / "queue"),
        "data_folder_out": str(CELERY_FOLDERS / "queue"),
        "processed_folder": str(CELERY_FOLDERS / "processed"),
        "control_folder": str(CELERY_FOLDERS / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=f"file://{CELERY_FOLDERS / 'results'}")
elif BROKER_IS_REDIS:
    # A chunk of reconciliation work must finish well within the time before Redis redelivers it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
else:
    CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="")
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

if REDIS_URL:
    # One redis.Redis per connection pool, not one per call (voipadmin/core/redis_cache.py).
    CACHES = {"default": {"BACKEND": "voipadmin.core.redis_cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "voipadmin_cache",
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

# --- The cloud and WeChat (the sandbox by default) ------------------------------------------------------
CLOUD_BASE_URL = env.str("CLOUD_BASE_URL", default="http://127.0.0.1:8001")
CLOUD_CLIENT_ID = env.str("CLOUD_CLIENT_ID", default="voipadmin-sandbox")
CLOUD_CLIENT_SECRET = env.str("CLOUD_CLIENT_SECRET", default="sandbox-secret-change-me")
CLOUD_TIMEOUT = env.float("CLOUD_TIMEOUT", default=5.0)
# After a write whose outcome is unknown: seconds before the re-read (at least twice CLOUD_TIMEOUT).
CLOUD_REREAD_SECONDS = env.float("CLOUD_REREAD_SECONDS", default=5.0)
WECHAT_BASE_URL = env.str("WECHAT_BASE_URL", default="http://127.0.0.1:8001")
WECHAT_APP_SECRETS: dict[str, str] = env.dict(
    "WECHAT_APP_SECRETS",
    default={
        "wx5d1ac9e5a7f0b001": "sandbox-wechat-secret-001",
        "wx5d1ac9e5a7f0b002": "sandbox-wechat-secret-002",
        "wx5d1ac9e5a7f0b003": "sandbox-wechat-secret-003",
    },
)
# True where the cloud is the bundled sandbox: enables test purchases from the device page.
SANDBOX_BACKED = env.bool("SANDBOX_BACKED", default=CLOUD_BASE_URL.startswith("http://127.0.0.1:8001"))
# Fill an empty mirror when a worker starts (make run sets it, so a fresh demo shows data at once).
SYNC_ON_WORKER_START = env.bool("SYNC_ON_WORKER_START", default=False)
# A sync pass holds its lock for this lease and renews it as it works; a killed pass frees it after this.
SYNC_LOCK_SECONDS = env.int("SYNC_LOCK_SECONDS", default=60)
RECONCILE_MODE = env.str("RECONCILE_MODE", default="fix")
if RECONCILE_MODE not in {"fix", "report"}:
    raise ImproperlyConfigured("RECONCILE_MODE must be 'fix' or 'report'.")
# Worker tasks sharing one run; devices per chunk (one observation call, at most 50); how long a worker may hold
# a chunk before the sweeper hands it to another (far longer than one chunk takes).
RECONCILE_WORKERS = env.int("RECONCILE_WORKERS", default=2)
RECONCILE_CHUNK_SIZE = env.int("RECONCILE_CHUNK_SIZE", default=50)
RECONCILE_LEASE_SECONDS = env.int("RECONCILE_LEASE_SECONDS", default=600)
# WeChat observation calls per second, kept across every worker through the shared cache.
WECHAT_QPS = env.int("WECHAT_QPS", default=50)

# --- Alerts (voipadmin/core/alerts.py): a signed webhook and mail, each off while unset --------------------------
ALERT_WEBHOOK_URL = env.str("ALERT_WEBHOOK_URL", default="")
ALERT_WEBHOOK_SECRET = env.str("ALERT_WEBHOOK_SECRET", default="")
if ALERT_WEBHOOK_URL and not ALERT_WEBHOOK_SECRET:
    raise ImproperlyConfigured(
        "ALERT_WEBHOOK_SECRET must be set with ALERT_WEBHOOK_URL (the body is signed)."
    )
ALERT_WEBHOOK_TIMEOUT = env.float("ALERT_WEBHOOK_TIMEOUT", default=5.0)
# Attempts after the first, waiting ALERT_WEBHOOK_BACKOFF seconds, then twice as long each time.
ALERT_WEBHOOK_RETRIES = env.int("ALERT_WEBHOOK_RETRIES", default=5)
ALERT_WEBHOOK_BACKOFF = env.float("ALERT_WEBHOOK_BACKOFF", default=30.0)
ALERT_EMAIL_TO = env.list("ALERT_EMAIL_TO", default=[])
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="voipadmin@localhost")

# --- Auth -----------------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "login"
# Failed logins (voipadmin/core/logins.py, ASVS V2.2.1): a (user name, address) pair is locked after
# AXES_FAILURE_LIMIT failures, an address after LOGIN_ADDRESS_FAILURE_LIMIT across user names, both for the
# cool-off; a user name is refused past LOGIN_USERNAME_FAILURES_PER_HOUR from all addresses.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=30)
LOGIN_USERNAME_FAILURES_PER_HOUR = env.int("LOGIN_USERNAME_FAILURES_PER_HOUR", default=100)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "voipadmin.core.logins.LoginThrottleHandler"
AXES_LOCKOUT_CALLABLE = "voipadmin.core.logins.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_RESET_ON_SUCCESS = True
# An attempt during a lock neither extends it nor counts: a lock always ends when the page says.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The client's address: the socket's, unless this many trusted proxies stand in front (then X-Forwarded-For's).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT
    AXES_IPWARE_PROXY_ORDER = "right-most"
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
# Sessions (ASVS V3.3.2, V3.3.4): logged out this long after the login, and after this long without activity.
SESSION_ABSOLUTE_HOURS = env.float("SESSION_ABSOLUTE_HOURS", default=12)
SESSION_IDLE_MINUTES = env.float("SESSION_IDLE_MINUTES", default=30)
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_HOURS * 3600)
# With Redis, a session is read from the cache and written through to the database (every page reads it); the
# database keeps the rows a person's session list ends (voipadmin/core/sessions.py: cached_db that survives a
# cache outage, and ends a session in both places).
SESSION_ENGINE = "voipadmin.core.sessions" if REDIS_URL else "django.contrib.sessions.backends.db"

# --- Security -------------------------------------------------------------------------------------------
# Trust X-Forwarded-Proto only behind a proxy that sets it (and strips a client's own); never by default.
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "report-uri": ["/csp-report/"],
    }
}

# --- Language, time -------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True
# The zones a user may pick in the user menu to read times in (default: TIME_ZONE).
USER_TIME_ZONES = env.list(
    "USER_TIME_ZONES",
    default=[
        "Asia/Shanghai",
        "Asia/Hong_Kong",
        "Asia/Singapore",
        "UTC",
        "Europe/London",
        "Europe/Berlin",
        "America/New_York",
        "America/Los_Angeles",
    ],
)

# --- Static files ---------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Logging: one line per event, never a secret ---------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"urllib3": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
