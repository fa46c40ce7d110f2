"""Progress of a worker on an upload, written on the upload's row as it goes (the page and the API show it).

The check writes its progress (and heartbeat) in short transactions of its own; the commit, whose one
transaction shows nothing until it ends, writes its progress on a database connection of its own.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any, cast

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.sql import UpdateQuery
from django.utils import timezone

from .choices import UploadState
from .models import Upload


class UploadAbandoned(Exception):
    """The upload is no longer this worker's (cancelled, or taken over by the sweep): stop."""


class CheckProgress:
    """Records a running check's progress and heartbeat every so many rows or seconds; stops the check when the
    upload is no longer this worker's."""

    def __init__(self, upload: Upload) -> None:
        self.upload = upload
        self.read = self.checked = 0
        self._every_rows = settings.RILO_UPLOADS_PROGRESS_ROWS
        self._every_seconds = settings.RILO_UPLOADS_PROGRESS_SECONDS
        self._last_rows = -1
        self._last_time = 0.0

    def __call__(self, read: int, checked: int) -> None:
        self.read, self.checked = read, checked
        now = time.monotonic()
        done = read + checked
        if done - self._last_rows < self._every_rows and now - self._last_time < self._every_seconds:
            return
        self._last_rows, self._last_time = done, now
        # The run is known by when it was claimed: a check the sweep gave to another worker stops here.
        beating = Upload.objects.filter(
            pk=self.upload.pk, state=UploadState.CHECKING, started_at=self.upload.started_at
        ).update(rows_read=read, rows_checked=checked, heartbeat_at=timezone.now())
        if not beating:
            raise UploadAbandoned(str(self.upload.uuid))


def _update_sql(queryset: QuerySet[Any], **values: Any) -> tuple[str, tuple[Any, ...]]:
    """The ORM's UPDATE statement for ``queryset.update(**values)``, to run on another connection."""
    query = cast(UpdateQuery, queryset.query.chain(UpdateQuery))
    query.add_update_values(values)
    sql, params = query.get_compiler(queryset.db).as_sql()
    return sql, tuple(params)


class CommitProgress:
    """Records a running commit's progress on a connection of its own: the commit's transaction shows nothing
    until it ends, and the page must see the rows written meanwhile. Only progress is written there."""

    def __init__(self, upload: Upload) -> None:
        self.upload = upload
        self.written = 0
        self._every_rows = settings.RILO_UPLOADS_PROGRESS_ROWS
        self._every_seconds = settings.RILO_UPLOADS_PROGRESS_SECONDS
        self._last_time = 0.0
        self._last_rows = -1
        self._side = connections.create_connection(DEFAULT_DB_ALIAS)
        self.started_at: dt.datetime | None = None  # this run's, once started: it knows the run

    def _write(self, **values: Any) -> None:
        mine = Upload.objects.filter(pk=self.upload.pk, state=UploadState.COMMITTING)
        if self.started_at is not None:
            mine = mine.filter(started_at=self.started_at)
        sql, params = _update_sql(mine, heartbeat_at=timezone.now(), **values)
        with self._side.cursor() as cursor:
            cursor.execute(sql, params)

    def started(self, at: dt.datetime | None) -> None:
        """The run started ``at`` (counted among the upload's attempts by the commit): only its progress is
        written from now on."""
        self.started_at = at

    def checking(self, read: int, checked: int) -> None:
        self._maybe(read + checked, rows_read=read, rows_checked=checked)

    def writing(self, reports: int, of: int, rows: int) -> None:
        """``reports`` of ``of`` reports written: the same share of the file's ``rows``."""
        self.written = rows * reports // max(of, 1)
        self._maybe(self.written, rows_written=self.written)

    def _maybe(self, done: int, **values: Any) -> None:
        now = time.monotonic()
        if done - self._last_rows < self._every_rows and now - self._last_time < self._every_seconds:
            return
        self._last_rows, self._last_time = done, now
        self._write(**values)

    def close(self) -> None:
        self._side.close()
