"""The registry of dashboard panels and :func:`panel_data`, the one way to get a panel's figures (page, exports, API).

A panel's figures are a JSON-able :class:`PanelData`: columns (each with its unit: counts are never mixed with
quantities, quantities are per unit family, values per currency), rows, where they came from (the summaries or
the base tables), as of when, notes, and per row a ``drill`` link to the report list filtered the same way.
Figures are cached per panel, filters and user (the user's scope is part of every key) for a short while; a
recompute of the summaries makes every cached panel stale. A live panel that applies only some filters (the review
queue, the forwarding) is computed and cached with the others unset: one answer for every view.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any, TypedDict

from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.actor import Actor
from apps.core.exceptions import NotFound, PermissionDenied
from apps.core.languages import current_language
from apps.reference.models import BASE_UNITS
from apps.reports.choices import ReportStatus

from .filtersets import StatisticsFilters
from .selectors import (
    BASE,
    FigureSource,
    NoFigures,
    StatisticsScope,
    data_as_of,
    figure_source,
)
from .services import GENERATION_KEY

CHARTS = frozenset({"figures", "line", "bar", "stacked", "pie", "map", "flows", "table", "heatmap"})
CACHE_SECONDS = 60
# Person-derived cells below this many persons are shown as "< 3".
SMALL_CELL = 3
SMALL_CELL_LABEL = "< 3"


class Column(TypedDict):
    key: str
    label: str
    unit: str
    unit_label: str


# A figure column's unit is a stable code (the API's readers compare it); its name in the reader's language is
# the column's unit_label (chart axes, table headers, files). Currency codes and "%" are their own names.
UNIT_NAMES: dict[str, Promise] = {
    "reports": gettext_lazy("reports"),
    "items": gettext_lazy("items"),
    "administrations": gettext_lazy("administrations"),
    "persons": gettext_lazy("persons"),
    "messages": gettext_lazy("messages"),
    "days": gettext_lazy("days"),
    "currency": gettext_lazy("currency of the row"),
    # Quantities: the base units' names (apps.reference.models.BASE_UNITS, the one table of them).
    **{unit.code: unit.name for unit in BASE_UNITS},
}


class PanelData(TypedDict):
    key: str
    title: str
    description: str
    chart: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    source: str
    as_of: str
    notes: list[str]


@dataclass
class PanelContext:
    """What a panel's computation reads: the filters, the user's scope and the source answering them."""

    user: Actor
    filters: StatisticsFilters
    scope: StatisticsScope
    source: FigureSource
    notes: list[str] = field(default_factory=list)
    others: list[FigureSource] = field(default_factory=list)

    def source_for(self, filters: StatisticsFilters) -> FigureSource:
        """A source for other filters (a comparison period); where it counted is part of the panel's ``source``."""
        source = figure_source(filters=filters, scope=self.scope)
        self.others.append(source)
        return source

    def sources(self) -> set[str]:
        """Where the panel's figures came from: the summaries, the base tables, or both."""
        return set().union(*(source.kinds for source in (self.source, *self.others)))

    def drill(self, **row: str) -> str:
        """The report list's URL for the filters narrowed to one row (see StatisticsFilters.report_list_query)."""
        return f"{reverse('reports:list')}?{self.filters.report_list_query(**row).urlencode()}"


@dataclass(frozen=True)
class PanelResult:
    columns: list[Column]
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class Panel:
    """One dashboard panel: its key, title, one-line description and chart; ``personal``: derived from persons
    (needs the personal-data capability for the region; small cells suppressed)."""

    key: str
    title: Promise
    description: Promise
    chart: str
    personal: bool = False
    compute: Callable[[PanelContext], PanelResult] = field(default=lambda ctx: PanelResult([], []), compare=False)
    # A live panel's filters (StatisticsFilters' fields) when it applies only those: it is computed, and cached, with
    # the others left unset (one answer for every view of the same administrations).
    applies: frozenset[str] | None = None


PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> Panel:
    if panel.chart not in CHARTS or panel.key in PANELS:
        raise ValueError(f"Bad or repeated panel: {panel.key} ({panel.chart})")
    if panel.applies and not panel.applies <= {f.name for f in fields(StatisticsFilters)}:
        raise ValueError(f"Panel {panel.key} applies filters that do not exist: {sorted(panel.applies)}")
    PANELS[panel.key] = panel
    return panel


def panel(
    key: str,
    title: Promise,
    description: Promise,
    chart: str,
    *,
    personal: bool = False,
    applies: frozenset[str] | None = None,
) -> Callable[[Callable[[PanelContext], PanelResult]], Callable[[PanelContext], PanelResult]]:
    """Register the decorated function as the computation of a panel."""

    def decorate(compute: Callable[[PanelContext], PanelResult]) -> Callable[[PanelContext], PanelResult]:
        register(Panel(key, title, description, chart, personal, compute, applies))
        return compute

    return decorate


def col(key: str, label: str, unit: str = "") -> Column:
    """A column: its key in the rows, its label, its unit's code ("" for a dimension) and the unit's name."""
    return {"key": key, "label": label, "unit": unit, "unit_label": str(UNIT_NAMES.get(unit, unit))}


def panels_for(*, scope: StatisticsScope) -> list[Panel]:
    """The panels a user of this scope may see (person-derived ones only with the personal-data capability)."""
    return [p for p in PANELS.values() if scope.personal or not p.personal]


def panel_data(
    *, user: Actor, scope: StatisticsScope, key: str, filters: StatisticsFilters, as_of: dt.datetime | None = None
) -> PanelData:
    """The figures of panel ``key`` for ``filters`` as ``user`` sees them (cached per user, panel, filters and
    language: titles, column labels, vocabulary and country names are in the reader's language).

    ``as_of``: the summaries' stamp (:func:`data_as_of`) when the caller has read it already (a page of every
    panel reads it once).

    Raises NotFound for an unknown panel, and for a person-derived one the user may not see (as if it did not
    exist)."""
    found = PANELS.get(key)
    if found is None or (found.personal and not scope.personal):
        raise NotFound(_("No such panel."))
    if ReportStatus.SUBMITTED in filters.states and not scope.submitted:
        # The filters' form refuses it already; this keeps every other caller to the same rule.
        raise PermissionDenied(_("Only the region's RILO staff may count submitted reports."))
    generation = cache.get(GENERATION_KEY, 0)
    language = current_language()
    if found.applies is not None:
        filters = replace(StatisticsFilters(), **{name: getattr(filters, name) for name in found.applies})
    cache_key = f"dashboards:panel:{generation}:{key}:{language}:{scope.cache_part()}:{filters.cache_key()}"
    cached = cache.get(cache_key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    refusals = filters.person_refusals() if found.personal else []
    # Two answers to finer cuts would differ by a suppressed cell: the figures are withheld (not even counted), the
    # columns kept.
    source = figure_source(filters=filters, scope=scope)
    if refusals:
        source = NoFigures(filters, scope, kind=source.kind)
    context = PanelContext(user=user, filters=filters, scope=scope, source=source)
    result = found.compute(context)
    notes = list(context.notes)
    sources = context.sources()
    if refusals:
        result = PanelResult(result.columns, [])
        notes = [
            _(
                "Figures about persons are shown for whole months of seizures, of the region or of one "
                "administration, without other filters (not for: %(filters)s)."
            )
            % {"filters": ", ".join(refusals)}
        ]
    if BASE in sources:
        notes.insert(
            0,
            _("Counted from the reports themselves (the summaries do not cover: %(filters)s).")
            % {"filters": ", ".join(filters.base_only()) or _("this panel")},
        )
    if sources == {BASE}:
        as_of = timezone.now()
    elif as_of is None:
        as_of = data_as_of()
    data: PanelData = {
        "key": found.key,
        "title": str(found.title),
        "description": str(found.description),
        "chart": found.chart,
        "columns": result.columns,
        "rows": result.rows,
        "source": BASE if BASE in sources else "summary",
        "as_of": as_of.isoformat(),
        "notes": notes,
    }
    cache.set(cache_key, data, CACHE_SECONDS)
    return data


def suppress_small(rows: list[dict[str, Any]], measure: str) -> list[dict[str, Any]]:
    """Person-derived rows with their small counts replaced by "< 3" (and never a total to subtract from)."""
    return [{**row, measure: SMALL_CELL_LABEL if 0 < row[measure] < SMALL_CELL else row[measure]} for row in rows]


def month_label(month: dt.date) -> str:
    return month.strftime("%Y-%m")
