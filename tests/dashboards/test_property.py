"""For random reports and random filters, every panel's figures equal a plain computation over the reports.

The reports are written directly (any state, duplicates, routes, items in several unit families, persons);
their buckets are marked and recomputed as the workflow's would be; then each panel is computed from the
summaries (where the filters allow) and from the base tables, and both must equal what a plain loop over the
reports, their items, route and parties counts under the same filters.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from apps.dashboards import fills
from apps.dashboards.filtersets import StatisticsFilters
from apps.dashboards.models import LargestItem
from apps.dashboards.panels import PANELS, SMALL_CELL, PanelContext
from apps.dashboards.selectors import BaseSource, FigureSource, SummarySource, statistics_scope
from apps.dashboards.services import statistics_mark_dirty, statistics_rebuild, statistics_recompute_dirty
from apps.reference.models import ConcealmentMethod, Currency, DetectionMethod, TransportMode, Unit
from apps.reports.models import Operation, Party, Report, ReportItem, RouteCountry
from apps.reports.profiles import age_band
from tests.builders import vocabulary
from tests.dashboards.summary_rows import summary_rows

DAY0 = dt.date(2024, 11, 1)
STATES = ["draft", "submitted", "approved", "withdrawn", "returned"]
COUNTRIES = ["FR", "DE", "CO", "PA", "NL"]


def _terms() -> dict[str, Any]:
    terms = dict(vocabulary())
    terms["sea"] = TransportMode.objects.get_or_create(code="1", defaults={"label": "Sea"})[0]
    terms["dog"] = DetectionMethod.objects.get_or_create(code="DOG", defaults={"label": "Dog"})[0]
    terms["LTR"] = Unit.objects.get_or_create(
        code="LTR", defaults={"label": "Litre", "dimension": Unit.Dimension.VOLUME, "factor": Decimal(1)}
    )[0]
    terms["BOX"] = Unit.objects.get_or_create(code="XBX", defaults={"label": "Box", "dimension": Unit.Dimension.OTHER})[
        0
    ]
    terms["hidden"] = ConcealmentMethod.objects.get_or_create(code="LUGGAGE", defaults={"label": "Luggage"})[0]
    terms["EUR"] = Currency.objects.get_or_create(code="EUR", defaults={"label": "Euro"})[0]
    terms["USD"] = Currency.objects.get_or_create(code="USD", defaults={"label": "US dollar"})[0]
    return terms


items_st = st.lists(
    st.fixed_dictionaries(
        {
            "category": st.sampled_from(["drugs", "tobacco"]),
            "unit": st.sampled_from(["KGM", "STK", "LTR", "BOX"]),
            "quantity": st.integers(1, 500),
            "value": st.one_of(st.none(), st.integers(1, 1000)),
            "currency": st.sampled_from(["EUR", "USD"]),
            "concealed": st.booleans(),
            "brand": st.sampled_from(["", "Marlboro", "marlboro "]),
        }
    ),
    min_size=1,
    max_size=3,
)
report_st = st.fixed_dictionaries(
    {
        "admin": st.integers(0, 1),
        "state": st.sampled_from(STATES),
        "duplicate": st.booleans(),
        "day": st.integers(0, 420),
        "hour": st.one_of(st.none(), st.integers(0, 23)),
        "mode": st.sampled_from([None, "road", "sea"]),
        "detection": st.sets(st.sampled_from(["xray", "dog"])),
        "operation": st.booleans(),
        "origin": st.one_of(st.none(), st.sampled_from(COUNTRIES)),
        "transit": st.lists(st.sampled_from(COUNTRIES), max_size=2, unique=True),
        "destination": st.one_of(st.none(), st.sampled_from(COUNTRIES)),
        "persons": st.lists(st.tuples(st.sampled_from(["FR", "CO", ""]), st.sampled_from(["M", "F", ""])), max_size=2),
        "submitted_after": st.integers(0, 30),
        "items": items_st,
    }
)


def _month_end(day: dt.date) -> dt.date:
    following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


filters_st = st.fixed_dictionaries(
    {
        "period": st.sampled_from(["none", "months", "days"]),
        "start": st.integers(0, 400),
        "length": st.integers(0, 200),
        "category": st.sampled_from(["", "drugs", "tobacco"]),
        "states": st.sampled_from([("approved",), ("approved", "submitted")]),
        "operation": st.booleans(),
        "mode": st.sampled_from(["", "3"]),
        "country": st.sampled_from(["", "seizure:FR", "transit:PA", "origin:CO", "destination:DE"]),
        "admin": st.sampled_from([None, 0, 1]),
    }
)


def _write(
    spec: dict[str, Any], *, terms: dict[str, Any], admins: list[Any], operation: Operation, original: Report | None
) -> Report:
    day = DAY0 + dt.timedelta(days=spec["day"])
    submitted = (
        None
        if spec["state"] == "draft"
        else dt.datetime.combine(day + dt.timedelta(days=spec["submitted_after"]), dt.time(12), tzinfo=dt.UTC)
    )
    administration = admins[spec["admin"]]
    report = Report.objects.create(
        administration=administration,
        national_reference=f"P-{Report.objects.count() + 1}",
        status=spec["state"],
        seizure_date=day,
        seizure_time=dt.time(spec["hour"]) if spec["hour"] is not None else None,
        country_of_seizure=administration.country.code,
        transport_mode=terms[spec["mode"]] if spec["mode"] else None,
        operation=operation if spec["operation"] else None,
        duplicate_of=original if spec["duplicate"] and original is not None else None,
        submitted_at=submitted,
    )
    report.detection_methods.set([terms[code] for code in sorted(spec["detection"])])
    for position, item in enumerate(spec["items"], start=1):
        unit = terms[item["unit"]]
        kind = terms["cocaine"] if item["category"] == "drugs" else terms["cigarettes"]
        ReportItem.objects.create(
            report=report,
            position=position,
            commodity_category=terms[item["category"]],
            commodity_type=kind,
            quantity=Decimal(item["quantity"]),
            unit=unit,
            normalised_quantity=unit.normalise(Decimal(item["quantity"])),
            normalised_dimension=unit.dimension if unit.normalise(Decimal(1)) is not None else "",
            estimated_value=Decimal(item["value"]) if item["value"] is not None else None,
            currency=terms[item["currency"]] if item["value"] is not None else None,
            concealment_method=terms["hidden"] if item["concealed"] else None,
            brand=item["brand"],
        )
    steps = [
        ("origin", spec["origin"]),
        *(("transit", c) for c in spec["transit"]),
        ("destination", spec["destination"]),
    ]
    for sequence, (role, country) in enumerate([(r, c) for r, c in steps if c], start=1):
        RouteCountry.objects.create(report=report, sequence=sequence, role=role, country=country)
    for position, (nationality, sex) in enumerate(spec["persons"], start=1):
        Party.objects.create(
            report=report, position=position, nationality=nationality, sex=sex, birth_date=dt.date(1990, 1, 1)
        )
    return report


def _filters(spec: dict[str, Any], admins: list[Any], operation: Operation) -> StatisticsFilters:
    start = DAY0 + dt.timedelta(days=spec["start"])
    end = start + dt.timedelta(days=spec["length"])
    period: dict[str, Any] = {}
    if spec["period"] == "months":
        period = {"date_from": start.replace(day=1), "date_to": _month_end(end)}
    elif spec["period"] == "days":
        period = {"date_from": start, "date_to": end}
    role, _sep, country = spec["country"].partition(":")
    return StatisticsFilters(
        **period,
        category=spec["category"],
        states=spec["states"],
        operation=operation.code if spec["operation"] else "",
        transport_mode=spec["mode"],
        country=country,
        country_role=role or "seizure",
        administrations=(admins[spec["admin"]].pk,) if spec["admin"] is not None else (),
    )


# --- the plain computation -----------------------------------------------------------------------


def _selected(filters: StatisticsFilters, scope_admins: set[int]) -> list[Report]:
    """The counted reports the filters select, by a plain loop over every report."""
    chosen = []
    for report in Report.objects.prefetch_related(
        "items__commodity_category", "route", "detection_methods"
    ).select_related("transport_mode"):
        if report.status not in filters.states or report.duplicate_of_id is not None:
            continue
        if report.administration_id not in (set(filters.administrations) or scope_admins):
            continue
        if filters.date_from and report.seizure_date < filters.date_from:
            continue
        if filters.date_to and report.seizure_date > filters.date_to:
            continue
        if filters.operation and (report.operation is None or report.operation.code != filters.operation):
            continue
        if filters.transport_mode and (
            report.transport_mode is None or report.transport_mode.code != filters.transport_mode
        ):
            continue
        if filters.country and filters.country_role == "seizure" and report.country_of_seizure.code != filters.country:
            continue
        if (
            filters.country
            and filters.country_role != "seizure"
            and not any(
                s.role == filters.country_role and s.country.code == filters.country for s in report.route.all()
            )
        ):
            continue
        if filters.category and not any(i.commodity_category.code == filters.category for i in report.items.all()):
            continue
        chosen.append(report)
    return chosen


def _items(reports: list[Report], filters: StatisticsFilters) -> list[ReportItem]:
    return [
        i
        for r in reports
        for i in r.items.all()
        if not filters.category or i.commodity_category.code == filters.category
    ]


def _code(term: Any) -> str:
    return str(term.code) if term is not None else ""


def _quantity(item: ReportItem) -> Decimal:
    return item.normalised_quantity if item.normalised_quantity is not None else Decimal(0)


def _first(report: Report, roles: tuple[str, ...]) -> str:
    steps = sorted((roles.index(s.role), s.sequence, s.country.code) for s in report.route.all() if s.role in roles)
    return steps[0][2] if steps else ""


def expected(key: str, reports: list[Report], filters: StatisticsFilters) -> Any:
    items = _items(reports, filters)
    family_qty: dict[str, Decimal] = defaultdict(Decimal)
    for item in items:
        if item.normalised_dimension:
            family_qty[item.normalised_dimension] += _quantity(item)
    if key == "key_figures":
        return {
            "reports": len(reports),
            "administrations": len({r.administration_id for r in reports}),
            "items": len(items),
            "value": float(
                sum((i.estimated_value or Decimal(0) for i in items if _code(i.currency) == "EUR"), Decimal(0))
            ),
            **{f"quantity_{f}": float(family_qty[f]) for f in ("mass", "volume", "sticks", "count")},
        }
    if key == "transport_mode":
        return Counter(r.transport_mode.code if r.transport_mode else "" for r in reports)
    if key == "map":
        return Counter(r.country_of_seizure.code for r in reports)
    if key == "detection_method":
        return Counter(code for r in reports for code in ({m.code for m in r.detection_methods.all()} or {""}))
    if key == "routes":
        return Counter(
            (_first(r, ("departure", "origin")), _first(r, ("destination", "intended_destination"))) for r in reports
        )
    if key == "transit":
        return Counter(c for r in reports for c in {s.country.code for s in r.route.all() if s.role == "transit"})
    if key == "weekday_hour":
        return Counter((r.seizure_date.isoweekday(), r.seizure_time.hour) for r in reports if r.seizure_time)
    if key == "trend":
        return Counter(
            (f"{r.seizure_date:%Y-%m}", c)
            for r in reports
            for c in {i.commodity_category.code for i in r.items.all()}
            if not filters.category or c == filters.category
        )
    if key == "categories":
        counted: Counter[tuple[str, str]] = Counter((i.commodity_category.code, _code(i.commodity_type)) for i in items)
        return counted
    if key == "concealment":
        return Counter(_code(i.concealment_method) for i in items)
    if key == "joint_operations":
        ops: dict[str, tuple[int, set[int]]] = {}
        for r in reports:
            if r.operation_id:
                n, admins = ops.get(_code(r.operation), (0, set()))
                ops[_code(r.operation)] = (n + 1, admins | {r.administration_id})
        return {code: (n, len(admins)) for code, (n, admins) in ops.items()}
    if key == "largest_seizures":
        by_family: dict[str, list[float]] = defaultdict(list)
        for i in items:
            if i.normalised_dimension:
                by_family[i.normalised_dimension].append(float(_quantity(i)))
        return {f: sorted(q, reverse=True)[:10] for f, q in by_family.items()}
    if key == "submission_delay":
        days = [(r.submitted_at.date() - r.seizure_date).days for r in reports if r.submitted_at]
        return statistics.median(days) if days else None
    if key == "drug_types":
        kg: dict[str, float] = defaultdict(float)
        for i in items:
            if i.commodity_category.code == "drugs" and i.normalised_dimension == "mass":
                kg[_code(i.commodity_type)] += float(_quantity(i))
        return dict(kg)
    if key == "tobacco_brands":
        return Counter(
            (i.brand.strip().upper(), i.genuineness)
            for i in items
            if i.commodity_category.code == "tobacco" and i.brand
        )
    if key == "offender_nationality":
        persons = Counter(p.nationality.code for r in reports for p in r.parties.all())
        return {k: "< 3" if 0 < v < SMALL_CELL else v for k, v in persons.items()}
    if key == "offender_age_band":
        persons = Counter(age_band(p.birth_date, on=r.seizure_date) or "" for r in reports for p in r.parties.all())
        return {k: "< 3" if 0 < v < SMALL_CELL else v for k, v in persons.items()}
    raise KeyError(key)


def shown(key: str, rows: list[dict[str, Any]]) -> Any:
    """The panel's rows in the shape of :func:`expected`."""
    if key == "key_figures":
        return {r["figure"]: r["value"] for r in rows}
    if key in {"transport_mode", "map", "detection_method", "transit"}:
        return Counter({r["value"]: r["reports"] for r in rows})
    if key == "routes":
        return Counter({(r["from"], r["to"]): r["reports"] for r in rows})
    if key == "weekday_hour":
        return Counter({(r["weekday"], r["hour"]): r["reports"] for r in rows})
    if key == "trend":
        return Counter({(r["month"], r["category"]): r["reports"] for r in rows if r["reports"]})
    if key == "categories":
        return Counter({(r["category"], r["type"]): r["items"] for r in rows})
    if key == "concealment":
        return Counter({r["value"]: r["items"] for r in rows})
    if key == "joint_operations":
        return {r["operation"]: (r["reports"], r["administrations"]) for r in rows}
    if key == "largest_seizures":
        by_family: dict[str, list[float]] = defaultdict(list)
        for r in rows:
            by_family[r["unit_family"]].append(r["quantity"])
        return dict(by_family)
    if key == "submission_delay":
        return next(r["days"] for r in rows if r["figure"] == "median")
    if key == "drug_types":
        return {r["value"]: r["kg"] for r in rows}
    if key == "tobacco_brands":
        return Counter({(r["brand"], r["genuineness"]): r["items"] for r in rows})
    if key in {"offender_nationality", "offender_age_band"}:
        return {r["value"]: r["persons"] for r in rows}
    raise KeyError(key)


CHECKED = [
    "key_figures", "transport_mode", "map", "detection_method", "routes", "transit", "weekday_hour", "trend",
    "categories", "concealment", "joint_operations", "largest_seizures", "submission_delay", "drug_types",
    "tobacco_brands", "offender_nationality", "offender_age_band",
]  # fmt: skip


def test_every_panel_not_checked_here_is_a_live_or_derived_one():
    assert set(PANELS) - set(CHECKED) == {
        "direction", "location_type", "selection_basis", "cites_species", "cash_currency", "offender_sex",
        "reports_per_administration", "unknown_shares", "review_queue", "forwarding",
    }  # fmt: skip


@pytest.fixture
def terms(france):
    """The vocabulary terms, written once per test (outside the examples' rolled-back transactions)."""
    return _terms() | {"operation": Operation.objects.get_or_create(code="op-x", defaults={"name": "Operation X"})[0]}


# No shrinking: each example writes and counts reports for about a second, so shrinking one takes minutes; the
# failing example is printed whole instead.
@settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(reports=st.lists(report_st, min_size=1, max_size=7), filter_specs=st.lists(filters_st, min_size=1, max_size=3))
def test_every_panel_equals_a_plain_count_of_the_reports(france, germany, erin, terms, reports, filter_specs):
    operation = terms["operation"]
    with transaction.atomic():
        admins = [france, germany]
        previous = None
        for spec in reports:
            previous = _write(spec, terms=terms, admins=admins, operation=operation, original=previous)
            statistics_mark_dirty(report=previous)
        statistics_recompute_dirty()
        scope = statistics_scope(user=erin)
        assert scope is not None
        for spec in filter_specs:
            filters = _filters(spec, admins, operation)
            wanted = _selected(filters, set(scope.administration_ids))
            sources: list[FigureSource] = [BaseSource(filters, scope)]
            if filters.summarisable():
                sources.append(SummarySource(filters, scope))
            for key in CHECKED:
                want = expected(key, wanted, filters)
                for source in sources:
                    context = PanelContext(user=erin, filters=filters, scope=scope, source=source)
                    got = shown(key, PANELS[key].compute(context).rows)
                    assert got == want, (key, source.kind, filters)
        transaction.set_rollback(True)


@settings(
    max_examples=10,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(reports=st.lists(report_st, min_size=1, max_size=7))
def test_a_rebuild_gives_the_rows_of_the_bucket_recomputes(france, germany, kazakhstan, terms, reports):
    """A month's rebuild (every administration and place at once) and the recomputes of its buckets and regions'
    months (each on its own) write the same rows, in every summary table."""
    with transaction.atomic():
        admins = [france, germany, kazakhstan]
        previous = None
        for n, spec in enumerate(reports):
            spec = {**spec, "admin": n % 3}
            previous = _write(spec, terms=terms, admins=admins, operation=terms["operation"], original=previous)
            statistics_mark_dirty(report=previous)
        statistics_recompute_dirty()
        recomputed = summary_rows()
        statistics_rebuild()  # in this transaction: month by month on this connection
        assert summary_rows() == recomputed
        transaction.set_rollback(True)


def test_the_largest_items_are_ten_per_partition_equal_quantities_by_item(france, terms):
    """Twelve items of one bucket and category in kilograms, twelve in litres, each with the same quantity: the ten
    first of each unit family kept (ranked within it, equal quantities by item)."""
    with transaction.atomic():
        items = [{"category": "drugs", "unit": unit, "quantity": 5, "value": None, "currency": "EUR",
                  "concealed": False, "brand": ""} for unit in ["KGM", "LTR"] * 12]  # fmt: skip
        spec = {"admin": 0, "state": "approved", "duplicate": False, "day": 10, "hour": None, "mode": None,
                "detection": set(), "operation": False, "origin": None, "transit": [], "destination": None,
                "persons": [], "submitted_after": 1, "items": items}  # fmt: skip
        report = _write(spec, terms=terms, admins=[france], operation=terms["operation"], original=None)
        statistics_mark_dirty(report=report)
        statistics_recompute_dirty()
        for family in ("mass", "volume"):
            kept = list(LargestItem.objects.filter(unit_family=family).order_by("item_id").values_list("item_id"))
            of_family = report.items.filter(normalised_dimension=family).order_by("pk").values_list("pk")
            assert len(of_family) == 12 and kept == list(of_family)[: fills.LARGEST_KEPT], family
        transaction.set_rollback(True)
