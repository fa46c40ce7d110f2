"""Writes of form drafts."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.actor import Actor
from apps.core.exceptions import ApplicationError, NotFound

from .models import FormDraft
from .tokens import Ticket

# Form fields that are never stored: they are re-issued by every page.
_NOT_STORED = frozenset({"csrfmiddlewaretoken", "draft_token", "action"})
# A report form with many rows stays far below this; anything bigger is not a person typing.
MAX_PAYLOAD_BYTES = 256 * 1024


def clean_payload(data: Any) -> dict[str, list[str]]:
    """A POST ``QueryDict`` (or a mapping of lists) as plain JSON lists, without tokens."""
    pairs = data.lists() if hasattr(data, "lists") else data.items()
    payload = {
        str(name): [str(value) for value in (values if isinstance(values, list | tuple) else [values])]
        for name, values in pairs
        if name not in _NOT_STORED
    }
    if len(json.dumps(payload)) > MAX_PAYLOAD_BYTES:
        raise ApplicationError(_("This form is too large to be kept."))
    return payload


@transaction.atomic
def form_draft_save(
    *, user: Actor, key: uuid.UUID, form: str, report_id: int | None, payload: dict[str, list[str]]
) -> FormDraft:
    """Keep what ``user`` typed in one form (identified by ``key``), replacing the previous state.

    A key already used by another user, another form or another report is refused as unknown.
    """
    draft = FormDraft.objects.select_for_update().filter(key=key).first()
    if draft is None:
        return FormDraft.objects.create(key=key, user_id=user.pk, form=form, report_id=report_id, payload=payload)
    if draft.user_id != user.pk or draft.form != form or draft.report_id != report_id:
        raise NotFound(_("No such form draft."))
    if draft.closed_at is not None:
        return draft  # saved or discarded meanwhile: a late autosave changes nothing
    draft.payload = payload
    draft.save(update_fields=["payload", "updated_at"])
    return draft


def form_draft_discard(*, user: Actor, key: uuid.UUID, form: str = "", report_id: int | None = None) -> None:
    """Close one form draft of ``user`` (the form was saved, or the user discarded it) and forget its content.

    The row stays, closed, so that an autosave of the same form still in flight is ignored.
    """
    closed = {"payload": {}, "closed_at": timezone.now()}
    try:
        with transaction.atomic():
            FormDraft.objects.update_or_create(
                key=key, user=user, defaults=closed, create_defaults={**closed, "form": form, "report_id": report_id}
            )
    except IntegrityError:
        pass  # the key is another user's: there is nothing of ours to close


def form_drafts_purge(*, older_than: dt.timedelta) -> int:
    """Delete drafts untouched for ``older_than`` (closed or not); returns how many. For a periodic task."""
    deleted, _ = FormDraft.objects.filter(updated_at__lt=timezone.now() - older_than).delete()
    return deleted


def form_draft_save_from_ticket(*, ticket: Ticket, payload: dict[str, list[str]]) -> FormDraft | None:
    """Keep a form posted after its user's session expired, for the user named by the signed ticket.

    Returns None when that user no longer exists or is inactive: nothing is kept for them.
    """
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=ticket.user_id, is_active=True).first()
    if user is None:
        return None
    return form_draft_save(user=user, key=ticket.key, form=ticket.form, report_id=ticket.report_id, payload=payload)
