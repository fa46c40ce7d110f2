"""The demo: ``make demo`` (``python -m demo``), its seeding (``manage.py seed_demo`` / ``seed_reports``) and
the demo partner ("Demo CEN", a receiver on loopback whose page shows what RILO sent it).

A Django app only for its management commands. It may import every app; no app imports it. Nothing here
runs in production: the seeding commands refuse unless ``RILO_ALLOW_DEMO_SEED`` is on (local and test
settings). This module imports no Django: ``python -m demo`` runs before settings are configured.
"""

DEMO_PARTNER_PORT = 8025  # where the demo partner listens; RILO_DEMO_PARTNER_PORT overrides it
