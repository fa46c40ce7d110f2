"""Possible duplicates among an upload's reports and against the reports already recorded, by the rule of
:mod:`apps.reports.duplicates` (same country and commodity, seizure dates a day apart at most, quantities within
its tolerance; or the same conveyance identifier), compared in memory: one query for the recorded reports' items
of the file's countries and dates, not one per report. Only reports the uploader may see are compared (and named).
"""

from __future__ import annotations

import datetime as dt
import itertools
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import Q
from django.utils.translation import gettext as _

from apps.core.actor import Actor
from apps.reports.choices import ReportStatus
from apps.reports.duplicates import DATE_WINDOW, TOLERANCE
from apps.reports.models import Conveyance, Report, ReportItem
from apps.reports.validation import normalise_identifier

from .writing import CheckedReport

# The days the rule compares an item with: its own and those within the window either side.
_OFFSETS = range(-DATE_WINDOW.days, DATE_WINDOW.days + 1)
# The possible duplicates a report's problem names. Of each report's, at most GATHERED are gathered, the first
# in one order (the day, then the quantity, the recording administration and the reference: the same whatever
# processes checked the file): a file of one seizure typed 20,000 times costs that many per report, not 20,000.
NAMED = 5
GATHERED = 50
LOOKED = 1000  # the items of one day looked at for one item, at most


@dataclass(frozen=True, slots=True)
class _Seized:
    """One item of one report, as the duplicate rule compares it."""

    reference: str
    administration: str
    country: str
    date: dt.date
    commodity: tuple[str, int | None]  # what it is compared with: its type, else its category (any type)
    category: int | None
    dimension: str
    unit_id: int | None
    quantity: Decimal | None  # normalised when it has a dimension, else as given
    measure: str  # what its quantity is compared in (_measure)
    recorded: tuple[int, int] | None = None  # a recorded item's report and item ids (None: the file's)


def _commodity(type_id: int | None, category_id: int | None) -> tuple[str, int | None]:
    """What an item is compared with, as :mod:`apps.reports.duplicates` decides: the items of its type, else
    (its type not given) every item of its category, whatever their type."""
    return ("type", type_id) if type_id else ("category", category_id)


def _filed_under(item: _Seized) -> set[tuple[str, int | None]]:
    """The commodities an item is found under: its type's items, and its category's (any type)."""
    return {item.commodity, ("category", item.category)} if item.category else {item.commodity}


def _dimension(dimension: str | None, normalised: Decimal | None) -> str:
    """The dimension an item's quantity is compared in: its normalised one when it has a normalised quantity,
    else none (compared in its unit), as :mod:`apps.reports.duplicates` decides."""
    return (dimension or "") if normalised is not None else ""


def _measure(dimension: str, unit_id: int | None) -> str:
    """What a quantity is compared in: its normalised dimension, else its unit (the rule compares no other)."""
    return dimension or f"unit:{unit_id}"


# Items of one country, commodity (a type, or a category) and measure, by day, each day's sorted by quantity:
# (their quantities, the items).
_Key = tuple[str, tuple[str, int | None], str]
_Bucket = tuple[list[Decimal], list[_Seized]]


def _buckets(items: Iterable[_Seized]) -> dict[_Key, dict[dt.date, _Bucket]]:
    grouped: dict[tuple[str, tuple[str, int | None], str, dt.date], list[tuple[Decimal, _Seized]]] = defaultdict(list)
    for item in items:
        if item.quantity is not None:  # the rule compares quantities: an item without one matches nothing
            for commodity in _filed_under(item):
                grouped[item.country, commodity, item.measure, item.date].append((item.quantity, item))
    buckets: dict[_Key, dict[dt.date, _Bucket]] = defaultdict(dict)
    for (country, commodity, measure, date), members in grouped.items():
        members.sort(key=lambda member: (member[0], member[1].administration, member[1].reference))
        buckets[country, commodity, measure][date] = (
            [quantity for quantity, _item in members],
            [item for _quantity, item in members],
        )
    return buckets


class _Window(dict[dt.date, tuple[dt.date, ...]]):
    """The days the rule compares a day with (its own and those within the window either side), each day's
    computed once."""

    def __missing__(self, day: dt.date) -> tuple[dt.date, ...]:
        days = self[day] = tuple(day + dt.timedelta(days=offset) for offset in _OFFSETS)
        return days


def _matching(item: _Seized, buckets: dict[_Key, dict[dt.date, _Bucket]], window: _Window) -> Iterator[_Seized]:
    """The items the rule of :mod:`apps.reports.duplicates` matches with ``item``: same country, commodity and
    measure, dates a day apart at most, quantities within the tolerance (found by bisection in each day's sorted
    bucket: the comparisons grow with the matches, not with the items of a busy day), not its own report."""
    if item.quantity is None or item.commodity[1] is None:  # no commodity (an item always has a category)
        return
    days = buckets.get((item.country, item.commodity, item.measure))
    if days is None:
        return
    low, high = item.quantity * (1 - TOLERANCE), item.quantity * (1 + TOLERANCE)
    for day in window[item.date]:
        bucket = days.get(day)
        if bucket is None:
            continue
        quantities, members = bucket
        start = bisect_left(quantities, low)
        # At most LOOKED of a day's members, in their order: a report of 100,000 alike items is not walked whole
        # for each of them.
        for at in range(start, min(bisect_right(quantities, high), start + LOOKED)):
            other = members[at]
            if other.reference != item.reference or other.administration != item.administration:
                yield other


def _seized(reference: str, report: CheckedReport) -> Iterator[_Seized]:
    values = report.report_values
    country, date = values.get("country_of_seizure"), values.get("seizure_date")
    if not country or not isinstance(date, dt.date):
        return
    for item in report.parts.get("items") or []:
        commodity_type, category, unit = item.get("commodity_type"), item.get("commodity_category"), item.get("unit")
        dimension = _dimension(item.get("normalised_dimension"), item.get("normalised_quantity"))
        yield _Seized(
            reference=reference,
            administration="",
            country=str(country),
            date=date,
            commodity=_commodity(getattr(commodity_type, "pk", None), getattr(category, "pk", None)),
            category=getattr(category, "pk", None),
            dimension=dimension,
            unit_id=getattr(unit, "pk", None),
            quantity=item.get("normalised_quantity") if dimension else item.get("quantity"),
            measure=_measure(dimension, getattr(unit, "pk", None)),
        )


class Found(NamedTuple):
    """What reports of the file (by national reference) may duplicate, in words: by the rule on their items, and
    by a conveyance's identifier (personal data: who may not see it may not read those)."""

    by_items: dict[str, set[str]]
    by_conveyance: dict[str, set[str]]


class Compared:
    """What the rule compares of each checked report (its items, its conveyances' identifiers), kept as the
    check goes rather than the reports themselves; :meth:`found` compares them once every report is checked."""

    def __init__(self) -> None:
        self.items: list[_Seized] = []
        self.identifiers: dict[str, set[str]] = defaultdict(set)
        self.updated: set[int] = set()
        # What is recorded that these items and identifiers may match (see recall): None until looked up.
        self.recorded: list[_Seized] | None = None
        self.recorded_conveyances: set[tuple[str, str, str]] | None = None

    def add(self, reference: str, report: CheckedReport) -> None:
        self.items.extend(_seized(reference, report))
        for conveyance in report.parts.get("conveyances") or []:
            identifier = normalise_identifier(conveyance.get("identifier") or "")
            if identifier:
                self.identifiers[identifier].add(reference)
        if report.existing_id:
            self.updated.add(report.existing_id)

    @classmethod
    def joined(cls, shares: Sequence[Compared]) -> Compared:
        """What several shares of one check compare (the order of the items matters not: what each report may
        duplicate is a set)."""
        if len(shares) == 1:
            return shares[0]
        joined = cls()
        for share in shares:
            joined.items += share.items
            for identifier, references in share.identifiers.items():
                joined.identifiers[identifier] |= references
            joined.updated |= share.updated
        if all(share.recorded is not None for share in shares):
            # Each share's items' records (a recorded item two shares may match, once; a report another share
            # updates, not at all: it is compared as the file has it).
            recorded = {item.recorded: item for share in shares for item in share.recorded or ()}
            joined.recorded = [item for key, item in recorded.items() if key and key[0] not in joined.updated]
        if all(share.recorded_conveyances is not None for share in shares):
            joined.recorded_conveyances = set().union(*(share.recorded_conveyances or () for share in shares))
        return joined

    def recall(self, actor: Actor) -> None:
        """Look up what is recorded that this share's items and identifiers may match, now (each process of a
        check its own share's, the two at once: :meth:`found` then asks the database nothing)."""
        self.recorded = _recorded_items(actor, self.items, updated=self.updated)
        self.recorded_conveyances = set(_recorded_conveyances(actor, list(self.identifiers)))

    def found(self, actor: Actor) -> Found:
        """The reports (by national reference) that may be the same seizure as another report of the file, or
        as a report already recorded that ``actor`` may see (submitted or further, as
        :mod:`apps.reports.duplicates` compares): what each may duplicate, in words."""
        by_items: dict[str, set[str]] = defaultdict(set)
        by_conveyance: dict[str, set[str]] = defaultdict(set)
        recorded = self.recorded
        if recorded is None:
            recorded = _recorded_items(actor, self.items, updated=self.updated)
        buckets = _buckets(itertools.chain(self.items, recorded))
        # The sentences translated once, not once per pair found.
        in_file = _("report %(reference)s of this file")
        recorded_by = _("report %(reference)s already recorded by %(administration)s")
        window = _Window()
        for seized in self.items:
            if len(by_items.get(seized.reference, ())) >= GATHERED:
                continue
            for other in _matching(seized, buckets, window):
                named = by_items[seized.reference]
                named.add(
                    in_file % {"reference": other.reference}
                    if not other.administration
                    else recorded_by % {"reference": other.reference, "administration": other.administration}
                )
                if len(named) >= GATHERED:
                    break
        same_conveyance = _("report %(reference)s of this file (same conveyance)")
        for references in self.identifiers.values():
            first = sorted(references)[: GATHERED + 1]
            for reference in references:
                twins = [twin for twin in first if twin != reference][:GATHERED]
                if twins:
                    by_conveyance[reference].update(same_conveyance % {"reference": twin} for twin in twins)
        conveyances = self.recorded_conveyances
        if conveyances is None:
            conveyances = set(_recorded_conveyances(actor, list(self.identifiers)))
        recorded_named: dict[str, int] = defaultdict(int)
        for reference, administration, identifier in sorted(conveyances):
            for own in self.identifiers.get(identifier, ()):
                if recorded_named[own] < GATHERED:
                    recorded_named[own] += 1
                    by_conveyance[own].add(
                        _("report %(reference)s already recorded by %(administration)s (same conveyance)")
                        % {"reference": reference, "administration": administration}
                    )
        return Found(by_items=by_items, by_conveyance=by_conveyance)


def _recorded(actor: Actor, action: str = "view") -> Any:
    return Report.objects.restrict(actor, action).exclude(status__in=[ReportStatus.DRAFT, ReportStatus.WITHDRAWN])


def _recorded_items(actor: Actor, items: list[_Seized], *, updated: set[Any]) -> list[_Seized]:
    if not items:
        return []
    countries = sorted({item.country for item in items})
    # Only the days the rule can reach from the file's items (and their commodities): a small file compares with
    # a few days of records, not with every record between its earliest and latest seizure.
    window = _Window()
    days = sorted({day for date in {item.date for item in items} for day in window[date]})
    types = sorted({pk for kind, pk in {item.commodity for item in items} if kind == "type" and pk is not None})
    categories = sorted({pk for kind, pk in {item.commodity for item in items} if kind == "category" and pk})
    reports = (
        _recorded(actor).filter(country_of_seizure__in=countries, seizure_date__any=days).exclude(pk__any=list(updated))
    )
    rows = ReportItem.objects.filter(
        Q(commodity_type_id__any=types) | Q(commodity_category_id__any=categories),
        report__in=reports.values("pk"),
    ).values_list(
        "report_id",
        "pk",
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
        report_id, item_id, reference, administration, country, date = row[:6]
        type_id, category_id, dimension, unit_id, normalised, quantity = row[6:]
        found.append(
            _Seized(
                reference=reference,
                administration=administration,
                country=str(country),
                date=date,
                commodity=_commodity(type_id, category_id),
                category=category_id,
                dimension=_dimension(dimension, normalised),
                unit_id=unit_id,
                quantity=normalised if _dimension(dimension, normalised) else quantity,
                measure=_measure(_dimension(dimension, normalised), unit_id),
                recorded=(report_id, item_id),
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
