"""The files the upload pages hand out: a template to fill in, and an upload's file with its faulty cells marked.

A template holds no one's data (the catalogue's columns and the active terms of the vocabularies). A marked copy
is the sender's file again (persons and companies among its rows), so it is offered only while the file is kept,
only through the upload's selector (its administration's uploaders), and each download is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.core.actor import Actor
from apps.core.exceptions import Conflict, PermissionDenied

from .cells import CellProblem
from .choices import UploadFormat
from .models import Upload
from .selectors import may_see_personal_data, upload_errors
from .storage import stored_path

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv"
CSV_TYPE = f"{CSV_MEDIA_TYPE}; charset=utf-8"


@dataclass(frozen=True)
class Download:
    """A file to send: its bytes (or an open file, streamed then closed), its content type and the name the
    browser saves it under."""

    content: bytes | IO[bytes]
    content_type: str
    name: str


def upload_template_file(*, file_format: str, variant: str) -> Download:
    """The template of ``variant`` (simplified or full) as a workbook or a CSV file, made from the field catalogue
    and today's vocabularies."""
    from .blank_files import template_csv, template_xlsx

    if file_format == UploadFormat.CSV:
        return Download(template_csv(variant=variant), CSV_TYPE, f"rilo-reports-{variant}.csv")
    return Download(template_xlsx(variant=variant), XLSX_TYPE, f"rilo-reports-{variant}.xlsx")


def _marked_name(upload: Upload) -> str:
    stem = Path(upload.original_name).stem or "upload"
    safe = "".join(char if char.isalnum() or char in "-_ ." else "_" for char in stem).strip() or "upload"
    return _("%(name)s-errors.xlsx") % {"name": safe[:100]}


def upload_marked_download(*, upload: Upload, actor: Actor) -> Download:
    """``upload``'s file (read through its selector) as a workbook with each faulty cell coloured and commented,
    and an "Errors" sheet; :class:`Conflict` once the file is no longer kept or when it has no error. Audited.

    The file is the sender's, every cell of it (a party's sheet, the modus operandi, whatever else it holds):
    :class:`PermissionDenied` for a user who may not see personal data."""
    from .marked import marked_copy_file

    if not may_see_personal_data(actor):
        raise PermissionDenied(
            _(
                "The file may hold personal data, which you may not see: the errors are listed on this page; ask "
                "a colleague who may see personal data for the marked file."
            ),
            code="personal_data",
        )
    if not upload.file_name:
        raise Conflict(_("The uploaded file is no longer kept: upload it again."), code="upload_purged")
    errors = [
        CellProblem(
            sheet=error.sheet, row=error.row or 1, column=error.column, field=error.field, message=error.message
        )
        for error in upload_errors(upload=upload)
    ]
    if not errors:
        raise Conflict(_("This upload has no error to mark."), code="upload_without_errors")
    content = marked_copy_file(
        stored_path(upload.file_name),
        format=upload.format,
        problems=errors,
        encoding=upload.detected_encoding or None,  # the codec the check read it with
        variant=upload.variant,
    )
    audit_record(actor=actor, action="upload.marked_download", obj=upload, detail={"errors": len(errors)})
    return Download(content, XLSX_TYPE, _marked_name(upload))
