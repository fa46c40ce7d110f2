"""Forms of the upload pages: the file to check, the template to download, and how to commit.

They parse what the officer chose; the file's content (its format, size, rows) is judged by the services when
the upload is created, and every refusal of theirs is shown on :class:`UploadForm` (``show_errors``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.reports.choices import FormVariant

from .choices import DEFAULT_VARIANT
from .reading_csv import ENCODINGS

# What the officer may say about a CSV file's characters: one of the encodings the reader takes, or "detect"
# (empty), which lets the reader decide from the bytes.
ENCODING_DETECT = ""
ENCODING_CHOICES = ((ENCODING_DETECT, _("Detect from the file")), *ENCODINGS)

TEMPLATE_FORMATS = (("xlsx", _("Excel workbook (XLSX)")), ("csv", _("CSV file (one row per item)")))


def _variant_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Form"),
        choices=FormVariant.choices,
        initial=DEFAULT_VARIANT,
        widget=forms.RadioSelect,
        help_text=_("The same required fields as the web form of that kind."),
    )


class UploadForm(forms.Form):
    """The file to check, how its characters are written (CSV only) and which form's rules apply."""

    file = forms.FileField(label=_("Spreadsheet"), required=False, allow_empty_file=True)
    encoding = forms.ChoiceField(
        label=_("Characters (CSV only)"),
        choices=ENCODING_CHOICES,
        required=False,
        initial=ENCODING_DETECT,
        help_text=_("Leave “Detect” unless the preview shows wrong letters; an XLSX workbook needs no choice."),
    )
    variant = _variant_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_mb = settings.RILO_UPLOAD_MAX_BYTES // (1024 * 1024)
        rows = settings.RILO_UPLOAD_MAX_ROWS
        self.fields["file"].help_text = ngettext(
            "An XLSX workbook or a CSV file made from the template, at most %(limit)s MB and %(rows)s row. "
            "Workbooks with macros (XLSM) are refused.",
            "An XLSX workbook or a CSV file made from the template, at most %(limit)s MB and %(rows)s rows. "
            "Workbooks with macros (XLSM) are refused.",
            rows,
        ) % {"limit": limit_mb, "rows": number_format(rows, force_grouping=True)}
        self.fields["file"].widget.attrs["accept"] = (
            ".xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is None:
            raise ValidationError(_("Choose the spreadsheet to upload."))
        return upload

    def clean_encoding(self) -> str | None:
        """``None`` when the reader is to detect it."""
        return self.cleaned_data.get("encoding") or None


class TemplateForm(forms.Form):
    """Which template to download: workbook or CSV, simplified or full."""

    format = forms.ChoiceField(label=_("Format"), choices=TEMPLATE_FORMATS, initial="xlsx", widget=forms.RadioSelect)
    variant = _variant_field()


COMMIT_AS_DRAFTS = "drafts"
COMMIT_AND_SUBMIT = "submit"


class CommitForm(forms.Form):
    """Whether the checked reports are kept as drafts or submitted for review at once."""

    commit_as = forms.ChoiceField(
        label=_("How to save them"),
        choices=(
            (COMMIT_AS_DRAFTS, _("As drafts: I will check them and submit them myself")),
            (COMMIT_AND_SUBMIT, _("Submitted for review")),
        ),
        initial=COMMIT_AS_DRAFTS,
        widget=forms.RadioSelect,
    )

    @property
    def submit(self) -> bool:
        return self.cleaned_data.get("commit_as") == COMMIT_AND_SUBMIT
