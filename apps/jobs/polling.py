"""How a page of background work (a job, an upload) refreshes its progress without keeping a workstation signed in.

The page is opened at a moment the status URL carries (``?opened=``, seconds since the epoch); htmx asks for the
progress block again until the work stops running or ``RILO_JOBS_POLL_SECONDS`` have passed, then the block offers
a "Refresh" link instead (templates/jobs/_progress_bar.html): each refresh renews the session, and a page left
open must not keep it alive for ever. Without JavaScript the same link reloads the page.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpRequest


def page_opened_now() -> int:
    """The moment a page that refreshes itself is opened, as its status URL carries it."""
    return int(time.time())


def page_opened(request: HttpRequest) -> int | None:
    """When the page asking for its progress was opened (the status URL's ``opened``); ``None`` if absent or not a
    number."""
    try:
        return int(request.GET.get("opened", ""))
    except ValueError:
        return None


def still_polling(*, running: bool, opened: int | None) -> bool:
    """Whether the progress block asks for itself again: while the work runs, for ``RILO_JOBS_POLL_SECONDS`` after
    the page was opened."""
    return running and opened is not None and 0 <= time.time() - opened < settings.RILO_JOBS_POLL_SECONDS
