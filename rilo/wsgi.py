"""WSGI entry point (gunicorn rilo.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rilo.settings.production")

application = get_wsgi_application()
# Import the URL configuration (and every view module it names) as the process starts, not on its first request:
# a new worker's first requests answer as fast as the others.
get_resolver().url_patterns  # noqa: B018 - evaluated for its imports
