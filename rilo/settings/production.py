"""Production settings: every secret from the environment, no defaults, hardened cookies."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import database_config, env

DEBUG = False


def _required(name: str) -> str:
    value = env(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. Production settings refuse to start without it; see README.md, 'Configuration'."
        )
    return str(value)


SECRET_KEY = _required("DJANGO_SECRET_KEY")
DATABASES = {"default": database_config(_required("DATABASE_URL"))}
RILO_SECRETS_KEY = _required("RILO_SECRETS_KEY")
RILO_ALLOW_PRIVATE_ENDPOINTS = False  # partner endpoints must be public HTTPS addresses
RILO_ALLOW_DEMO_SEED = False  # never demo accounts with a published password in production
# RILO_PARTNER_PROXY_ALLOWED comes from base.py: off unless the environment turns it on.
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS is not set (comma-separated host names).")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True  # as the session's (HttpOnly and SameSite come from base.py)
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
if EMAIL_USE_TLS and EMAIL_USE_SSL:  # noqa: F405
    raise ImproperlyConfigured(
        "DJANGO_EMAIL_USE_TLS and DJANGO_EMAIL_USE_SSL are both on: choose STARTTLS (TLS) or implicit TLS (SSL)."
    )
