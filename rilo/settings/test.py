"""Test settings: real PostgreSQL and Redis, fast password hashing, e-mail kept in memory."""

import os

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY", default="test-key-not-for-production-use-0123456789abcdef")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Kept in memory; a test that starts Celery workers points them at a real SMTP server on loopback.
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,  # noqa: F405
        # One prefix per pytest-xdist worker: the workers share the Redis database, never each other's entries.
        "KEY_PREFIX": f"rilo-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}",
    }
}
CONN_MAX_AGE = 0

# Partners on this machine (loopback, plain HTTP) are allowed here, never in production.
RILO_ALLOW_PRIVATE_ENDPOINTS = env.bool("RILO_ALLOW_PRIVATE_ENDPOINTS", default=True)
RILO_SECRETS_KEY = env("RILO_SECRETS_KEY", default="OnQtxRGk1Wf8WrrpKMDnZrxY-qvsWlY5dX4E7TkiuOc=")  # not for production

# seed_demo / seed_reports may run here (never in production, where base.py's False stays).
RILO_ALLOW_DEMO_SEED = env.bool("RILO_ALLOW_DEMO_SEED", default=True)

# The uploads' commits check their keys once per value (the tests' role is a superuser); tests/uploads/
# test_foreign_keys.py writes with the triggers too.
RILO_UPLOADS_KEYS_CHECKED_ONCE = env.bool("RILO_UPLOADS_KEYS_CHECKED_ONCE", default=True)
