"""Benchmark settings (``make bench``): production-like (DEBUG off) on the local servers, plus a query counter.

Each response carries ``X-DB-Queries``, the number of SQL statements the request ran; rate limits
are lifted so that the load generator measures the application, not the throttle.
"""

from .local import *  # noqa: F403
from .local import MIDDLEWARE, REST_FRAMEWORK, env

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
MIDDLEWARE = ["apps.core.middleware.QueryCountHeaderMiddleware", *MIDDLEWARE]
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"account": "1000000/min", "anonymous": "1000000/min"},
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="WARNING")},
}
# The uploads' commits check their keys once per value (README, "Bulk upload"): `make bench BENCH=upload` measures it.
RILO_UPLOADS_KEYS_CHECKED_ONCE = env.bool("RILO_UPLOADS_KEYS_CHECKED_ONCE", default=True)
