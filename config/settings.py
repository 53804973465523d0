"""One settings module, driven by environment variables (see .env.example).

With nothing set it runs locally on embedded defaults: a SQLite file, a file-based cache and
kombu's filesystem broker under ./var. Production sets DEBUG=0 and must then provide SECRET_KEY.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (production).")
    SECRET_KEY = "local-development-only-not-secret"  # noqa: S105 - never used with DEBUG=0
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "csp",
    "kernel",
    "complaints",
    "notifications",
    "followup",
    "intake",
    "sla",
    "workspace",
    "desk",
    "reports",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise: static files keep their long caching and need no policy of their own.
    "kernel.headers.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before anything reads the body (sessions do not, CSRF does): a too large one is refused.
    "kernel.headers.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # PostgreSQL unreachable: a 503 with Retry-After, not a 500 (kernel/db_down.py).
    "kernel.db_down.DatabaseUnavailableMiddleware",
    # Last: turns a locked-out login attempt into its 429 answer (kernel/login_lockout.py).
    "axes.middleware.AxesMiddleware",
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.notifications",
            ],
        },
    },
]

# Content-Security-Policy (django-csp, docs/security.md "Headers"): scripts only from our own
# static files, no inline script or handler attributes; inline styles stay allowed (style=
# attributes, htmx's indicator style, the admin's widgets).
from csp.constants import NONE, SELF, UNSAFE_INLINE  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
_csp_report_uri = env("CSP_REPORT_URI", default="")
if _csp_report_uri:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [_csp_report_uri]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # web, worker and beat share the file: wait for locks instead of failing, take the write
    # lock at BEGIN so a read-then-write transaction cannot deadlock.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A server that does not answer is "down" after this long, not a request hanging for ever.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5))
# While PostgreSQL cannot be reached, requests answer 503 with this Retry-After (kernel/db_down.py).
DATABASE_UNAVAILABLE_RETRY_AFTER = env.int("DATABASE_UNAVAILABLE_RETRY_AFTER", default=30)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache ----------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis down is "nothing cached", never a failed request (kernel/resilient_cache.py):
            # throttles and rate limits fail open until it is back.
            "BACKEND": "kernel.resilient_cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="ts"),
            "OPTIONS": {"socket_connect_timeout": env.float("CACHE_CONNECT_TIMEOUT", default=1.0),
                        "socket_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=2.0)},
        }
    }
else:
    # A file cache is shared by web, worker and beat processes, unlike the local-memory one.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _control_dir = VAR_DIR / "celery" / "control"
    for _d in (_queue_dir, _processed_dir, _control_dir):
        _d.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "control_folder": str(_control_dir),
        "store_processed": False,
    }
else:
    # Due times live in the database, so no long countdowns sit in Redis; this only bounds
    # redelivery of a task whose worker died mid-run.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="complaints")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_ENABLE_UTC = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# A worker is "up" when its last heartbeat task ran within this many seconds.
WORKER_HEARTBEAT_MAX_AGE = env.int("WORKER_HEARTBEAT_MAX_AGE", default=180)
# Beat is "up" when it sent the heartbeat task (every 30 s) within this many seconds.
BEAT_HEARTBEAT_MAX_AGE = env.int("BEAT_HEARTBEAT_MAX_AGE", default=120)

# --- Auth, i18n, time -----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Brute-force protection (django-axes, docs/security.md "Login lockout"): after
# LOGIN_FAILURE_LIMIT wrong passwords for one account, or from one address, further attempts
# (even with the right password) are refused for LOGIN_LOCKOUT_MINUTES, on the login form, the
# admin's login and the API token endpoint. Administrators unlock in the admin ("Access
# attempts") or with `manage.py axes_reset_username <name>` / `axes_reset_ip <address>`.
AUTHENTICATION_BACKENDS = [
    "kernel.login_lockout.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
# 0: locked until an administrator lifts it
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES) if LOGIN_LOCKOUT_MINUTES else None
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own: account, address
AXES_CLIENT_IP_CALLABLE = "kernel.login_lockout.lockout_client_ip"
AXES_LOCKOUT_CALLABLE = "kernel.login_lockout.lockout_response"
AXES_RESET_ON_SUCCESS = False
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_ALLOWED_TYPES = env.list(
    "ATTACHMENT_ALLOWED_TYPES",
    default=["image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf", "text/plain"],
)
# Images larger than this many pixels are refused (a small PNG can unpack into gigabytes).
ATTACHMENT_MAX_IMAGE_PIXELS = env.int("ATTACHMENT_MAX_IMAGE_PIXELS", default=40_000_000)
# Request bodies (docs/security.md, "Uploads"): a body announced larger than REQUEST_MAX_BYTES is
# refused with 413 before it is read (kernel.headers.RequestSizeLimitMiddleware): all the files
# of one submission together, and regulator imports (INTAKE_REGULATOR_IMPORT_MAX_BYTES), fit in
# it. Form fields and JSON bodies are capped lower, at DATA_UPLOAD_MAX_MEMORY_SIZE.
REQUEST_MAX_BYTES = env.int("REQUEST_MAX_BYTES", default=25 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=12 * 1024 * 1024)

# --- Email ----------------------------------------------------------------------------------
EMAIL_HOST = env("EMAIL_HOST", default="")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    # No mail server configured: mail lands in ./var/mail so the demo can show it.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="投诉处理中心 <complaints@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "kernel.api_auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "kernel.api_pagination.StandardPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "complaints.api_errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON", default="60/minute"),
        "token": env("THROTTLE_TOKEN", default="10/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Complaint handling API / 投诉处理接口",
    "DESCRIPTION": "Complaints, their lifecycle actions and timeline.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Domain settings ------------------------------------------------------------------------
COMPLAINT_REFERENCE_PREFIX = env("COMPLAINT_REFERENCE_PREFIX", default="TS")

# --- Security (production when DEBUG is off) ------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # forms and htmx read the token from the cookie-less template tag
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

ADMIN_SITE_HEADER = _("Complaint handling administration")

# --- Customer contact -------------------------------------------------------------------------
from datetime import time as _time  # noqa: E402

# Customers are never contacted outside these hours (local time) unless a message is urgent.
CUSTOMER_CONTACT_OPENS = _time.fromisoformat(env("CUSTOMER_CONTACT_OPENS", default="08:00"))
CUSTOMER_CONTACT_CLOSES = _time.fromisoformat(env("CUSTOMER_CONTACT_CLOSES", default="18:00"))
# SMS that anyone outside can set off (acknowledgements, tracking codes) per customer in any 24
# hours; more are recorded in the outbox as not sent (0: no cap). docs/security.md.
CUSTOMER_AUTOMATIC_SMS_PER_DAY = env.int("CUSTOMER_AUTOMATIC_SMS_PER_DAY", default=10)
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env("SMS_GATEWAY_TOKEN", default="")
# Set when the gateway delivers a repeated `message_id` only once (client message ids): an SMS
# whose send was cut off (a crash, the database gone before its mark) is then sent again with
# the same id; otherwise it is shown in the outbox as "delivery unknown" for staff to check.
SMS_GATEWAY_DEDUPLICATES = env.bool("SMS_GATEWAY_DEDUPLICATES", default=False)
# A message still "sending" this long after its attempt started, and held by no send run, was
# cut off in flight and is settled as above (notifications/outbound.py).
OUTBOUND_SENDING_GRACE_SECONDS = env.int("OUTBOUND_SENDING_GRACE_SECONDS", default=60)

# --- SLA ------------------------------------------------------------------------------------
# Level-3 escalations go to this department's members (the regulator-risk desk).
SLA_REGULATOR_DESK = env("SLA_REGULATOR_DESK", default="regulator-desk")
SLA_SWEEP_BATCH = env.int("SLA_SWEEP_BATCH", default=1000)

# --- Classification -------------------------------------------------------------------------
# The classifier fills in a category no rule set only when this sure (docs/classification.md:
# chosen so that at most 5 % of clear texts stay without one, most ambiguous ones do).
INTAKE_SUGGESTION_MIN_CONFIDENCE = env.float("INTAKE_SUGGESTION_MIN_CONFIDENCE", default=0.15)
# ... and the text has at least this many characters (shorter ones rarely say enough).
INTAKE_SUGGESTION_MIN_TEXT_CHARS = env.int("INTAKE_SUGGESTION_MIN_TEXT_CHARS", default=12)
# Suggestions offered as one-click buttons (complaint page, desk): the first always, the
# second and third only from this confidence.
INTAKE_PICK_MIN_CONFIDENCE = env.float("INTAKE_PICK_MIN_CONFIDENCE", default=0.05)
# ... and wins over a keyword rule's category when this sure of another one (None: rules win).
INTAKE_CLASSIFIER_OVER_RULE_CONFIDENCE = env.float("INTAKE_CLASSIFIER_OVER_RULE_CONFIDENCE",
                                                   default=0.3)
# A complaint whose category an agent set or confirmed counts this many times in training.
# 1: weighting them more lowered accuracy on texts nobody corrected (docs/classification.md).
INTAKE_CONFIRMED_WEIGHT = env.float("INTAKE_CONFIRMED_WEIGHT", default=1.0)
# The classifier also remembers the newest agent-confirmed texts (at most MAX_TEXTS): a new
# text at least MIN_SIMILARITY alike (cosine, 0–1) to some of them gets WEIGHT (0–1) of its
# probability from their categories. WEIGHT 0 turns the memory off.
INTAKE_MEMORY_MIN_SIMILARITY = env.float("INTAKE_MEMORY_MIN_SIMILARITY", default=0.55)
INTAKE_MEMORY_WEIGHT = env.float("INTAKE_MEMORY_WEIGHT", default=0.6)
INTAKE_MEMORY_MAX_TEXTS = env.int("INTAKE_MEMORY_MAX_TEXTS", default=5000)
# At most this many agent-confirmed complaints (newest first) are used for retraining.
INTAKE_TRAINING_MAX_CONFIRMED = env.int("INTAKE_TRAINING_MAX_CONFIRMED", default=50_000)
JIEBA_CACHE_DIR = env("JIEBA_CACHE_DIR", default=str(VAR_DIR / "jieba"))

# --- Intake channels ------------------------------------------------------------------------
# Told to customers in the acknowledgement: where to follow their complaint.
INTAKE_TRACKING_URL = env("INTAKE_TRACKING_URL", default="/track/")
# Attachments kept from one email or webhook message; more are noted in the timeline.
INTAKE_MAX_ATTACHMENTS = env.int("INTAKE_MAX_ATTACHMENTS", default=10)
# Webhooks: one HMAC-SHA256 secret per channel; a channel without a secret refuses everything.
INTAKE_WEBHOOK_SECRETS = {
    "sms": env("INTAKE_WEBHOOK_SECRET_SMS", default=""),
    "wechat": env("INTAKE_WEBHOOK_SECRET_WECHAT", default=""),
    "app": env("INTAKE_WEBHOOK_SECRET_APP", default=""),
}
INTAKE_WEBHOOK_MAX_AGE = env.int("INTAKE_WEBHOOK_MAX_AGE", default=300)  # seconds
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["intake_webhook"] = env(
    "THROTTLE_INTAKE_WEBHOOK", default="600/minute")
# The mailbox polled for complaints (nothing is polled while IMAP_HOST is empty).
IMAP_HOST = env("IMAP_HOST", default="")
IMAP_PORT = env.int("IMAP_PORT", default=993)
IMAP_USER = env("IMAP_USER", default="")
IMAP_PASSWORD = env("IMAP_PASSWORD", default="")
IMAP_FOLDER = env("IMAP_FOLDER", default="INBOX")
IMAP_SSL = env.bool("IMAP_SSL", default=True)
IMAP_TIMEOUT = env.int("IMAP_TIMEOUT", default=30)
IMAP_BATCH = env.int("IMAP_BATCH", default=50)  # messages ingested per poll

# --- Notifications (customer messages) --------------------------------------------------------
# Dotted path of the SMS backend (notifications/backends.py): HttpGatewayBackend (production,
# SMS_GATEWAY_URL), ConsoleBackend (log only) or DatabaseBackend (outbox row only). Unset: the
# HTTP gateway when SMS_GATEWAY_URL is set, else the console. Email uses EMAIL_BACKEND.
SMS_BACKEND = env("SMS_BACKEND", default="")
# The backends lived in complaints/notify_backends.py before the restructure (issue 13); an
# existing .env naming them there keeps working.
if SMS_BACKEND.startswith("complaints.notify_backends."):
    SMS_BACKEND = "notifications.backends." + SMS_BACKEND.rsplit(".", 1)[1]

# --- Intake: agents' entry form, regulator imports, duplicates (issue 3) ----------------------
# The caller lookup on the entry form shows the customer's complaints of the last N days.
INTAKE_CALLER_HISTORY_DAYS = env.int("INTAKE_CALLER_HISTORY_DAYS", default=90)
# A new complaint is linked as a possible duplicate of the customer's open complaint in the same
# category received within this many days.
INTAKE_DUPLICATE_WINDOW_DAYS = env.int("INTAKE_DUPLICATE_WINDOW_DAYS", default=7)
# Regulator batch uploads (CSV/XLSX): largest file accepted; progress saved every N rows.
INTAKE_REGULATOR_IMPORT_MAX_BYTES = env.int("INTAKE_REGULATOR_IMPORT_MAX_BYTES",
                                            default=20 * 1024 * 1024)
INTAKE_REGULATOR_IMPORT_PROGRESS_EVERY = env.int("INTAKE_REGULATOR_IMPORT_PROGRESS_EVERY",
                                                 default=500)

# --- Closing the loop (issue 7) ---------------------------------------------------------------
# An SMS reply of just one of these keywords answers the result notice of the sender's resolved
# complaint: keyword=outcome pairs, outcomes "solved" / "not_solved".
CLOSING_CONFIRM_KEYWORDS = env.dict("CLOSING_CONFIRM_KEYWORDS",
                                    default={"1": "solved", "2": "not_solved"})
# Resolved complaints the customer has not answered close after this many working days.
CLOSING_AUTO_CLOSE_WORKING_DAYS = env.int("CLOSING_AUTO_CLOSE_WORKING_DAYS", default=3)
# Callbacks (回访) are due this many working days after resolution.
CALLBACK_DUE_WORKING_DAYS = env.int("CALLBACK_DUE_WORKING_DAYS", default=2)
# Share of ordinary complaints called back (regulator, major and reopened ones always are);
# chosen from a hash of the reference, so the same complaint is always in or out.
CALLBACK_SAMPLE_RATE = env.float("CALLBACK_SAMPLE_RATE", default=0.2)
# A survey with this many stars or fewer gets a supervisor's review.
SURVEY_LOW_SCORE = env.int("SURVEY_LOW_SCORE", default=2)
# The survey link sent by SMS stays valid this many days.
SURVEY_LINK_VALID_DAYS = env.int("SURVEY_LINK_VALID_DAYS", default=30)
# Customers' personal data is anonymised this many years after their last complaint closed.
RETENTION_YEARS = env.int("RETENTION_YEARS", default=3)
# Public base URL for links in messages to customers (the survey link); empty: a relative path.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="")

# --- Workspace ------------------------------------------------------------------------------
# Compensation above this amount (CNY) needs a supervisor's approval before the customer is told.
COMPENSATION_APPROVAL_LIMIT = env.float("COMPENSATION_APPROVAL_LIMIT", default=200)
# No compensation above this amount (CNY) can be proposed at all, approved or not.
COMPENSATION_MAXIMUM = env.float("COMPENSATION_MAXIMUM", default=5000)

# --- Public intake (customers, no login: /submit/, /track/, /api/v1/public/) -----------------
# PUBLIC_BASE_URL (set above, with the closing settings) also makes the tracking link in
# acknowledgements absolute; pages without it use the request's host.
if PUBLIC_BASE_URL and INTAKE_TRACKING_URL.startswith("/"):
    INTAKE_TRACKING_URL = PUBLIC_BASE_URL.rstrip("/") + INTAKE_TRACKING_URL
# Submissions per IP address, and per phone number from one IP address ("N/[k]unit": s, min,
# hour, day). Not per phone number alone, which anyone could use up (docs/security.md).
INTAKE_PUBLIC_RATE_IP = env("INTAKE_PUBLIC_RATE_IP", default="10/hour")
INTAKE_PUBLIC_RATE_PHONE = env("INTAKE_PUBLIC_RATE_PHONE", default="5/day")
# Failed tracking attempts (wrong reference, phone or code) per IP and per reference.
INTAKE_TRACK_FAILURES = env("INTAKE_TRACK_FAILURES", default="5/15min")
# One-time codes by SMS: requests per reference and per IP, validity, wrong tries per code.
INTAKE_TRACK_CODE_RATE = env("INTAKE_TRACK_CODE_RATE", default="3/15min")
INTAKE_TRACK_CODE_RATE_IP = env("INTAKE_TRACK_CODE_RATE_IP", default="10/hour")
INTAKE_TRACK_CODE_MINUTES = env.int("INTAKE_TRACK_CODE_MINUTES", default=10)
INTAKE_TRACK_CODE_ATTEMPTS = env.int("INTAKE_TRACK_CODE_ATTEMPTS", default=5)
# How long a browser keeps access to a complaint after the phone number or code was given.
INTAKE_TRACK_ACCESS_MINUTES = env.int("INTAKE_TRACK_ACCESS_MINUTES", default=60)
# Information added from /track/: how often per complaint, how long.
INTAKE_TRACK_ADD_RATE = env("INTAKE_TRACK_ADD_RATE", default="10/hour")
INTAKE_TRACK_MAX_TEXT = env.int("INTAKE_TRACK_MAX_TEXT", default=2000)
from datetime import date as _date  # noqa: E402

# --- Input limits (issue 15; kernel/limits.py; docs/security.md "Input limits") -------------
# Every text that enters by any channel (staff API, webhooks, public form and API, agents' form,
# email, SMS, regulator import) is refused over its cap with an error naming field and cap; email
# is cut at the cap with a note instead (a mail server cannot correct and resend it).
# Operator complaints are short: 5,000 characters is about ten times the longest in the demo
# and regulator sets, and what the public form always allowed.
INPUT_MAX_DESCRIPTION = env.int("INPUT_MAX_DESCRIPTION", default=5000)
INPUT_MAX_SUBJECT = env.int("INPUT_MAX_SUBJECT", default=200)  # = Complaint.subject column
INPUT_MAX_NAME = env.int("INPUT_MAX_NAME", default=100)  # = Customer.name column
INPUT_MAX_EMAIL = env.int("INPUT_MAX_EMAIL", default=254)  # RFC 5321 path limit
INPUT_MAX_SERVICE_NUMBER = env.int("INPUT_MAX_SERVICE_NUMBER", default=40)
INPUT_MAX_LOCATION = env.int("INPUT_MAX_LOCATION", default=200)
INPUT_MAX_CATEGORY = env.int("INPUT_MAX_CATEGORY", default=100)
INPUT_MAX_STORE = env.int("INPUT_MAX_STORE", default=200)
INPUT_MAX_REGULATOR_CASE_NO = env.int("INPUT_MAX_REGULATOR_CASE_NO", default=64)
INPUT_MAX_EXTERNAL_ID = env.int("INPUT_MAX_EXTERNAL_ID", default=255)
# JSON bodies (DRF's default parser, webhooks): deeper or bigger ones are refused with a 400.
INPUT_JSON_MAX_DEPTH = env.int("INPUT_JSON_MAX_DEPTH", default=32)
INPUT_JSON_MAX_BYTES = env.int("INPUT_JSON_MAX_BYTES", default=1_000_000)
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "kernel.json_input.BoundedJSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]
# received_at (when the customer complained) must lie in a window: not before this date nor
# more than RECEIVED_AT_MAX_AGE_DAYS ago, and at most RECEIVED_AT_FUTURE_MINUTES ahead.
RECEIVED_AT_EARLIEST = _date.fromisoformat(env("RECEIVED_AT_EARLIEST", default="2000-01-01"))
RECEIVED_AT_MAX_AGE_DAYS = env.int("RECEIVED_AT_MAX_AGE_DAYS", default=3650)
RECEIVED_AT_FUTURE_MINUTES = env.int("RECEIVED_AT_FUTURE_MINUTES", default=5)
INTAKE_PUBLIC_MAX_DESCRIPTION = env.int("INTAKE_PUBLIC_MAX_DESCRIPTION",
                                        default=INPUT_MAX_DESCRIPTION)
INTAKE_PUBLIC_MAX_ATTACHMENTS = env.int("INTAKE_PUBLIC_MAX_ATTACHMENTS", default=5)
# Reverse proxies in front of the site that append to X-Forwarded-For (0: use REMOTE_ADDR).
INTAKE_PUBLIC_NUM_PROXIES = env.int("INTAKE_PUBLIC_NUM_PROXIES", default=0)
# DRF's throttles read the same number: left unset (None) DRF would take X-Forwarded-For as
# the client's address whoever sent it, so any caller could pick a fresh one per request.
REST_FRAMEWORK["NUM_PROXIES"] = INTAKE_PUBLIC_NUM_PROXIES

# --- Reports ----------------------------------------------------------------------------------
# Complaint-list exports with at least this many rows run as a background job with progress.
REPORTS_ASYNC_EXPORT_ROWS = env.int("REPORTS_ASYNC_EXPORT_ROWS", default=100_000)
# Scheduled summaries: sent at this local hour (Monday for the week, the 1st for the month).
REPORTS_SCHEDULE_HOUR = env.int("REPORTS_SCHEDULE_HOUR", default=8)
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update({
    "DepartmentTaskStatusEnum": "workspace.models.DepartmentTaskStatus",
    "OutboundChannelEnum": "notifications.models.OutboundChannel",
})
# The API names these choice sets once (they share field names with others: status, channel).
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update({
    "CallbackStatusEnum": "followup.models.CallbackStatus",
    "CallbackOutcomeEnum": "followup.models.CallbackOutcome",
    "FeedbackChannelEnum": "followup.models.FeedbackChannel",
    "CallbackReasonEnum": "followup.models.CallbackReason",
    "SurveyReasonEnum": "followup.models.SurveyReason",
    "ResultAnswerEnum": "followup.models.ResultAnswer",
    # The complaint's own channel and status, named before the newer sets that share the names.
    "ChannelEnum": "complaints.models.Channel",
    "ComplaintStatusEnum": "complaints.models.STATUS_CHOICES",
})
# The regulator import's status shares the field name "status" with the complaint's.
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update({
    "RegulatorImportStatusEnum": "intake.models.RegulatorImportStatus",
})

# --- Desk (issue 6: queues, search, bulk actions) -------------------------------------------
# "Due soon" tab and workload column: the nearest deadline falls within this many hours.
DESK_DUE_SOON_HOURS = env.int("DESK_DUE_SOON_HOURS", default=24)
# The queue indexes include the assignment columns (PostgreSQL counts from the index alone);
# SQLite, for development, simply ignores the included columns.
SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "models.W040"]
# PostgreSQL sort memory for the dashboard's percentiles (SET LOCAL, that query only).
REPORTS_SORT_WORK_MEM = env("REPORTS_SORT_WORK_MEM", default="64MB")

# --- API error answers in the schema (issue 15) ---------------------------------------------
# Every operation documents the common refusals (kernel/openapi.py); the enum hook stays first.
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "kernel.openapi.add_error_answers",
]
