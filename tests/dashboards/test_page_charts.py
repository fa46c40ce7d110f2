"""The chart builders of static/js/dashboards/ (run by Node, as the browser runs them) for every kind of chart a
panel names: what each draws from a panel's rows, which row a click stands for, and where the click leads."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed (make install needs it for npm)")
MODULES = Path(__file__).resolve().parents[2] / "static" / "js" / "dashboards"

# Builds each panel's chart with a stand-in world (two countries) and prints what a test needs, as JSON.
RUNNER = """
import { chartOf, isDrawn } from "%(charts)s";
import { drillHref, unitGroups } from "%(panels)s";
const world = {
  name: "world",
  featureOf: (code) => ({ FR: "250", DE: "276", CO: "170" })[code] || null,
  pointOf: (code) => ({ FR: [2, 46], DE: [10, 51], CO: [-73, 4] })[code] || null,
};
const out = {};
for (const panel of JSON.parse(process.argv[1])) {
  const groups = unitGroups(panel);
  const built = isDrawn(panel.chart) ? chartOf(panel, { group: groups[0], format: String, world }) : null;
  const clicked = built ? built.rowAt(panel.click) : null;
  out[panel.key] = {
    drawn: Boolean(built),
    units: groups.map((group) => group.unit),
    series: (built ? built.option.series : [])
      .map((s) => ({ type: s.type, name: s.name, data: s.data, stack: s.stack || null })),
    tooltip: built ? built.option.tooltip.renderMode : null,
    clicked,
    href: drillHref("/dashboards/drill/", panel, clicked),
  };
}
console.log(JSON.stringify(out));
"""


def _col(key: str, label: str, unit: str = "") -> dict[str, str]:
    return {"key": key, "label": label, "unit": unit}


def _run(panels: list[dict[str, Any]]) -> dict[str, Any]:
    script = RUNNER % {"charts": MODULES / "charts.js", "panels": MODULES / "panels.js"}
    result = subprocess.run(
        [str(NODE), "--input-type=module", "-e", script, json.dumps(panels)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


ROAD = {"value": "3", "label": "Road", "reports": 5, "drill": "/reports/?status=approved&transport_mode=3"}
SEA = {"value": "1", "label": "Sea", "reports": 2, "drill": "/reports/?status=approved&transport_mode=1"}


def test_every_kind_of_chart_draws_its_rows_and_a_click_leads_to_the_rows_reports() -> None:
    panels: list[dict[str, Any]] = [
        {
            "key": "bar",
            "chart": "bar",
            "columns": [_col("label", "Mode"), _col("reports", "Reports", "reports")],
            "rows": [ROAD, SEA],
            "click": {"seriesIndex": 0, "dataIndex": 1},
        },
        {
            "key": "pie",
            "chart": "pie",
            "columns": [_col("label", "Mode"), _col("reports", "Reports", "reports")],
            "rows": [ROAD, SEA],
            "click": {"dataIndex": 0},
        },
        {
            "key": "map",
            "chart": "map",
            "columns": [_col("label", "Country"), _col("reports", "Reports", "reports")],
            "rows": [
                {"value": "FR", "label": "France", "reports": 4, "drill": "/reports/?country_of_seizure=FR"},
                {"value": "ZZ", "label": "Nowhere", "reports": 1},
            ],
            "click": {"name": "250"},
        },
        {
            "key": "flows",
            "chart": "flows",
            "columns": [_col("from_label", "From"), _col("to_label", "To"), _col("reports", "Reports", "reports")],
            "rows": [{"from": "CO", "from_label": "Colombia", "to": "FR", "to_label": "France", "reports": 3}],
            "click": {"seriesType": "lines", "dataIndex": 0},
        },
        {
            "key": "heatmap",
            "chart": "heatmap",
            "columns": [_col("weekday", "Weekday"), _col("hour", "Hour"), _col("reports", "Reports", "reports")],
            "rows": [
                {"weekday": 2, "hour": 10, "reports": 4},
                {"weekday": 1, "hour": 9, "reports": "< 3"},
                {"weekday": 1, "hour": 8, "reports": 1},
            ],
            "click": {"dataIndex": 0},
        },
        {
            "key": "largest",
            "chart": "bar",
            "columns": [_col("label", "Item"), _col("kg", "Quantity", "kg")],
            "rows": [{"label": "Cocaine", "kg": 120.5, "drill": "/reports/0b0e6c5e-0000-4000-8000-000000000001/"}],
            "click": {"seriesIndex": 0, "dataIndex": 0},
        },
        {
            "key": "table",
            "chart": "table",
            "columns": [_col("label", "Operation"), _col("reports", "Cases", "reports")],
            "rows": [{"label": "Week", "reports": 2}],
        },
    ]
    out = _run(panels)

    assert out["bar"]["series"] == [{"type": "bar", "name": "Reports", "data": [5, 2], "stack": None}]
    assert out["bar"]["clicked"]["value"] == "1"
    assert out["bar"]["href"] == "/dashboards/drill/?status=approved&transport_mode=1"
    assert out["bar"]["tooltip"] == "richText"  # drawn on the canvas: no HTML with style attributes

    assert out["pie"]["series"][0]["data"] == [{"name": "Road", "value": 5}, {"name": "Sea", "value": 2}]
    assert out["pie"]["href"] == "/dashboards/drill/?status=approved&transport_mode=3"

    # The map names countries by ISO numeric code; a country it does not draw is left out.
    assert out["map"]["series"][0]["data"] == [{"name": "250", "value": 4, "label": "France"}]
    assert out["map"]["href"] == "/dashboards/drill/?country_of_seizure=FR"

    lines = out["flows"]["series"][0]
    assert lines["type"] == "lines" and lines["data"][0]["coords"] == [[-73, 4], [2, 46]]
    assert out["flows"]["clicked"]["to"] == "FR" and out["flows"]["href"] == ""  # a row without a drill link

    # Weekdays and hours in their order; a suppressed cell ("< 3") is not drawn as a number.
    assert out["heatmap"]["series"][0]["data"] == [[2, 1, 4], [0, 0, 1]]
    assert out["heatmap"]["clicked"] == {"weekday": 2, "hour": 10, "reports": 4}

    # A row about one report links to it as it is.
    assert out["largest"]["href"] == "/reports/0b0e6c5e-0000-4000-8000-000000000001/"

    assert out["table"]["drawn"] is False


def test_a_chart_never_mixes_units_and_the_previous_year_is_a_series_of_its_own() -> None:
    trend = {
        "key": "trend",
        "chart": "line",
        "columns": [
            _col("month", "Month"),
            _col("category_label", "Category"),
            _col("reports", "Reports", "reports"),
            _col("reports_previous_year", "Previous year", "reports"),
        ],
        "rows": [
            {
                "month": "2025-01",
                "category": "DRU",
                "category_label": "Drugs",
                "reports": 3,
                "reports_previous_year": 1,
            },
            {
                "month": "2025-02",
                "category": "TOB",
                "category_label": "Tobacco",
                "reports": 2,
                "reports_previous_year": 4,
            },
        ],
        "click": {"seriesIndex": 1, "dataIndex": 1},
    }
    concealment = {
        "key": "concealment",
        "chart": "stacked",
        "columns": [
            _col("label", "Method"),
            _col("items", "Items", "items"),
            _col("quantity_mass", "Quantity (kg)", "kg"),
            _col("quantity_sticks", "Quantity (sticks)", "sticks"),
        ],
        "rows": [{"value": "sofa", "label": "Sofa", "items": 2, "quantity_mass": 10.5, "quantity_sticks": 2000}],
        "click": {"seriesIndex": 0, "dataIndex": 0},
    }
    out = _run([trend, concealment])
    assert out["trend"]["units"] == ["reports"]
    assert [(s["name"], s["data"]) for s in out["trend"]["series"]] == [
        ("Drugs", [3, None]),
        ("Tobacco", [None, 2]),
        ("Drugs (Previous year)", [1, None]),
        ("Tobacco (Previous year)", [None, 4]),
    ]
    assert out["trend"]["clicked"]["category"] == "TOB"
    # Items, kilograms and sticks are three charts to choose from, never one: the first draws items only.
    assert out["concealment"]["units"] == ["items", "kg", "sticks"]
    assert [(s["name"], s["data"], s["stack"]) for s in out["concealment"]["series"]] == [("Items", [2], "total")]
