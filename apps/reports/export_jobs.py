"""Exports too large to stream in a request: the ``report_export`` kind of background job.

The job runs as its owner: it checks their rights again, rebuilds the list from their own ``restrict()``
scope with the filters they chose, audits the export as a streamed one is, and writes the same file the
page would have streamed. Its file is kept for its owner only while they may still have it
(:func:`report_export_keep`, asked on every download): still active, still holding the list's export rights
(and the personal-data right if the file has personal columns), and still in the post (role, administration,
region) whose scope chose the rows.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from django.http import QueryDict
from django.utils import translation
from django.utils.translation import gettext as _

from apps.core.actor import Actor
from apps.jobs.choices import JobKind
from apps.jobs.kinds import JobOutput, JobRefused, Progress
from apps.jobs.models import Job

from .exports import (
    FORMATS,
    LISTS,
    export_chunks,
    export_download_name,
    export_list,
    export_permissions,
    export_rows,
    has_personal_columns,
)
from .filtersets import filters_used, list_filterset

KIND = JobKind.REPORT_EXPORT


def export_parameters(*, list_name: str, file_format: str, filters: QueryDict, language: str) -> dict[str, Any]:
    """What a ``report_export`` job keeps of the request: the list, the format, the filters as typed."""
    return {"list": list_name, "format": file_format, "filters": dict(filters.lists()), "language": language}


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
        reports = export_list(user=owner, list_name=list_name)
        data = QueryDict(mutable=True)
        for name, values in (parameters.get("filters") or {}).items():
            data.setlist(name, [str(value) for value in values])
        filterset = list_filterset(data, reports, user=owner, queue=list_name == "review_queue")
        if filterset.is_bound and not filterset.is_valid():
            raise JobRefused(_("Some of the list's filters are no longer valid, so the file was not made."))
        rows = export_rows(filterset, list_name=list_name)
        total = rows.count()
        progress(0, total)
        chunks = export_chunks(
            user=owner,
            reports=rows,
            file_format=file_format,
            filters=filters_used(data, filterset),
            job=str(job.uuid),
            rows_read=lambda done: progress(done, total),
        )
        for chunk in chunks:
            file.write(chunk)
        name = export_download_name(list_name=list_name, file_format=file_format)
    return JobOutput(
        download_name=name,
        content_type=FORMATS[file_format],
        personal_data=has_personal_columns(owner),
        owner_scope=scope,
    )
