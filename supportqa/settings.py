"""The one settings module. Every value comes from the environment; see `.env.example`."""

from __future__ import annotations

from pathlib import Path

from supportqa.envconfig import (
    ConfigError,
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_str,
)

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent
DATA_DIR = Path(env_str("SUPPORTQA_DATA_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("SUPPORTQA_DEBUG", False)
_secret = env_str("SUPPORTQA_SECRET_KEY", "")
if not _secret:
    if not DEBUG and env_bool("SUPPORTQA_REQUIRE_SECRET", False):
        raise ConfigError("SUPPORTQA_SECRET_KEY must be set in production")
    # Development fallback: a per-installation key kept outside the repository.
    _key_file = DATA_DIR / "secret_key"
    if _key_file.exists():
        _secret = _key_file.read_text().strip()
    else:
        import secrets

        DATA_DIR.mkdir(parents=True, exist_ok=True)
        _secret = secrets.token_urlsafe(50)
        _key_file.write_text(_secret)
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
    "supportqa.accounts",
    "supportqa.audit",
    "supportqa.conversations",
    "supportqa.surveys",
    "supportqa.scorecards",
    "supportqa.reviews",
    "supportqa.calibration",
    "supportqa.assignments",
    "supportqa.integrations",
    "supportqa.autoqa",
    "supportqa.reports",
    "supportqa.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "supportqa.urls"
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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
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

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SUPPORTQA_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = env_int("SUPPORTQA_SESSION_SECONDS", 8 * 3600, minimum=300)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("SUPPORTQA_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
WHITENOISE_USE_FINDERS = True  # serve straight from the package: no collectstatic step needed
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("SUPPORTQA_MAX_UPLOAD_MB", 50, minimum=1) * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

SUPPORTQA_PASS_THRESHOLD = env_int("SUPPORTQA_PASS_THRESHOLD", 80, minimum=1)
SUPPORTQA_FCR_DAYS = env_int("SUPPORTQA_FCR_DAYS", 7, minimum=1)
SUPPORTQA_DISPUTE_DAYS = env_int("SUPPORTQA_DISPUTE_DAYS", 14, minimum=1)
SUPPORTQA_IMPORT_BATCH = env_int("SUPPORTQA_IMPORT_BATCH", 1000, minimum=1)
# A claimed AutoQA job not finished after this many seconds is claimable again (resume).
SUPPORTQA_AUTOQA_STALE_SECONDS = env_int("SUPPORTQA_AUTOQA_STALE_SECONDS", 600, minimum=0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("SUPPORTQA_LOG_LEVEL", "WARNING")},
}
