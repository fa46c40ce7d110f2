"""Every filter of the dashboards has its equivalent in the report list's FilterSet, and a drill-down carries them
all: for each filter, the list it opens shows exactly the reports the figures counted (no more: never a duplicate,
a report of another period, another commodity or another route; no fewer)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from apps.dashboards.filtersets import StatisticsFilters
from apps.dashboards.panels import panel_data
from apps.dashboards.selectors import BaseSource, statistics_scope
from apps.dashboards.services import statistics_rebuild
from apps.reference.models import ConcealmentMethod, DetectionMethod, Direction, HSCode, TransportMode
from apps.reports.models import Operation, Report, ReportItem, RouteCountry
from tests.builders import vocabulary
from tests.helpers import sign_in


def _terms() -> dict[str, Any]:
    terms = dict(vocabulary())
    terms["sea"] = TransportMode.objects.get_or_create(code="1", defaults={"label": "Sea"})[0]
    terms["dog"] = DetectionMethod.objects.get_or_create(code="DOG", defaults={"label": "Dog"})[0]
    terms["luggage"] = ConcealmentMethod.objects.get_or_create(code="LUGGAGE", defaults={"label": "Luggage"})[0]
    terms["import"] = Direction.objects.get_or_create(code="import", defaults={"label": "Import"})[0]
    terms["hs_cigarettes"] = HSCode.objects.get_or_create(code="240220", defaults={"label": "Cigarettes", "level": 6})[
        0
    ]
    terms["hs_cocaine"] = HSCode.objects.get_or_create(code="293999", defaults={"label": "Alkaloids", "level": 6})[0]
    return terms


def _report(reference: str, administration: Any, terms: dict[str, Any], **spec: Any) -> Report:
    seized: dt.date = spec["seized"]
    approved = spec.get("approved")
    report = Report.objects.create(
        administration=administration,
        national_reference=reference,
        status=spec.get("status", "approved"),
        seizure_date=seized,
        country_of_seizure=administration.country.code,
        transport_mode=terms[spec["mode"]],
        direction=terms["import"] if spec.get("import") else None,
        operation=spec.get("operation"),
        duplicate_of=spec.get("duplicate_of"),
        submitted_at=dt.datetime.combine(seized, dt.time(12), tzinfo=dt.UTC),
        approved_at=dt.datetime.combine(approved, dt.time(9), tzinfo=dt.UTC) if approved else None,
    )
    report.detection_methods.set([terms[code] for code in spec.get("detection", ["xray"])])
    for position, (kind, concealed) in enumerate(spec["items"], start=1):
        drugs = kind == "cocaine"
        ReportItem.objects.create(
            report=report,
            position=position,
            commodity_category=terms["drugs" if drugs else "tobacco"],
            commodity_type=terms[kind],
            hs_code=terms["hs_cocaine" if drugs else "hs_cigarettes"],
            quantity=Decimal(5),
            unit=terms["KGM" if drugs else "STK"],
            normalised_quantity=Decimal(5),
            normalised_dimension="mass" if drugs else "sticks",
            concealment_method=terms["luggage"] if concealed else None,
        )
    for sequence, (role, country) in enumerate(spec.get("route", []), start=1):
        RouteCountry.objects.create(report=report, sequence=sequence, role=role, country=country)
    return report


@pytest.fixture
def drill_world(france: Any, germany: Any, kazakhstan: Any) -> dict[str, Any]:
    terms = _terms()
    operation = Operation.objects.create(code="op-drill", name="Operation Drill")
    made: dict[str, Any] = {"operation": operation}
    made["r1"] = _report(
        "DRILL-1",
        france,
        terms,
        seized=dt.date(2025, 3, 5),
        approved=dt.date(2025, 3, 20),
        mode="road",
        operation=operation,
        items=[("cocaine", True)],
        route=[("origin", "CO"), ("transit", "PA")],
        **{"import": True},
    )
    made["r2"] = _report(
        "DRILL-2",
        france,
        terms,
        seized=dt.date(2025, 3, 20),
        approved=dt.date(2025, 4, 2),
        mode="sea",
        detection=["dog"],
        items=[("cigarettes", False)],
        route=[("origin", "CO"), ("destination", "DE")],
    )
    # Its concealed item is tobacco, its drugs are not concealed: "drugs concealed in luggage" is not this one.
    made["r3"] = _report(
        "DRILL-3",
        germany,
        terms,
        seized=dt.date(2025, 4, 10),
        approved=dt.date(2025, 4, 15),
        mode="road",
        detection=["dog", "xray"],
        operation=operation,
        items=[("cigarettes", True), ("cocaine", False)],
        route=[("transit", "PA")],
        **{"import": True},
    )
    made["r4"] = _report(
        "DRILL-4-DUPLICATE",
        france,
        terms,
        seized=dt.date(2025, 3, 6),
        approved=dt.date(2025, 3, 21),
        mode="road",
        duplicate_of=made["r1"],
        items=[("cocaine", True)],
        route=[("origin", "CO")],
    )
    made["r5"] = _report(
        "DRILL-5-SUBMITTED",
        france,
        terms,
        seized=dt.date(2025, 3, 7),
        status="submitted",
        mode="road",
        items=[("cocaine", False)],
    )
    made["r6"] = _report(
        "DRILL-6",
        germany,
        terms,
        seized=dt.date(2025, 5, 31),
        approved=dt.date(2025, 6, 1),
        mode="sea",
        items=[("cigarettes", False)],
        route=[("destination", "FR")],
    )
    made["kz"] = _report("DRILL-KZ", kazakhstan, terms, seized=dt.date(2025, 3, 5), approved=dt.date(2025, 3, 9),
                         mode="road", items=[("cocaine", True)])  # fmt: skip
    statistics_rebuild()
    return made


def _cases(france: Any, germany: Any) -> dict[str, dict[str, Any]]:
    """One set of statistics filters per dashboard filter (and a few together)."""
    return {
        "none": {},
        "whole months of seizure": {"date_from": dt.date(2025, 3, 1), "date_to": dt.date(2025, 3, 31)},
        "days of seizure": {"date_from": dt.date(2025, 3, 1), "date_to": dt.date(2025, 3, 10)},
        "approval dates": {"period": "approval", "date_from": dt.date(2025, 4, 1), "date_to": dt.date(2025, 4, 30)},
        "commodity category": {"category": "drugs"},
        "commodity type": {"commodity_type": "cigarettes"},
        "HS chapter": {"hs_chapter": "24"},
        "one administration": {"administrations": (france.pk,)},
        "two administrations": {"administrations": tuple(sorted((france.pk, germany.pk)))},
        "country of seizure": {"country": "FR"},
        "transit country": {"country": "PA", "country_role": "transit"},
        "origin country": {"country": "CO", "country_role": "origin"},
        "destination country": {"country": "DE", "country_role": "destination"},
        "transport mode": {"transport_mode": "3"},
        "detection method": {"detection_method": "DOG"},
        "concealment": {"concealment": "LUGGAGE"},
        "drugs concealed": {"category": "drugs", "concealment": "LUGGAGE"},
        "direction": {"direction": "import"},
        "joint operation": {"operation": "op-drill"},
        "submitted added": {"states": ("approved", "submitted")},
    }


def _listed(client: Client, link: str) -> tuple[set[str], str]:
    """The references the report list shows after following a drill-down link, and the page's messages."""
    response = client.get("/dashboards/drill/?" + link.split("?", 1)[1])
    assert response.status_code == 302
    listed = client.get(response["Location"])
    assert listed.status_code == 200
    page = listed.content.decode()
    references = set(re.findall(r'<a href="/reports/[0-9a-f-]{36}/">([^<]+)</a>', page))
    messages = " ".join(re.findall(r'<p class="message[^"]*">(.*?)</p>', page))
    return references, messages


def test_for_each_filter_the_drill_down_lists_exactly_the_reports_counted(
    client: Client, erin: Any, france: Any, germany: Any, drill_world: dict[str, Any]
) -> None:
    scope = statistics_scope(user=erin)
    assert scope is not None
    sign_in(client, erin)
    for case, values in _cases(france, germany).items():
        filters = StatisticsFilters(**values)
        data = panel_data(user=erin, scope=scope, key="key_figures", filters=filters)
        counted = {row["figure"]: row["value"] for row in data["rows"]}["reports"]
        expected = set(BaseSource(filters, scope).reports().values_list("national_reference", flat=True))
        assert counted == len(expected) > 0, case
        link = f"/reports/?{filters.report_list_query().urlencode()}"
        references, messages = _listed(client, link)
        assert references == expected, (case, link)
        assert f"count {counted} report" in messages, (case, messages)


def test_a_rows_drill_down_narrows_the_filters_to_the_row(
    client: Client, erin: Any, france: Any, germany: Any, drill_world: dict[str, Any]
) -> None:
    """The transport panel's rows under a commodity and a route filter: each row opens what it counts."""
    scope = statistics_scope(user=erin)
    assert scope is not None
    sign_in(client, erin)
    filters = StatisticsFilters(commodity_type="cigarettes", country="CO", country_role="origin")
    data = panel_data(user=erin, scope=scope, key="transport_mode", filters=filters)
    assert data["rows"]
    for row in data["rows"]:
        references, _messages = _listed(client, row["drill"])
        assert len(references) == row["reports"], row
    assert {ref for row in data["rows"] for ref in _listed(client, row["drill"])[0]} == {"DRILL-2"}
