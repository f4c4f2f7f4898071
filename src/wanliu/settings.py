"""Wanliu settings: one module, driven by the environment.

Environment variables:
- ``DATABASE_URL``: database; default is the embedded SQLite file ``var/wanliu.sqlite3``.
- ``WANLIU_SECRET_KEY``: secret key; when unset one is generated once into ``var/secret_key``.
- ``WANLIU_VAR_DIR``: where runtime files live (database, secret, uploads, models).
- ``WANLIU_DEBUG``: ``1`` for debug pages.
- ``WANLIU_ALLOWED_HOSTS``: comma-separated host names.
- ``WANLIU_EMAIL_*``, ``WANLIU_SMS_*``, ``WANLIU_WEBHOOK_*``, ``WANLIU_NOTIFY_*``: notification
  channels and relay (docs/notifications.md).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
import plotly
from django.core.exceptions import ImproperlyConfigured

SRC_DIR = Path(__file__).resolve().parent
REPO_DIR = SRC_DIR.parent.parent
VAR_DIR = Path(os.environ.get("WANLIU_VAR_DIR", REPO_DIR / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    from_env = os.environ.get("WANLIU_SECRET_KEY")
    if from_env:
        return from_env
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("WANLIU_DEBUG", "") == "1"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("WANLIU_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("WANLIU_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "wanliu.core",
    "wanliu.org",
    "wanliu.customers",
    "wanliu.retention",
    "wanliu.scoring",
    "wanliu.notify",
    "wanliu.complaints",
    "wanliu.analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "wanliu.core.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "wanliu.urls"
WSGI_APPLICATION = "wanliu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wanliu.core.context_processors.staff",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'wanliu.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
else:
    DATABASES["default"]["TEST"] = {"NAME": DATABASES["default"].get("NAME")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [SRC_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
# Plotly's JavaScript ships inside the plotly wheel: serve it from there (pages work offline).
STATICFILES_DIRS = [
    SRC_DIR / "static",
    ("plotly", Path(plotly.__file__).resolve().parent / "package_data"),
]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
    }
}

# Failed logins: at most this many per username (and per client address) in the window.
WANLIU_LOGIN_MAX_FAILURES = int(os.environ.get("WANLIU_LOGIN_MAX_FAILURES", "5"))
WANLIU_LOGIN_WINDOW_SECONDS = int(os.environ.get("WANLIU_LOGIN_WINDOW_SECONDS", "900"))
WANLIU_API_TOKEN_DAYS = int(os.environ.get("WANLIU_API_TOKEN_DAYS", "30"))

# Absolute base of links sent to customers (survey links in SMS and e-mail).
WANLIU_PUBLIC_BASE_URL = os.environ.get("WANLIU_PUBLIC_BASE_URL", "")

# Notifications (wanliu.notify): see docs/notifications.md
EMAIL_HOST = os.environ.get("WANLIU_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("WANLIU_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("WANLIU_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("WANLIU_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("WANLIU_EMAIL_USE_TLS", "") == "1"
EMAIL_USE_SSL = os.environ.get("WANLIU_EMAIL_USE_SSL", "") == "1"
EMAIL_TIMEOUT = int(os.environ.get("WANLIU_EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("WANLIU_EMAIL_FROM", "Wanliu <noreply@wanliu.local>")
WANLIU_NOTIFY_LEASE_SECONDS = int(os.environ.get("WANLIU_NOTIFY_LEASE_SECONDS", "120"))
WANLIU_NOTIFY_TIMEOUT_SECONDS = int(os.environ.get("WANLIU_NOTIFY_TIMEOUT_SECONDS", "30"))
WANLIU_NOTIFY_RELAY_BATCH = int(os.environ.get("WANLIU_NOTIFY_RELAY_BATCH", "100"))
WANLIU_NOTIFY_MESSAGE_ID_DOMAIN = os.environ.get("WANLIU_NOTIFY_MESSAGE_ID_DOMAIN", "")
WANLIU_SMS_GATEWAY_URL = os.environ.get("WANLIU_SMS_GATEWAY_URL", "")
WANLIU_SMS_GATEWAY_SECRET = os.environ.get("WANLIU_SMS_GATEWAY_SECRET", "")
WANLIU_SMS_SENDER_ID = os.environ.get("WANLIU_SMS_SENDER_ID", "")
WANLIU_WEBHOOK_URL = os.environ.get("WANLIU_WEBHOOK_URL", "")
WANLIU_WEBHOOK_SECRET = os.environ.get("WANLIU_WEBHOOK_SECRET", "")
# System events sent by webhook (wanliu.notify.events): names, prefixes ending in ".", "*".
WANLIU_WEBHOOK_EVENTS = tuple(
    item.strip() for item in os.environ.get("WANLIU_WEBHOOK_EVENTS", "").split(",") if item.strip()
)
WANLIU_WEBHOOK_RECIPIENT = os.environ.get("WANLIU_WEBHOOK_RECIPIENT", "operator-systems")


def notify_channels_from(text: str) -> dict[str, str]:
    """``WANLIU_NOTIFY_CHANNELS``: comma-separated ``name=dotted.ClassPath`` pairs that
    replace the built-in class of a channel (``email``, ``sms`` or ``webhook``)."""
    known = {"email", "sms", "webhook"}
    channels: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        name, equals, path = (part.strip() for part in item.partition("="))
        if not equals or name not in known or not path:
            raise ImproperlyConfigured(
                f"WANLIU_NOTIFY_CHANNELS: {item.strip()!r} is not name=dotted.ClassPath "
                f"with name one of {', '.join(sorted(known))}"
            )
        channels[name] = path
    return channels


WANLIU_NOTIFY_CHANNELS = notify_channels_from(os.environ.get("WANLIU_NOTIFY_CHANNELS", ""))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("WANLIU_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
