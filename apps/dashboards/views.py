"""The regional dashboard page, each panel's CSV and XLSX files, and the drill-down into the report list.

Every figure comes from :func:`apps.dashboards.panels.panel_data` (the API's too), for the reader's scope
(:func:`~apps.dashboards.selectors.statistics_scope`): the page, a panel's files and the API never disagree.
The page works without JavaScript (each panel is a table); with it, static/js/dashboards/ draws the charts from
the same data, embedded beside each table as JSON (``json_script``: data, never script).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET
from django_countries import countries

from apps.audit.services import audit_record
from apps.core.actor import Actor
from apps.core.exceptions import NotFound
from apps.core.languages import current_language
from apps.core.request_actor import request_actor
from apps.core.xlsx import CONTENT_TYPE as XLSX_CONTENT_TYPE
from apps.core.xlsx import xlsx_chunks
from apps.reports.exports import csv_line, neutralise

from .filtersets import APPROVAL, StatisticsFilterForm, StatisticsFilters
from .forms import DashboardFilterForm
from .panels import PANELS, Panel, PanelData, panel_data, panels_for
from .selectors import (
    StatisticsScope,
    StatisticsTimeout,
    data_as_of,
    drill_counts,
    statistics_administrations,
    statistics_scope,
)

FORMATS = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_CONTENT_TYPE}
# Panels drawn on the world map: the page gives their script the ISO numeric code of each country.
MAP_CHARTS = frozenset({"map", "flows"})
# Charts the page's script draws; the other kinds (key figures, tables) are shown as they are.
DRAWN_CHARTS = frozenset({"line", "bar", "stacked", "pie", "map", "flows", "heatmap"})
# The report list's filter parameters and the statistics filter each stands for (the others have the same name).
LIST_TO_STATISTICS = {
    "commodity_category": "category",
    "country_of_seizure": "country",
    "route_country": "country",
    "route_role": "country_role",
    "approved_from": "date_from",
    "approved_to": "date_to",
    "status": "state",
}
# The report list's approval dates: the statistics' period on approval dates.
LIST_APPROVAL_DATES = frozenset({"approved_from", "approved_to"})
# Report list parameters that narrow nothing the figures count (how the list is shown).
LIST_PRESENTATION = frozenset({"ordering", "cursor"})


def _scope(request: HttpRequest) -> tuple[Actor, StatisticsScope]:
    """The reader and whose figures they see (the API's rule); 403 for who sees no region's figures (a partner
    system of no administration)."""
    actor = request_actor(request)
    scope = statistics_scope(user=actor)
    if scope is None:
        raise PermissionDenied
    return actor, scope


def _filters(
    request: HttpRequest, actor: Actor, scope: StatisticsScope
) -> tuple[DashboardFilterForm, StatisticsFilters | None]:
    """The page's filter form and, when its values are valid, the filters they say (None otherwise)."""
    form = DashboardFilterForm(
        request.GET or None,
        administrations=statistics_administrations(scope=scope),
        actor=actor,
        submitted=scope.submitted,
    )
    if not form.is_bound:
        return form, StatisticsFilters()
    if not form.is_valid():
        return form, None
    return form, StatisticsFilters.from_cleaned(form.cleaned_data)


# --- cells: the same text on the page and in the files ---------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _shown(value: Any) -> str:
    """A cell as the page shows it: numbers in the reader's language (grouped), a dash for nothing."""
    if value is None or value == "":
        return "\N{EN DASH}"
    if _is_number(value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # 1000000.0 sticks are 1,000,000 sticks
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    return str(value)


def _written(value: Any) -> str:
    """A cell as a file holds it: numbers as they are (a spreadsheet reads them), nothing as an empty cell."""
    if value is None:
        return ""
    return neutralise(str(value))


def _drill_href(row: dict[str, Any], drill_base: str) -> str:
    """Where a row leads: a report list link goes through the drill-down view (which says how many of the counted
    reports the reader cannot open); a link to one report (the largest seizures) as it is; "" for none."""
    link = row.get("drill")
    if not isinstance(link, str) or not link.startswith("/") or link.startswith("//"):
        return ""  # only this site's own pages
    if "?" in link:
        return f"{drill_base}?{urlsplit(link).query}"
    return link


@dataclass(frozen=True)
class PanelView:
    """One panel as the page shows it: its data, its table's headers and rows (text and drill link)."""

    data: PanelData
    headers: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    query: str
    figures: list[dict[str, str]]
    error: str = ""

    @property
    def key(self) -> str:
        return self.data["key"]

    @property
    def json_id(self) -> str:
        return f"panel-{self.key}-data"

    @property
    def drillable(self) -> bool:
        return any(row["drill"] for row in self.rows)

    @property
    def drawn(self) -> bool:
        return self.data["chart"] in DRAWN_CHARTS and bool(self.data["rows"]) and not self.error

    @property
    def wide(self) -> bool:
        return self.data["chart"] in MAP_CHARTS or self.data["chart"] in {"figures", "line", "heatmap", "table"}


def _panel_view(data: PanelData, query: str) -> PanelView:
    headers = [
        {
            # "Quantity (kg)" already names its unit.
            "label": column["label"],
            "unit": "" if f"({column['unit_label']})" in column["label"] else column["unit_label"],
            "numeric": bool(column["unit"]),
        }
        for column in data["columns"]
    ]
    drill_base = reverse("dashboards:drill")
    rows = []
    for row in data["rows"]:
        rows.append(
            {
                "cells": [
                    {"text": _shown(row.get(column["key"])), "numeric": _is_number(row.get(column["key"]))}
                    for column in data["columns"]
                ],
                "drill": _drill_href(row, drill_base),
            }
        )
    return PanelView(data=data, headers=headers, rows=rows, query=query, figures=_figures(data))


def _change(value: Any) -> str:
    if not _is_number(value):
        return ""
    if not value:
        return _("unchanged against the comparison period")
    sign = "+" if value > 0 else "\N{MINUS SIGN}"
    shown = formats.number_format(abs(value), decimal_pos=1, use_l10n=True)
    return _("%(change)s %% against the comparison period") % {"change": sign + shown}


def _figures(data: PanelData) -> list[dict[str, str]]:
    """Key figures as tiles (a "figures" panel: one row per figure): its label, its value (the "value" column, else
    its first column with a unit) with the unit, and its change against the comparison period when there is one."""
    if data["chart"] != "figures":
        return []
    columns = data["columns"]
    main = next((c for c in columns if c["key"] == "value"), None) or next((c for c in columns if c["unit"]), None)
    if main is None:
        return []
    return [
        {
            "label": str(row.get("label", "")),
            "value": _shown(row.get(main["key"])),
            "unit": str(row.get("unit") or main["unit_label"] or ""),
            "change": _change(row.get("change_pct")),
        }
        for row in data["rows"]
    ]


def _oldest(stamps: list[str]) -> dt.datetime | None:
    parsed = [dt.datetime.fromisoformat(stamp) for stamp in stamps if stamp]
    return min(parsed) if parsed else None


def _panel_or_refusal(
    actor: Actor, scope: StatisticsScope, panel: Panel, filters: StatisticsFilters, query: str, as_of: dt.datetime
) -> PanelView:
    """A panel's card; when its figures took too long to count from the reports (filters the summaries cannot
    answer), the card says so and the other panels are still shown."""
    try:
        return _panel_view(panel_data(user=actor, scope=scope, key=panel.key, filters=filters, as_of=as_of), query)
    except StatisticsTimeout as refusal:
        data: PanelData = {
            "key": panel.key,
            "title": str(panel.title),
            "description": str(panel.description),
            "chart": panel.chart,
            "columns": [],
            "rows": [],
            "source": "base",
            "as_of": "",
            "notes": [],
        }
        return PanelView(data=data, headers=[], rows=[], query=query, figures=[], error=refusal.message)


# --- the page -------------------------------------------------------------------------------------------------


# ECharts' own texts (the description it gives screen readers, its tools) in the reader's language: the locale
# file echarts ships (echarts/i18n/langXX.js, one of settings.RILO_NPM_STATIC_FILES) for each language of
# settings.LANGUAGES, "" for English, which it has built in. A language added to the site needs its entry here
# (tests/dashboards/test_page_languages.py fails until it has one).
ECHARTS_LOCALES = {"en": "", "fr": "FR", "es": "ES", "ru": "RU"}


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The region's dashboard: one card per panel the reader may see, for the filters in the URL."""
    actor, scope = _scope(request)
    form, filters = _filters(request, actor, scope)
    views: list[PanelView] = []
    if filters is not None:
        query = filters.to_query().urlencode()
        # The summaries' stamp is read once for the whole page, not once per panel.
        as_of = data_as_of()
        views = [_panel_or_refusal(actor, scope, panel, filters, query, as_of) for panel in panels_for(scope=scope)]
    maps = any(view.data["chart"] in MAP_CHARTS for view in views)
    context = {
        "form": form,
        "filters_valid": filters is not None,
        "panels": views,
        "as_of": _oldest([view.data["as_of"] for view in views]),
        "country_codes": {code: countries.numeric(code, padded=True) for code, _name in countries} if maps else None,
        "echarts_locale": ECHARTS_LOCALES.get(current_language(), ""),
        # The charts write numbers with the separators the tables use (Intl's may differ: Spanish "." or " ").
        "thousand_separator": formats.get_format("THOUSAND_SEPARATOR"),
        "decimal_separator": formats.get_format("DECIMAL_SEPARATOR"),
    }
    return render(request, "dashboards/dashboard.html", context)


# --- a panel's files ----------------------------------------------------------------------------------------


def _cross_site(request: HttpRequest) -> bool:
    """Whether the browser says another site started the request (a crafted link must not export as the reader)."""
    return request.headers.get("Sec-Fetch-Site", "").strip().lower() == "cross-site"


def _file_rows(data: PanelData) -> Iterator[list[str]]:
    yield [
        _written(f"{column['label']} ({column['unit_label']})" if column["unit"] else column["label"])
        for column in data["columns"]
    ]
    for row in data["rows"]:
        yield [_written(row.get(column["key"])) for column in data["columns"]]


@login_required
@require_GET
def panel_export(request: HttpRequest, key: str, file_format: str) -> HttpResponse | StreamingHttpResponse:
    """One panel's figures as CSV or XLSX, for the filters in the URL: the rows and columns of its table."""
    actor, scope = _scope(request)
    if key not in PANELS:
        raise Http404
    if _cross_site(request):
        return render(request, "dashboards/export_cross_site.html", status=403)
    # The filters' own form (the page's lists of terms are not needed to read them).
    form = StatisticsFilterForm(
        request.GET, administrations=statistics_administrations(scope=scope), submitted=scope.submitted
    )
    if not form.is_valid():
        return render(request, "dashboards/export_refused.html", {"form": form}, status=400)
    filters = StatisticsFilters.from_cleaned(form.cleaned_data)
    try:
        data = panel_data(user=actor, scope=scope, key=key, filters=filters)
    except NotFound as missing:  # a person-derived panel for a reader without the capability: as if none
        raise Http404 from missing
    if PANELS[key].personal:
        audit_record(
            actor=actor,
            action="dashboards.panel_export",
            detail={"panel": key, "format": file_format, "filters": filters.to_query().urlencode()},
        )
    if file_format == "xlsx":
        body: Iterator[bytes] = xlsx_chunks(_file_rows(data), sheet_name=data["title"])
    else:
        body = (line.encode() for line in map(csv_line, _file_rows(data)))
    response = StreamingHttpResponse(body, content_type=FORMATS[file_format])
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="dashboard-{key}-{stamp}.{file_format}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- drill-down -------------------------------------------------------------------------------------------------


def _statistics_query(report_query: QueryDict) -> QueryDict | None:
    """The statistics filters that select the same reports as a report list query (a drill-down link's), or None
    when the query names a list filter the figures do not have (a text search, seizure and approval dates at once,
    duplicates listed)."""
    fields = StatisticsFilterForm.base_fields
    query = QueryDict(mutable=True)
    for name, values in report_query.lists():
        if name in LIST_PRESENTATION:
            continue
        if name == "duplicates":
            if values != ["exclude"]:
                return None
            continue
        if name in LIST_APPROVAL_DATES:
            query["period"] = APPROVAL
        target = LIST_TO_STATISTICS.get(name, name)
        if target not in fields or target in query:
            return None
        query.setlist(target, values)
    if "route_role" in report_query and "route_country" not in report_query:
        return None
    return query


@login_required
@require_GET
def drill(request: HttpRequest) -> HttpResponse:
    """A click on a bar, slice or country: the report list filtered the same way, saying how many of the reports
    the figures counted the reader may open, and how many more exist that they cannot."""
    actor, scope = _scope(request)
    report_query = request.GET.copy()
    statistics_query = _statistics_query(report_query)
    if statistics_query is not None:
        try:
            filters = StatisticsFilters.from_query(
                statistics_query,
                administrations=statistics_administrations(scope=scope),
                submitted=scope.submitted,
            )
        except ValidationError:
            filters = None
        if filters is not None:
            counts = drill_counts(user=actor, scope=scope, filters=filters)
            if counts.hidden:
                messages.info(
                    request,
                    ngettext(
                        "The figures count %(total)s report here; you may open %(visible)s of them and "
                        "%(hidden)s more exists that you cannot open.",
                        "The figures count %(total)s reports here; you may open %(visible)s of them and "
                        "%(hidden)s more exist that you cannot open.",
                        counts.visible + counts.hidden,
                    )
                    % {"total": counts.visible + counts.hidden, "visible": counts.visible, "hidden": counts.hidden},
                )
            else:
                messages.info(
                    request,
                    ngettext(
                        "The figures count %(total)s report here; you may open it.",
                        "The figures count %(total)s reports here; you may open all of them.",
                        counts.visible,
                    )
                    % {"total": counts.visible},
                )
    target = reverse("reports:list")
    return redirect(f"{target}?{report_query.urlencode()}" if report_query else target)
