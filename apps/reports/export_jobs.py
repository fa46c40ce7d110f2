"""Exports too large to stream in a request: the ``report_export`` kind of background job.

The job runs as its owner: it checks their rights again, rebuilds the list from their own ``restrict()``
scope with the filters they chose, audits the export as a streamed one is, and writes the same file the
page would have streamed. Its file is kept for its owner only while they may still have it
(:func:`report_export_keep`, asked on every download): still active, still holding the list's export rights
(and the personal-data right if the file has personal columns), and still in the post (role, administration,
region) whose scope chose the rows.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.core.actor import Actor
from apps.core.xlsx import CONTENT_TYPE as XLSX_CONTENT_TYPE
from apps.core.xlsx import xlsx_chunks
from apps.jobs.choices import JobKind
from apps.jobs.kinds import JobOutput, JobRefused, Progress
from apps.jobs.models import Job

from .exports import csv_line, export_audit, export_cells, has_personal_columns, headers
from .filtersets import filters_used, list_filterset
from .selectors import report_list, review_queue

KIND = JobKind.REPORT_EXPORT
FORMATS = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_CONTENT_TYPE}
LISTS = {"reports": "reports", "review_queue": "review-queue"}


def export_parameters(*, list_name: str, file_format: str, filters: QueryDict, language: str) -> dict[str, Any]:
    """What a ``report_export`` job keeps of the request: the list, the format, the filters as typed."""
    return {"list": list_name, "format": file_format, "filters": dict(filters.lists()), "language": language}


def export_permissions(*, list_name: str) -> tuple[str, ...]:
    """The capabilities an export of ``list_name`` needs."""
    if list_name == "review_queue":
        return ("reports.export_report", "reports.review_report")
    return ("reports.export_report",)


def owner_scope(owner: Actor) -> dict[str, Any]:
    """The owner's post, which decides the rows they may export (their ``restrict()`` scope)."""
    return {"role": owner.role, "administration": owner.administration_id, "region": owner.region_id}


def report_export_keep(*, job: Job, owner: Actor) -> bool:
    """Whether ``owner``, as they are now, may still have the file of their finished export ``job``."""
    list_name = job.parameters.get("list")
    if not owner.is_active or list_name not in LISTS or job.owner_scope != owner_scope(owner):
        return False
    if not all(owner.has_perm(name) for name in export_permissions(list_name=list_name)):
        return False
    return not job.personal_data or has_personal_columns(owner)


def _counted(rows: Iterable[list[str]], progress: Progress, total: int) -> Iterator[list[str]]:
    """``rows``, telling ``progress`` of each (it records one in so many: RILO_JOBS_PROGRESS_ROWS)."""
    for done, row in enumerate(rows, start=1):
        yield row
        progress(done, total)


def report_export_run(*, job: Job, file: BinaryIO, progress: Progress) -> JobOutput:
    """Write the export a ``report_export`` job asks for (see :func:`export_parameters`) to ``file``."""
    owner: Actor = job.owner
    scope = owner_scope(owner)  # as the rows are chosen: a later move withholds the file
    parameters = job.parameters
    list_name, file_format = parameters.get("list"), parameters.get("format")
    if list_name not in LISTS or file_format not in FORMATS:
        raise JobRefused(_("This export asks for a list or a format that does not exist."))
    with translation.override(parameters.get("language") or None):
        if not owner.is_active or not all(owner.has_perm(name) for name in export_permissions(list_name=list_name)):
            raise JobRefused(_("You may no longer export this list, so the file was not made."))
        reports = review_queue(user=owner) if list_name == "review_queue" else report_list(user=owner)
        data = QueryDict(mutable=True)
        for name, values in (parameters.get("filters") or {}).items():
            data.setlist(name, [str(value) for value in values])
        filterset = list_filterset(data, reports, user=owner, queue=list_name == "review_queue")
        if filterset.is_bound and not filterset.is_valid():
            raise JobRefused(_("Some of the list's filters are no longer valid, so the file was not made."))
        rows = filterset.qs if filterset.is_bound else reports
        used = filters_used(data, filterset)
        total = rows.count()
        progress(0, total)
        export_audit(user=owner, reports=rows, filters=used, job=str(job.uuid))
        cells = _counted(export_cells(user=owner, reports=rows, hold=True), progress, total)
        if file_format == "xlsx":
            for chunk in xlsx_chunks(itertools.chain([headers(user=owner)], cells), sheet_name=_("Reports")):
                file.write(chunk)
        else:  # the bytes the page streams: PostgreSQL's CSV, after the header
            text = io.TextIOWrapper(file, encoding="utf-8", newline="", write_through=False)
            text.write(csv_line(headers(user=owner)))
            text.writelines(map(csv_line, cells))
            text.flush()
            text.detach()
    name = f"{LISTS[list_name]}-{timezone.localdate().isoformat()}.{file_format}"
    return JobOutput(
        download_name=name,
        content_type=FORMATS[file_format],
        personal_data=has_personal_columns(owner),
        owner_scope=scope,
    )
