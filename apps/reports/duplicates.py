"""Finding reports that may describe the same seizure (DESIGN.md 1: "one seizure, one report").

A candidate is another non-draft report with either
- the same country of seizure, a seizure date within one day, and an item of the same commodity
  type (or category, when the type is not given) whose quantity is within 10 %; or
- the same conveyance identifier (container, plate, flight, AWB...).
Candidates are stored when a report is submitted, so the reviewer sees them; the reviewer decides.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q, QuerySet

from apps.core.actor import Actor

from .choices import ReportStatus
from .models import Conveyance, DuplicateCandidate, Report, ReportItem

TOLERANCE = Decimal("0.10")
DATE_WINDOW = dt.timedelta(days=1)

# Why a candidate was found (its ``reasons``): by its items, or by a conveyance's identifier, which is personal data.
BY_ITEMS = "date_country_commodity_quantity"
BY_CONVEYANCE = "conveyance_identifier"


def _quantity_match(item: ReportItem) -> Q:
    low, high = (1 - TOLERANCE), (1 + TOLERANCE)
    commodity = (
        Q(items__commodity_type_id=item.commodity_type_id)
        if item.commodity_type_id
        else Q(items__commodity_category_id=item.commodity_category_id)
    )
    if item.normalised_quantity is not None and item.normalised_dimension:
        amount = item.normalised_quantity
        return commodity & Q(
            items__normalised_dimension=item.normalised_dimension,
            items__normalised_quantity__gte=amount * low,
            items__normalised_quantity__lte=amount * high,
        )
    return commodity & Q(
        items__unit_id=item.unit_id, items__quantity__gte=item.quantity * low, items__quantity__lte=item.quantity * high
    )


def find_duplicate_candidates(report: Report) -> dict[int, list[str]]:
    """Ids of possible duplicates of ``report``, with the reasons each matched."""
    others = Report.objects.exclude(pk=report.pk).exclude(status__in=[ReportStatus.DRAFT, ReportStatus.WITHDRAWN])
    found: dict[int, list[str]] = {}
    items = list(report.items.all())
    if items:
        same_case = Q()
        for item in items:
            same_case |= _quantity_match(item)
        nearby = others.filter(
            country_of_seizure=report.country_of_seizure,
            seizure_date__gte=report.seizure_date - DATE_WINDOW,
            seizure_date__lte=report.seizure_date + DATE_WINDOW,
        ).filter(same_case)
        for pk in nearby.values_list("pk", flat=True).distinct():
            found.setdefault(pk, []).append(BY_ITEMS)
    identifiers = [
        value for value in Conveyance.objects.filter(report=report).values_list("identifier", flat=True) if value
    ]
    if identifiers:
        same_conveyance = others.filter(conveyances__identifier__in=identifiers)
        for pk in same_conveyance.values_list("pk", flat=True).distinct():
            found.setdefault(pk, []).append(BY_CONVEYANCE)
    return found


def store_duplicate_candidates(report: Report) -> list[DuplicateCandidate]:
    """Replace the stored candidates of ``report`` with a fresh search."""
    DuplicateCandidate.objects.filter(report=report).delete()
    rows = [
        DuplicateCandidate(report=report, candidate_id=pk, reasons=reasons)
        for pk, reasons in sorted(find_duplicate_candidates(report).items())
    ]
    return DuplicateCandidate.objects.bulk_create(rows)


def candidates_told(actor: Actor, candidates: QuerySet[DuplicateCandidate]) -> QuerySet[DuplicateCandidate]:
    """Of ``candidates``, those ``actor`` may be told of: the report and its candidate both ones they may see, and
    the candidate found by its items, or by a conveyance's identifier alone (personal data) where they may see the
    personal data of both reports, since telling of it tells that the two identifiers are the same."""
    visible = Report.objects.restrict(actor, "view").values("pk")
    personal = Report.objects.restrict(actor, "view_personal_data").values("pk")
    return candidates.filter(report_id__in=visible, candidate_id__in=visible).filter(
        Q(reasons__contains=[BY_ITEMS]) | Q(report_id__in=personal, candidate_id__in=personal)
    )
