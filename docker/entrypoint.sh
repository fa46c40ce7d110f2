#!/bin/sh
# Starts one process of the system: web (gunicorn), worker (Celery), beat (Celery beat) or migrate.
set -eu
case "${1:-web}" in
  web)
    # Worker class, threads and timeouts: gunicorn.conf.py (WEB_CONCURRENCY, GUNICORN_THREADS, GUNICORN_TIMEOUT).
    exec gunicorn rilo.wsgi:application --config /app/gunicorn.conf.py
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
