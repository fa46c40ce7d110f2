"""Developer and demo settings: DEBUG on, e-mail to the console."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-development-key-not-for-production-use-0123456789")
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Partners on this machine (loopback, plain HTTP) are allowed here, never in production.
RILO_ALLOW_PRIVATE_ENDPOINTS = env.bool("RILO_ALLOW_PRIVATE_ENDPOINTS", default=True)
# A developer behind a proxy may send partner traffic through it here; production refuses unless allowed.
RILO_PARTNER_PROXY_ALLOWED = env.bool("RILO_PARTNER_PROXY_ALLOWED", default=True)
RILO_SECRETS_KEY = env("RILO_SECRETS_KEY", default="OnQtxRGk1Wf8WrrpKMDnZrxY-qvsWlY5dX4E7TkiuOc=")  # not for production

# seed_demo / seed_reports may run here (never in production, where base.py's False stays).
RILO_ALLOW_DEMO_SEED = env.bool("RILO_ALLOW_DEMO_SEED", default=True)
