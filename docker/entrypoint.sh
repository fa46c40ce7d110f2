#!/bin/sh
# Starts one process of the system: web (gunicorn), worker (Celery), beat (Celery beat) or migrate.
set -eu
case "${1:-web}" in
  web)
    exec gunicorn rilo.wsgi:application --bind 0.0.0.0:8000 \
      --workers "${WEB_CONCURRENCY:-4}" --timeout "${GUNICORN_TIMEOUT:-60}" --access-logfile -
    ;;
  worker)
    exec celery -A rilo worker -l INFO -Q "${CELERY_QUEUES:-default,exchange,mail,uploads,jobs}" \
      --concurrency "${CELERY_CONCURRENCY:-4}"
    ;;
  beat)
    exec celery -A rilo beat -l INFO --scheduler django_celery_beat.schedulers:DatabaseScheduler
    ;;
  migrate)
    exec python manage.py migrate --noinput
    ;;
  *)
    exec "$@"
    ;;
esac
