"""English formats: Django's, with short dates written year first (``2024-03-04 14:05``) as the site showed
them so far. The site's English readers are customs officers of many countries, for most of whom Django's
American ``03/04/2024`` is the 3rd of April."""

from django.conf.locale.en.formats import *  # noqa: F403

SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
