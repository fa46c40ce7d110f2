"""Files attached to a report: checked by their bytes, stored, audited."""

from __future__ import annotations

import hashlib
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext

from apps.audit.services import audit_record
from apps.core.actor import Actor

from ..choices import EDITABLE_STATES
from ..models import Attachment, Report
from ..sniffing import ALLOWED_TYPES, sniff_content_type
from .steps import lock, require_right, require_state


@transaction.atomic
def report_attachment_add(
    *,
    report: Report,
    actor: Actor,
    content: IO[bytes],
    original_name: str,
    contains_personal_data: bool = True,
    shareable: bool = False,
    description: str = "",
) -> Attachment:
    """Attach a file to a draft or returned report. Its type is sniffed from its bytes; its size is limited."""
    locked = lock(report=report, actor=actor)
    require_state(locked, EDITABLE_STATES, "attach")
    require_right(locked, actor, "change", "attach")
    limit = settings.RILO_ATTACHMENT_MAX_BYTES
    content.seek(0, 2)
    size = content.tell()
    content.seek(0)
    if size == 0:
        raise ValidationError({"file": [gettext("The file is empty.")]})
    if size > limit:
        raise ValidationError(
            {"file": [gettext("The file is larger than %(megabytes)d MB.") % {"megabytes": limit // (1024 * 1024)}]}
        )
    content_type = sniff_content_type(content)
    if content_type not in ALLOWED_TYPES:
        raise ValidationError({"file": [gettext("Only JPEG, PNG, TIFF, PDF, XLSX and DOCX files can be attached.")]})
    digest = hashlib.sha256()
    for chunk in iter(lambda: content.read(1024 * 1024), b""):
        digest.update(chunk)
    content.seek(0)
    attachment = Attachment(
        report=locked,
        original_name=(original_name or "attachment")[:255],
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
        description=(description or "").strip()[:255],
        contains_personal_data=contains_personal_data,
        shareable=shareable,
        uploaded_by_id=actor.pk,
    )
    attachment.file.save("upload", File(content), save=False)
    attachment.save()
    audit_record(
        actor=actor,
        action="report.attachment_add",
        obj=locked,
        detail={"attachment": attachment.pk, "content_type": content_type, "size": size},
    )
    return attachment
