"""WSGI entry point (gunicorn rilo.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rilo.settings.production")

application = get_wsgi_application()
