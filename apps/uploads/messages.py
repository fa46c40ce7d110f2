"""What an upload's sender is told when it fails: the words of the services' refusals and failures, and the
language a worker writes them in."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.core.languages import language_of
from apps.reports.validation import shortened

from .cells import storable
from .models import Upload


def sender_language(*, upload_id: int, by: str = "uploaded_by") -> str:
    """The language chosen by the person who sent the upload (``by="committed_by"``: who asked for its commit),
    else the site's: a worker writes the problems and failures it stores for them in it, as a page would."""
    upload = Upload.objects.select_related(by).filter(pk=upload_id).first()
    return language_of(getattr(upload, by, None))


def error_message() -> str:
    """An error on our side: nothing was written."""
    return _(
        "The upload could not be finished because of an error on our side. Nothing was written: "
        "start it again, and tell your administrator if it fails again."
    )


def gave_up_message(attempts: int, *, upload_id: int) -> str:
    """The workers stopped ``attempts`` times on the upload: nothing was written (written by the sweep, in the
    sender's language)."""
    with translation.override(sender_language(upload_id=upload_id)):
        return ngettext(
            "The server working on this upload stopped %(attempts)d time before finishing it. Nothing was written: "
            "start it again, and tell your administrator if it fails again.",
            "The server working on this upload stopped %(attempts)d times before finishing it. Nothing was written: "
            "start it again, and tell your administrator if it fails again.",
            attempts,
        ) % {"attempts": attempts}


def too_large_message(limit: int) -> str:
    """A file past ``limit`` bytes."""
    return _("The file is larger than %(megabytes)d MB: split it into smaller files.") % {
        "megabytes": limit // (1024 * 1024)
    }


def changed_message() -> str:
    """Something changed between the check and the commit: nothing was written."""
    return _(
        "Something changed since the upload was checked (a report was submitted, or a code is no longer in use): "
        "nothing was written. Look at the problems below, correct the file and upload it again."
    )


def recounted_message() -> str:
    """What the commit would write changed since the check, without any error: nothing was written yet."""
    return _(
        "Something changed since the upload was checked (a report with one of its references was recorded "
        "meanwhile): nothing was written. Look at the new counts below, then commit again."
    )


def too_long_message() -> str:
    """A worker spent the time an upload's check or commit may take (``RILO_UPLOADS_TIME_LIMIT``) on it."""
    minutes = max(1, round(settings.RILO_UPLOADS_TIME_LIMIT / 60))
    return ngettext(
        "This upload took longer than the %(minutes)d minute a worker may spend on it: nothing was saved. Split "
        "the file into smaller files and upload them one by one.",
        "This upload took longer than the %(minutes)d minutes a worker may spend on it: nothing was saved. Split "
        "the file into smaller files and upload them one by one.",
        minutes,
    ) % {"minutes": minutes}


def too_many_rows_message(sheet: str) -> str:
    """A sheet (or the CSV file) holds more rows than an upload may."""
    limit = settings.RILO_UPLOAD_MAX_ROWS
    return ngettext(
        "The sheet %(sheet)s has more than %(limit)s row: split the file into several uploads.",
        "The sheet %(sheet)s has more than %(limit)s rows: split the file into several uploads.",
        limit,
    ) % {"sheet": sheet, "limit": number_format(limit, force_grouping=True)}


def formula_message(text: str) -> str:
    """What a cell holding a formula (``text`` starts with ``=``) or an error value is: neither is ever read."""
    shown = shortened(storable(text))  # quoted as typed, but for a NUL, and its start only
    if shown.startswith("="):
        return _(
            "This cell holds a formula (%(formula)s), which is never run: type the value itself "
            "(in Excel: copy, then paste as values)."
        ) % {"formula": shown}
    return _("This cell holds the error %(error)s: type the value itself.") % {"error": shown}


def nul_message() -> str:
    """What a cell holding a NUL character is (no text stored may hold one)."""
    return _(
        "This cell holds a NUL character, an invisible character that cannot be stored: type the cell's text again."
    )


# The longest message stored for a problem: the messages quote values shortened (:func:`shortened`), but for the
# few that quote a whole header, a term's label or a reference as found.
STORED_MESSAGE_LENGTH = 1_000
