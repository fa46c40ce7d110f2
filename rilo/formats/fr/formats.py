"""French formats: Django's, with thousands grouped by a narrow no-break space (U+202F), as French typography
and the browsers' Intl.NumberFormat (CLDR) write them, so that the dashboards' charts and tables agree."""

from django.conf.locale.fr.formats import *  # noqa: F403

THOUSAND_SEPARATOR = "\N{NARROW NO-BREAK SPACE}"
