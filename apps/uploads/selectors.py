"""Reads of uploads: every read starts from ``Upload.objects.restrict(user)`` (their administration's)."""

from __future__ import annotations

import uuid as uuid_module

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from apps.core.actor import Actor
from apps.core.exceptions import NotFound

from .choices import ProblemKind
from .models import Upload, UploadProblem


def upload_list(*, user: Actor) -> QuerySet[Upload]:
    """The uploads of the user's administration, newest first (``-created_at, -pk``: the order the list page's
    keyset and the API's pages cut), never sliced here: every upload is reachable a page at a time."""
    return Upload.objects.restrict(user, "view").select_related("uploaded_by").order_by("-created_at", "-pk")


def upload_get(*, user: Actor, uuid: uuid_module.UUID | str, action: str = "view") -> Upload:
    """One upload the user may ``action``, else :class:`NotFound` (another administration's upload does not
    exist for them)."""
    try:
        key = uuid if isinstance(uuid, uuid_module.UUID) else uuid_module.UUID(str(uuid))
    except ValueError as error:
        raise NotFound(_("Upload not found.")) from error
    upload = Upload.objects.restrict(user, action).filter(uuid=key).first()
    if upload is None:
        raise NotFound(_("Upload not found."))
    return upload


def upload_problems(*, upload: Upload, kind: str | None = None) -> QuerySet[UploadProblem]:
    """The problems of an upload already read through :func:`upload_get`, in file order."""
    problems = UploadProblem.objects.filter(upload=upload)
    if kind is not None:
        problems = problems.filter(kind=kind)
    return problems.order_by("pk")


def upload_errors(*, upload: Upload) -> QuerySet[UploadProblem]:
    return upload_problems(upload=upload, kind=ProblemKind.ERROR)


def upload_duplicates(*, upload: Upload) -> QuerySet[UploadProblem]:
    return upload_problems(upload=upload, kind=ProblemKind.DUPLICATE)
