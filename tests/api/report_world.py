"""Reports for the API tests, made through the domain services as real clients would have made them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from apps.accounts.models import User
from apps.reports.models import Report
from apps.reports.services import report_approve, report_create_draft, report_return, report_send_for_review
from tests.reports.factories import ROUTE, complete_fields, item_row

PARTY = {
    "kind": "person",
    "role": "courier",
    "family_name": "Dupont",
    "given_names": "Jean",
    "birth_date": "1980-05-17",
    "nationality": "FR",
    "sex": "M",
    "id_document_type": "passport",
    "id_document_number": "19FR12345",
    "id_document_country": "FR",
}
CONVEYANCE = {"identifier_type": "container", "identifier": "MSCU 123456-5", "flag_country": "PA"}


def report_body(reference: str, **overrides: Any) -> dict[str, Any]:
    """A complete report as a pushing system sends it: codes, and labels where people would type them."""
    fields = complete_fields(national_reference=reference)
    body: dict[str, Any] = {
        **{name: value for name, value in fields.items() if name != "seizure_date"},
        "seizure_date": fields["seizure_date"].isoformat(),
        "items": [item_row()],
        "route": ROUTE,
        "conveyances": [CONVEYANCE],
        "parties": [PARTY],
    }
    body.update(overrides)
    return body


def make_report(
    author: User,
    reference: str,
    *,
    status: str = "draft",
    reviewer: User | None = None,
    seizure_date: dt.date | None = None,
    **fields: Any,
) -> Report:
    """A complete report of ``author``'s administration, taken through the workflow up to ``status``."""
    assert author.administration is not None
    values = complete_fields(
        national_reference=reference, country_of_seizure=str(author.administration.country), **fields
    )
    if seizure_date is not None:
        values["seizure_date"] = seizure_date
    report = report_create_draft(
        actor=author,
        fields=values,
        items=[item_row()],
        route=ROUTE,
        conveyances=[CONVEYANCE],
        parties=[PARTY],
    )
    if status == "draft":
        return report
    report = report_send_for_review(report=report, actor=author)
    if status == "submitted":
        return Report.objects.get(pk=report.pk)
    assert reviewer is not None, "a reviewer takes the report further"
    if status == "returned":
        report = report_return(report=report, actor=reviewer, comment="Check the quantity.")
    elif status == "approved":
        report = report_approve(report=report, actor=reviewer)
    return Report.objects.get(pk=report.pk)
