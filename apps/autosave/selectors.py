"""Reads of form drafts: a user only ever reads back their own."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from apps.core.actor import Actor

from .models import FormDraft


def form_draft_get(*, user: Actor, key: uuid.UUID | str) -> FormDraft | None:
    """The user's draft with this key, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        key = uuid.UUID(str(key))
    except ValueError:
        return None
    return FormDraft.objects.filter(key=key, user_id=user.pk, closed_at__isnull=True).first()


def form_drafts_pending(*, user: Actor, form: str, report_id: int | None) -> QuerySet[FormDraft]:
    """The user's unsaved drafts of one form (for one report, or for a new one), newest first."""
    if not getattr(user, "is_authenticated", False):
        return FormDraft.objects.none()
    drafts = FormDraft.objects.filter(user_id=user.pk, form=form, closed_at__isnull=True)
    drafts = drafts.filter(report__isnull=True) if report_id is None else drafts.filter(report_id=report_id)
    return drafts.order_by("-updated_at", "-pk")
