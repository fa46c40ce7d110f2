"""Possible duplicates among an upload's reports and against the reports already recorded, by the rule of
:mod:`apps.reports.duplicates` (same country and commodity, seizure dates a day apart at most, quantities within
its tolerance; or the same conveyance identifier), compared in memory: one query for the recorded reports' items
of the file's countries and dates, not one per report. Only reports the uploader may see are compared (and named).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from apps.core.actor import Actor
from apps.reports.choices import ReportStatus
from apps.reports.duplicates import DATE_WINDOW, TOLERANCE
from apps.reports.models import Conveyance, Report, ReportItem
from apps.reports.validation import normalise_identifier

from .writing import CheckedReport


@dataclass(frozen=True)
class _Seized:
    """One item of one report, as the duplicate rule compares it."""

    reference: str
    administration: str
    country: str
    date: dt.date
    commodity: tuple[str, int | None]
    dimension: str
    unit_id: int | None
    quantity: Decimal | None  # normalised when it has a dimension, else as given


def _commodity(type_id: int | None, category_id: int | None) -> tuple[str, int | None]:
    return ("type", type_id) if type_id else ("category", category_id)


def _matches(item: _Seized, other: _Seized) -> bool:
    """The rule of :mod:`apps.reports.duplicates`: same country and commodity, dates a day apart at most,
    quantities within the tolerance."""
    if item.reference == other.reference and item.administration == other.administration:
        return False
    if abs((item.date - other.date).days) > DATE_WINDOW.days or item.quantity is None or other.quantity is None:
        return False
    if item.dimension != other.dimension or (not item.dimension and item.unit_id != other.unit_id):
        return False
    return item.quantity * (1 - TOLERANCE) <= other.quantity <= item.quantity * (1 + TOLERANCE)


def _seized(reference: str, report: CheckedReport) -> Iterator[_Seized]:
    values = report.report_values
    country, date = values.get("country_of_seizure"), values.get("seizure_date")
    if not country or not isinstance(date, dt.date):
        return
    for item in report.parts.get("items") or []:
        commodity_type, category, unit = item.get("commodity_type"), item.get("commodity_category"), item.get("unit")
        dimension = item.get("normalised_dimension") or ""
        yield _Seized(
            reference=reference,
            administration="",
            country=str(country),
            date=date,
            commodity=_commodity(getattr(commodity_type, "pk", None), getattr(category, "pk", None)),
            dimension=dimension,
            unit_id=getattr(unit, "pk", None),
            quantity=item.get("normalised_quantity") if dimension else item.get("quantity"),
        )


def duplicate_candidates(checked: Sequence[tuple[str, CheckedReport]], *, actor: Actor) -> dict[str, set[str]]:
    """The reports of ``checked`` (by national reference) that may be the same seizure as another report of the
    file, or as a report already recorded that ``actor`` may see (submitted or further, as
    :mod:`apps.reports.duplicates` compares): what each may duplicate, in words."""
    found: dict[str, set[str]] = defaultdict(set)
    if not checked:
        return found
    items = [seized for reference, report in checked for seized in _seized(reference, report)]
    # Bucketed by country, commodity and day: an item is compared only with the items of its own day and the
    # days within the rule's window, so the comparisons grow with the file, not with its square.
    by_day: dict[tuple[str, tuple[str, int | None], dt.date], list[_Seized]] = defaultdict(list)
    for seized in items:
        by_day[seized.country, seized.commodity, seized.date].append(seized)
    recorded = _recorded_items(actor, items, updated={r.existing_id for _ref, r in checked if r.existing_id})
    for seized in recorded:
        by_day[seized.country, seized.commodity, seized.date].append(seized)
    window = [dt.timedelta(days=offset) for offset in _OFFSETS]
    # The sentences translated once, not once per pair found.
    in_file = _("report %(reference)s of this file")
    recorded_by = _("report %(reference)s already recorded by %(administration)s")
    for seized in items:
        for other in (
            other
            for offset in window
            for other in by_day.get((seized.country, seized.commodity, seized.date + offset), ())
        ):
            if _matches(seized, other):
                found[seized.reference].add(
                    in_file % {"reference": other.reference}
                    if not other.administration
                    else recorded_by % {"reference": other.reference, "administration": other.administration}
                )
    identifiers: dict[str, set[str]] = defaultdict(set)
    for reference, report in checked:
        for conveyance in report.parts.get("conveyances") or []:
            identifier = normalise_identifier(conveyance.get("identifier") or "")
            if identifier:
                identifiers[identifier].add(reference)
    same_conveyance = _("report %(reference)s of this file (same conveyance)")
    for references in identifiers.values():
        for reference in references:
            for twin in references - {reference}:
                found[reference].add(same_conveyance % {"reference": twin})
    for reference, administration, identifier in _recorded_conveyances(actor, list(identifiers)):
        for own in identifiers.get(identifier, ()):
            found[own].add(
                _("report %(reference)s already recorded by %(administration)s (same conveyance)")
                % {"reference": reference, "administration": administration}
            )
    return found


_OFFSETS = range(-DATE_WINDOW.days, DATE_WINDOW.days + 1)


def _recorded(actor: Actor, action: str = "view") -> Any:
    return Report.objects.restrict(actor, action).exclude(status__in=[ReportStatus.DRAFT, ReportStatus.WITHDRAWN])


def _recorded_items(actor: Actor, items: list[_Seized], *, updated: set[Any]) -> list[_Seized]:
    if not items:
        return []
    countries = sorted({item.country for item in items})
    # Only the days the rule can reach from the file's items (and their commodities): a small file compares with
    # a few days of records, not with every record between its earliest and latest seizure.
    days = sorted({item.date + dt.timedelta(days=offset) for item in items for offset in _OFFSETS})
    types = sorted({pk for kind, pk in {item.commodity for item in items} if kind == "type" and pk is not None})
    categories = sorted({pk for kind, pk in {item.commodity for item in items} if kind == "category" and pk})
    reports = (
        _recorded(actor).filter(country_of_seizure__in=countries, seizure_date__any=days).exclude(pk__any=list(updated))
    )
    rows = ReportItem.objects.filter(
        Q(commodity_type_id__any=types) | Q(commodity_type__isnull=True, commodity_category_id__any=categories),
        report__in=reports.values("pk"),
    ).values_list(
        "report__national_reference",
        "report__administration__name",
        "report__country_of_seizure",
        "report__seizure_date",
        "commodity_type_id",
        "commodity_category_id",
        "normalised_dimension",
        "unit_id",
        "normalised_quantity",
        "quantity",
    )
    found = []
    for row in rows.iterator(chunk_size=5000):
        reference, administration, country, date, type_id, category_id, dimension, unit_id, normalised, quantity = row
        found.append(
            _Seized(
                reference=reference,
                administration=administration,
                country=str(country),
                date=date,
                commodity=_commodity(type_id, category_id),
                dimension=dimension or "",
                unit_id=unit_id,
                quantity=normalised if dimension else quantity,
            )
        )
    return found


def _recorded_conveyances(actor: Actor, identifiers: list[str]) -> list[tuple[str, str, str]]:
    if not identifiers:
        return []
    return list(
        # A conveyance's identifier is shown only with the right to see personal data: a match would confirm it.
        Conveyance.objects.filter(
            report__in=_recorded(actor, "view_personal_data").values("pk"), identifier__any=identifiers
        ).values_list("report__national_reference", "report__administration__name", "identifier")
    )
