"""The attachment form: a file whose content must match what its name announces."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..sniffing import ALLOWED_TYPES, DOCX, XLSX, sniff_content_type

# File name extensions and the content types they announce.
_EXTENSION_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".pdf": "application/pdf",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".xlsx": XLSX,
    ".docx": DOCX,
}


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("JPEG, PNG, TIFF, PDF, XLSX or DOCX, at most 20 MB."),
        required=False,
    )
    description = forms.CharField(label=_("Description"), max_length=255, required=False)
    contains_personal_data = forms.BooleanField(
        label=_("Contains personal data (faces, names, documents)"), required=False, initial=True
    )
    shareable = forms.BooleanField(label=_("May be forwarded to partners"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_mb = settings.RILO_ATTACHMENT_MAX_BYTES // (1024 * 1024)
        self.fields["file"].help_text = _("JPEG, PNG, TIFF, PDF, XLSX or DOCX, at most %(limit_mb)s MB.") % {
            "limit_mb": limit_mb
        }

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is None:
            raise ValidationError(_("Choose a file to attach."))
        extension = "." + upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        browser_type = upload.content_type if upload.content_type in ALLOWED_TYPES else None
        announced = _EXTENSION_TYPES.get(extension) or browser_type
        actual = sniff_content_type(upload)
        if announced and actual in ALLOWED_TYPES and actual != announced:
            raise ValidationError(
                _(
                    "The file's name says %(announced)s but its content is %(actual)s. "
                    "Rename it or choose the right file."
                )
                % {"announced": announced, "actual": actual}
            )
        return upload
