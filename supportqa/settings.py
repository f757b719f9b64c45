"""The one settings module. Every value comes from the environment; see `.env.example`."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from supportqa.envconfig import (
    ConfigError,
    database_from_url,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
)

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent
DATA_DIR = Path(env_str("SUPPORTQA_DATA_DIR", str(BASE_DIR / "var")))
# The data folder holds the SQLite database, the generated key and trained models: its owner
# only (a folder made by someone else, e.g. `useradd --create-home`, is narrowed to 0700).
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
if DATA_DIR.stat().st_uid == os.getuid() and DATA_DIR.stat().st_mode & 0o077:
    DATA_DIR.chmod(0o700)

DEBUG = env_bool("SUPPORTQA_DEBUG", False)
_secret = env_str("SUPPORTQA_SECRET_KEY", "")
if not _secret:
    if not DEBUG and env_bool("SUPPORTQA_REQUIRE_SECRET", False):
        raise ConfigError("SUPPORTQA_SECRET_KEY must be set in production")
    # Development fallback: a per-installation key kept outside the repository, readable by
    # its owner only (created 0600 in one step: never briefly readable by others).
    _key_file = DATA_DIR / "secret_key"
    if _key_file.exists():
        _secret = _key_file.read_text().strip()
    else:
        import secrets

        _secret = secrets.token_urlsafe(50)
        with os.fdopen(os.open(_key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(_secret)
SECRET_KEY = _secret

ALLOWED_HOSTS = env_list("SUPPORTQA_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("SUPPORTQA_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "supportqa.apps.SupportQAAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, from the package (no CDN)
    "django_otp",
    "django_otp.plugins.otp_totp",  # authenticator apps (two-step sign-in)
    "django_otp.plugins.otp_static",  # recovery codes
    "supportqa.accounts",
    "supportqa.audit",
    "supportqa.conversations",
    "supportqa.surveys",
    "supportqa.scorecards",
    "supportqa.reviews",
    "supportqa.notifications",
    "supportqa.calibration",
    "supportqa.assignments",
    "supportqa.integrations",
    "supportqa.autoqa",
    "supportqa.workflow",
    "supportqa.coaching",
    "supportqa.shopping",
    "supportqa.social",
    "supportqa.privacy",
    "supportqa.api",
    "supportqa.reports",
    "supportqa.home",
    "supportqa.demo",
    "supportqa.server",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "supportqa.middleware.configuration_reads",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "supportqa.accounts.two_factor.second_factor_gate",  # a code owed: nothing else
    "supportqa.middleware.user_time_zone",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "supportqa.middleware.no_store_for_signed_in",
    "supportqa.middleware.method_not_allowed_page",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into its page
]

ROOT_URLCONF = "supportqa.urls"
FORM_RENDERER = "supportqa.rendering.FormRenderer"  # select boxes and inputs drawn in Python
WSGI_APPLICATION = "supportqa.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "supportqa.context.navigation",
                "supportqa.accounts.permissions.capabilities",
                "supportqa.notifications.context.bell",
            ]
        },
    }
]

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR.resolve() / 'supportqa.sqlite3'}"),
        base_dir=BASE_DIR,
    )
}
if (
    DATABASES["default"]["ENGINE"].endswith("sqlite3")
    and DATABASES["default"]["NAME"] != ":memory:"
):
    # Tests use a file too (not SQLite's shared-cache memory database, where a second writer
    # fails at once instead of waiting): concurrency tests run on SQLite as in production.
    # One file per test process: two suites run at once in one checkout do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR.resolve() / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses locked-out accounts and addresses first
    "django.contrib.auth.backends.ModelBackend",
]
# Single sign-on through OpenID Connect: off unless a client id is set (supportqa/accounts/sso.py).
OIDC_RP_CLIENT_ID = env_str("SUPPORTQA_OIDC_CLIENT_ID", "")
if OIDC_RP_CLIENT_ID:
    AUTHENTICATION_BACKENDS.append("supportqa.accounts.sso.Backend")
    OIDC_RP_CLIENT_SECRET = env_str("SUPPORTQA_OIDC_CLIENT_SECRET", "")
    OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("SUPPORTQA_OIDC_AUTHORIZATION_URL", "")
    OIDC_OP_TOKEN_ENDPOINT = env_str("SUPPORTQA_OIDC_TOKEN_URL", "")
    OIDC_OP_USER_ENDPOINT = env_str("SUPPORTQA_OIDC_USERINFO_URL", "")
    OIDC_OP_JWKS_ENDPOINT = env_str("SUPPORTQA_OIDC_JWKS_URL", "") or None
    OIDC_RP_SIGN_ALGO = env_str("SUPPORTQA_OIDC_SIGN_ALGO", "RS256")
OIDC_CREATE_USER = False  # an admin makes people; SSO only signs them in
OIDC_USE_PKCE = True
OIDC_RP_SCOPES = "openid email"
LOGIN_REDIRECT_URL_FAILURE = "/login/?sso=failed"
SUPPORTQA_OIDC_NAME = env_str("SUPPORTQA_OIDC_NAME", "single sign-on")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("SUPPORTQA_PASSWORD_MIN_LENGTH", 10, minimum=8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]

# Login throttling (django-axes, accounts/throttle.py): after this many wrong passwords for
# one account (from any address), or SUPPORTQA_ADDRESS_FAILURE_LIMIT from one address (for
# any accounts: an office shares one), logins are refused for the cool-off period; an admin
# can unlock earlier (Administration → Access attempts: delete them, or `axes_reset`).
AXES_FAILURE_LIMIT = env_int("SUPPORTQA_LOGIN_FAILURE_LIMIT", 5, minimum=1)
SUPPORTQA_ADDRESS_FAILURE_LIMIT = env_int(
    "SUPPORTQA_ADDRESS_FAILURE_LIMIT", 10 * AXES_FAILURE_LIMIT, minimum=AXES_FAILURE_LIMIT
)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SUPPORTQA_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # the order accounts/throttle.py reads
AXES_HANDLER = "supportqa.accounts.throttle.LoginThrottle"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "supportqa.accounts.throttle.locked_out"
AXES_CLIENT_IP_CALLABLE = "supportqa.middleware.client_ip"
AXES_VERBOSE = False

SESSION_COOKIE_HTTPONLY = True
# Django's database sessions, read through a statement compiled once (accounts/sessions.py).
SESSION_ENGINE = "supportqa.accounts.sessions"
SESSION_COOKIE_AGE = env_int("SUPPORTQA_SESSION_SECONDS", 8 * 3600, minimum=300)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# One switch for serving over HTTPS behind a reverse proxy that terminates TLS and sets
# X-Forwarded-Proto and X-Forwarded-For: secure cookies, HSTS, redirects to https, the
# proxy's scheme header trusted and the client address taken from the proxy's entry.
HTTPS = env_bool("SUPPORTQA_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = env_int("SUPPORTQA_HSTS_SECONDS", 365 * 86400)

# Only our own files: scripts from this origin alone (no inline script), nothing from
# elsewhere. Inline style attributes stay allowed (bar widths and heat-map colours).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "supportqa.api.auth.BearerToken",
        "rest_framework.authentication.SessionAuthentication",  # with CSRF, for the docs page
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SupportQA API",
    "DESCRIPTION": "Conversations, surveys, reviews, disputes, calibration, assignments, "
    "KPIs with intervals and AutoQA findings, within the caller's scope. Send a token from "
    "Account → API tokens as `Authorization: Bearer sqa_…`. See docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "LevelEnum": "supportqa.conversations.models.Level",
        "ConversationStatusEnum": "supportqa.conversations.models.Status",
        "ReviewStatusEnum": "supportqa.reviews.models.ReviewStatus",
        "DisputeStatusEnum": "supportqa.reviews.models.Dispute.Status",
        "CalibrationStatusEnum": "supportqa.calibration.models.CalibrationSession.Status",
    },
}

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("SUPPORTQA_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
WHITENOISE_USE_FINDERS = True  # serve straight from the package: no collectstatic step needed
# Import files up to this size; larger ones are refused as they arrive (uploads.py). Files over
# 5 MiB are spooled to a temporary file rather than kept in memory; form fields without files
# are limited to 5 MiB.
SUPPORTQA_MAX_UPLOAD_BYTES = env_int("SUPPORTQA_MAX_UPLOAD_MB", 50, minimum=1) * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "supportqa.uploads.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SUPPORTQA_PASS_THRESHOLD = env_int("SUPPORTQA_PASS_THRESHOLD", 80, minimum=1)
SUPPORTQA_FCR_DAYS = env_int("SUPPORTQA_FCR_DAYS", 7, minimum=1)
SUPPORTQA_DISPUTE_DAYS = env_int("SUPPORTQA_DISPUTE_DAYS", 14, minimum=1)
# Which runs on a control chart count as a real change (supportqa.core.control documents both).
SUPPORTQA_CONTROL_RULES = env_choice(
    "SUPPORTQA_CONTROL_RULES", "western-electric", ["western-electric", "nelson"]
)
SUPPORTQA_IMPORT_BATCH = env_int("SUPPORTQA_IMPORT_BATCH", 1000, minimum=1)
# AutoQA workers renew their claims every few seconds: a claim older than this is a dead
# worker's, and another worker takes it over (a dead process of the same host at once).
SUPPORTQA_AUTOQA_STALE_SECONDS = env_int("SUPPORTQA_AUTOQA_STALE_SECONDS", 30, minimum=0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("SUPPORTQA_LOG_LEVEL", "WARNING")},
}

# E-mail (notifications, digests): SMTP in production; by default each mail is written as a
# file under the data folder (the demo's outbox), tests keep them in memory.
# The public survey page: requests per address and minute before it answers 429.
SUPPORTQA_SURVEY_RATE_PER_MINUTE = env_int("SUPPORTQA_SURVEY_RATE_PER_MINUTE", 30, minimum=1)
# Retention (days; 0 keeps for ever), applied by `supportqa retention` from cron.
SUPPORTQA_RETAIN_MESSAGES_DAYS = env_int("SUPPORTQA_RETAIN_MESSAGES_DAYS", 0, minimum=0)
SUPPORTQA_RETAIN_SURVEY_COMMENTS_DAYS = env_int(
    "SUPPORTQA_RETAIN_SURVEY_COMMENTS_DAYS", 0, minimum=0
)
SUPPORTQA_RETAIN_PERSONAL_DAYS = env_int("SUPPORTQA_RETAIN_PERSONAL_DAYS", 0, minimum=0)
# Roles that must sign in with a second factor (an authenticator app), e.g. "admin,manager".
SUPPORTQA_REQUIRE_2FA_ROLES = env_list("SUPPORTQA_REQUIRE_2FA_ROLES", [])
OTP_TOTP_ISSUER = "SupportQA"
# Feeds on private, loopback or link-local addresses are refused unless this is true.
SUPPORTQA_FEEDS_PRIVATE_ADDRESSES = env_bool("SUPPORTQA_FEEDS_PRIVATE_ADDRESSES", False)
# The same for outbound webhooks' addresses.
SUPPORTQA_WEBHOOKS_PRIVATE_ADDRESSES = env_bool("SUPPORTQA_WEBHOOKS_PRIVATE_ADDRESSES", False)
# Posts pushed to /social/webhook/ are signed with it (HMAC-SHA256); unset: no webhook.
SUPPORTQA_SOCIAL_WEBHOOK_SECRET = env_str("SUPPORTQA_SOCIAL_WEBHOOK_SECRET", "")

SUPPORTQA_BASE_URL = env_str("SUPPORTQA_BASE_URL", "http://127.0.0.1:8000")  # links in mails
EMAIL_BACKEND = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}[env_choice("SUPPORTQA_EMAIL", "file", ["smtp", "file", "console"])]
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_HOST = env_str("SUPPORTQA_SMTP_HOST", "localhost")
EMAIL_PORT = env_int("SUPPORTQA_SMTP_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("SUPPORTQA_SMTP_USER", "")
EMAIL_HOST_PASSWORD = env_str("SUPPORTQA_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("SUPPORTQA_SMTP_STARTTLS", True)
EMAIL_USE_SSL = env_bool("SUPPORTQA_SMTP_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ConfigError("SUPPORTQA_SMTP_STARTTLS and SUPPORTQA_SMTP_SSL cannot both be true")
EMAIL_TIMEOUT = env_int("SUPPORTQA_SMTP_TIMEOUT", 20, minimum=1)
DEFAULT_FROM_EMAIL = env_str("SUPPORTQA_MAIL_FROM", "SupportQA <supportqa@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
