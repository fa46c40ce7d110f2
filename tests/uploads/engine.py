"""Helpers of the engine's tests: a CSV of the simplified template made from the upload columns, an upload of it
sent through the service, and a snapshot of everything an upload may write."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from apps.reports.models import Conveyance, Party, Report, ReportItem, ReviewEvent, RouteCountry
from apps.uploads.columns import csv_columns
from apps.uploads.models import Upload, UploadProblem
from apps.uploads.services import upload_create

VARIANT = "simplified"


def csv_row(reference: str, **values: Any) -> dict[str, Any]:
    """One CSV row (a report and one of its items) of the simplified template, as typed."""
    return {
        "national_reference": reference,
        "kind": "seizure",
        "country_of_seizure": "FR",
        "seizure_date": "14/03/2025",
        "transport_mode": "3",
        "detection_methods": "XRAY",
        "commodity_type": "cigarettes",
        "description": "Cigarettes in a sofa",
        "quantity": "200000",
        "unit": "STK",
        **values,
    }


def csv_bytes(*rows: dict[str, Any], separator: str = ";", encoding: str = "utf-8") -> bytes:
    """The rows under the simplified CSV template's headers (its column keys)."""
    keys = [column.key for column in csv_columns(variant=VARIANT)]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=separator)
    writer.writerow(keys)
    for row in rows:
        assert set(row) <= set(keys), set(row) - set(keys)
        writer.writerow([row.get(key, "") for key in keys])
    return buffer.getvalue().encode(encoding)


def send(actor: Any, content: bytes, *, name: str = "seizures.csv", **options: Any) -> Upload:
    """``content`` uploaded by ``actor`` through the service, as the page and the API send it."""
    options.setdefault("variant", VARIANT)
    return upload_create(actor=actor, file=SimpleUploadedFile(name, content), name=name, **options)


def written() -> dict[str, Any]:
    """Everything an upload may write: reports and their parts, trail, audit events, uploads and their problems."""
    return {
        "reports": sorted(
            Report.objects.values_list("national_reference", "administration_id", "status", "place", "version")
        ),
        "items": sorted(ReportItem.objects.values_list("report_id", "quantity", "unit_id")),
        "route": RouteCountry.objects.count(),
        "conveyances": Conveyance.objects.count(),
        "parties": Party.objects.count(),
        "trail": ReviewEvent.objects.count(),
        "audit": sorted(AuditEvent.objects.values_list("action", flat=True)),
        "uploads": sorted(Upload.objects.values_list("uuid", "state")),
        "problems": UploadProblem.objects.count(),
    }


def stored_files(root: Path) -> list[str]:
    """The files under the uploads' directory (incoming and kept)."""
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def without_personal_data(user: User) -> User:
    user.groups.get().permissions.remove(Permission.objects.get(codename="view_personal_data_report"))
    return type(user).objects.get(pk=user.pk)  # permissions are cached per user object
