"""Reads of background jobs: every read starts from ``Job.objects.restrict(user)`` (the owner's own)."""

from __future__ import annotations

import uuid as uuid_module

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from apps.core.actor import Actor
from apps.core.exceptions import NotFound

from .models import Job

RECENT = 50


def job_list(*, user: Actor) -> QuerySet[Job]:
    """The user's most recent jobs, newest first."""
    return Job.objects.restrict(user, "view").order_by("-created_at", "-pk")[:RECENT]


def job_get(*, user: Actor, uuid: uuid_module.UUID | str) -> Job:
    """One job of the user, else :class:`NotFound` (another user's job does not exist for them)."""
    try:
        key = uuid if isinstance(uuid, uuid_module.UUID) else uuid_module.UUID(str(uuid))
    except ValueError as error:
        raise NotFound(_("Job not found.")) from error
    job = Job.objects.restrict(user, "view").filter(uuid=key).first()
    if job is None:
        raise NotFound(_("Job not found."))
    return job
