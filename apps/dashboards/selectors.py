"""Reads of the dashboards: who sees which region's figures, and the figures themselves, from the summary tables
when they can answer the filters, else from the base tables within a statement time limit.

Both sources count with the same dimension definitions (:mod:`apps.dashboards.summaries`) and answer the same
question: rows grouped by some of the summary keys and the dimension's value, with the grain's measures summed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db import OperationalError, connection, models, transaction
from django.db.models import Exists, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.roles import RILO_ROLES
from apps.core.actor import Actor, signed_in
from apps.core.exceptions import ApplicationError
from apps.reports.models import Operation, Report, ReportItem, RouteCountry
from apps.reports.querysets import ReportQuerySet
from apps.tenancy.models import Administration

from . import summaries
from .filtersets import APPROVAL, COUNTRY_OF_SEIZURE, StatisticsFilters
from .models import ALL_CATEGORIES, DirtyBucket, DirtyPlaces
from .querysets import PERSONAL_CAPABILITY, SummaryQuerySet
from .summaries import ITEMS, PERSONS, REPORTS, Grain

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

SUMMARY, BASE = "summary", "base"


class StatisticsTimeout(ApplicationError):
    """A panel over the base tables took longer than the statement time limit."""

    status = 503
    code = "statistics_timeout"


@dataclass(frozen=True)
class StatisticsScope:
    """Whose figures a user sees: their region's administrations; ``personal``: may see person-derived panels;
    ``submitted``: may add submitted reports to the figures (RILO staff of the region only: an administration's
    submitted reports are seen by that administration and the region's RILO staff, never by the others)."""

    region_id: int
    administration_ids: tuple[int, ...]
    personal: bool
    position: tuple[Any, ...]
    submitted: bool = False
    # Whose scope it is: every read of the summaries goes through restrict(actor) (None: no one's, reads nothing).
    actor: Actor | None = field(default=None, compare=False, repr=False)

    def cache_part(self) -> str:
        return ":".join(str(part) for part in (self.region_id, int(self.personal), *self.position))


def statistics_scope(*, user: Actor | AnonymousUser) -> StatisticsScope | None:
    """The region whose figures ``user`` sees (RILO staff: theirs; administration staff: their administration's),
    or None for who has no region (a partner system of no administration, an anonymous visitor)."""
    if not signed_in(user) or not user.is_active:
        return None
    region_id = user.region_id
    if region_id is None and user.administration_id is not None:
        region_id = Administration.objects.filter(pk=user.administration_id).values_list("region_id", flat=True).first()
    if region_id is None:
        return None
    administrations = tuple(
        Administration.objects.filter(region_id=region_id).order_by("pk").values_list("pk", flat=True)
    )
    # Person-derived figures of the whole region: only region staff holding the personal-data capability (an
    # officer's capability covers their own administration's reports, not the region's).
    personal = bool(user.region_id) and user.has_perm(PERSONAL_CAPABILITY)
    submitted = user.role in RILO_ROLES and bool(user.region_id)
    position = (user.pk, user.role, user.administration_id)
    return StatisticsScope(region_id, administrations, personal, position, submitted=submitted, actor=user)


def statistics_administrations(*, scope: StatisticsScope) -> list[tuple[int, str]]:
    """The administrations a filter may name: the region's."""
    return [(a.pk, str(a)) for a in Administration.objects.filter(pk__in=scope.administration_ids).order_by("name")]


def data_as_of() -> dt.datetime:
    """The summaries are complete up to the oldest pending recompute (now when none is pending)."""
    buckets = DirtyBucket.objects.order_by("marked_at").values("marked_at")[:1]
    oldest = DirtyPlaces.objects.aggregate(
        oldest=Least(Min("first_marked_at"), Subquery(buckets), output_field=models.DateTimeField())
    )["oldest"]
    return oldest or timezone.now()


def summary_rows(model: type[models.Model], *, scope: StatisticsScope) -> QuerySet[Any]:
    """The rows of a summary table (or of the largest items) the scope's reader may see (``restrict()``): every
    read of them on someone's behalf starts here."""
    return cast(SummaryQuerySet, model._default_manager.all()).restrict(scope.actor, "view")


class FigureSource:
    """Where a panel's figures come from: ``rows(grain, dimension, group)`` gives one dict per group (``group``:
    names among month, administration_id, state, operation_key, category, value, unit_family, currency) with the
    grain's measures summed."""

    kind: str

    def __init__(self, filters: StatisticsFilters, scope: StatisticsScope) -> None:
        self.filters = filters
        self.scope = scope
        allowed = set(scope.administration_ids)
        self.administrations = (
            sorted(allowed & set(filters.administrations)) if filters.administrations else sorted(allowed)
        )
        self.operation_id: int | None = None
        self.kinds = {self.kind}  # where its figures came from (a summary source may count some from the reports)
        if filters.operation:
            found = Operation.objects.filter(code=filters.operation).values_list("pk", flat=True).first()
            self.operation_id = found if found is not None else -1  # an unknown code matches nothing

    def rows(self, grain: Grain, dimension: str, group: Sequence[str]) -> list[dict[str, Any]]:
        raise NotImplementedError


class NoFigures(FigureSource):
    """No rows at all: the source of a panel whose figures are withheld (person-derived ones under finer cuts),
    of the kind the figures would have come from."""

    def __init__(self, filters: StatisticsFilters, scope: StatisticsScope, *, kind: str) -> None:
        self.kind = kind
        super().__init__(filters, scope)

    def rows(self, grain: Grain, dimension: str, group: Sequence[str]) -> list[dict[str, Any]]:
        return []


class SummarySource(FigureSource):
    """The summary tables (only for filters they can answer: :meth:`StatisticsFilters.summarisable`): the
    region-wide ones when the filters keep every administration of the region."""

    kind = SUMMARY

    def rows(self, grain: Grain, dimension: str, group: Sequence[str]) -> list[dict[str, Any]]:
        f = self.filters
        place = f.place()
        per_category = grain.by_report_category and (bool(f.category) or "category" in group)
        if place and (grain.region_model is None or (per_category and dimension != "total")):
            # Per place, the summaries hold the reports' figures under every category and their totals per
            # category, the items' per their own category; nothing of persons. The rest is counted from the reports.
            self.kinds.add(BASE)
            return BaseSource(f, self.scope).rows(grain, dimension, group)
        if grain.region_model is not None and set(self.administrations) == set(self.scope.administration_ids):
            # Every administration of the region: their rows summed already, a tenth as many to read; the only rows
            # per place (a country filter needs every administration: StatisticsFilters.base_only).
            rows = summary_rows(grain.region_model, scope=self.scope).filter(
                region_id=self.scope.region_id, place=place, dimension=dimension, state__in=f.states
            )
        else:
            rows = summary_rows(grain.model, scope=self.scope).filter(
                dimension=dimension, administration_id__in=self.administrations, state__in=f.states
            )
        if f.date_from:
            rows = rows.filter(month__gte=f.date_from.replace(day=1))
        if f.date_to:
            rows = rows.filter(month__lte=f.date_to)
        if self.operation_id is not None:
            rows = rows.filter(operation_key=self.operation_id)
        if not grain.by_report_category:
            if f.category:
                rows = rows.filter(category=f.category)
        elif "category" in group:
            rows = rows.exclude(category=ALL_CATEGORIES)
            if f.category:
                rows = rows.filter(category=f.category)
        else:
            rows = rows.filter(category=f.category or ALL_CATEGORIES)
        measures = {name: Sum(name) for name in grain.measures()}
        return list(rows.values(*group).annotate(**measures).order_by())


class BaseSource(FigureSource):
    """The reports, items and parties themselves, each query cancelled past the statement time limit."""

    kind = BASE
    # How long a query may run before it is cancelled (ms); None: settings.RILO_STATISTICS_BASE_TIMEOUT_MS.
    timeout_ms: int | None = None

    def statement_timeout_ms(self) -> int:
        return self.timeout_ms if self.timeout_ms is not None else int(settings.RILO_STATISTICS_BASE_TIMEOUT_MS)

    def reports(self) -> QuerySet[Report]:
        """The counted reports these filters select (a report filter by items: one item matching them all)."""
        f = self.filters
        reports: ReportQuerySet = Report.objects.filter(  # type: ignore[assignment]
            administration_id__in=self.administrations, status__in=f.states, duplicate_of__isnull=True
        )
        day = "approved_at__date" if f.period == APPROVAL else "seizure_date"
        if f.date_from:
            reports = reports.filter(**{f"{day}__gte": f.date_from})
        if f.date_to:
            reports = reports.filter(**{f"{day}__lte": f.date_to})
        if self.operation_id is not None:
            reports = reports.filter(operation_id=self.operation_id)
        if f.country and f.country_role == COUNTRY_OF_SEIZURE:
            reports = reports.filter(country_of_seizure=f.country)
        elif f.country:
            steps = RouteCountry.objects.filter(report=OuterRef("pk"), role=f.country_role, country=f.country)
            reports = reports.filter(Exists(steps))
        for name, path in (("transport_mode", "transport_mode__code"), ("direction", "direction__code")):
            if value := getattr(f, name):
                reports = reports.filter(**{path: value})
        if f.detection_method:
            reports = reports.filter(
                Exists(
                    Report.detection_methods.through.objects.filter(
                        report=OuterRef("pk"), detectionmethod__code=f.detection_method
                    )
                )
            )
        if item_filter := self.item_filter():
            reports = reports.filter(Exists(ReportItem.objects.filter(item_filter, report=OuterRef("pk"))))
        return reports

    def item_filter(self) -> Q:
        f = self.filters
        condition = Q()
        for name, path in (
            ("category", "commodity_category__code"),
            ("commodity_type", "commodity_type__code"),
            ("concealment", "concealment_method__code"),
        ):
            if value := getattr(f, name):
                condition &= Q(**{path: value})
        if f.hs_chapter:
            condition &= Q(hs_code__code__startswith=f.hs_chapter)
        return condition

    def rows(self, grain: Grain, dimension: str, group: Sequence[str]) -> list[dict[str, Any]]:
        reports = self.reports()
        if grain is REPORTS:
            base: QuerySet[Any] = reports
        elif grain is ITEMS:
            base = ReportItem.objects.filter(self.item_filter(), report__in=reports)
        else:
            base = PERSONS.base().filter(report__in=reports)
        keys = grain.keys(category="category" in group)
        wanted = {name: keys[name] for name in group if name != "value"}
        grouped = summaries.grouped_rows(base, grain, grain.dimensions[dimension], keys=wanted)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config(%s, %s, true)", ["statement_timeout", str(self.statement_timeout_ms())]
                )
                found = list(grouped)
        except OperationalError as error:
            if "statement timeout" not in str(error):
                raise
            raise StatisticsTimeout(
                _("These filters take too long to count from the reports; narrow them (fewer months, fewer filters).")
            ) from error
        rows = []
        for row in found:
            named = {name: row[f"k_{name}"] for name in group}
            named |= {name: row[name] for name in grain.measures()}
            if (
                grain is REPORTS
                and "category" in group
                and self.filters.category
                and named["category"] != self.filters.category
            ):
                continue  # the report qualifies through another item; this row is of another category
            if (
                grain is PERSONS
                and "category" in group
                and self.filters.category
                and named["category"] != self.filters.category
            ):
                continue
            rows.append(named)
        return rows


def figure_source(*, filters: StatisticsFilters, scope: StatisticsScope) -> FigureSource:
    """The summaries if they can answer ``filters``, else the base tables."""
    return SummarySource(filters, scope) if filters.summarisable() else BaseSource(filters, scope)


@dataclass(frozen=True)
class DrillCounts:
    """Of the reports a drill-down selects: how many the user may open, and how many more exist."""

    visible: int
    hidden: int


def drill_counts(*, user: Actor, scope: StatisticsScope, filters: StatisticsFilters) -> DrillCounts:
    """How many of the counted reports matching ``filters`` ``user`` may open (``restrict()``) and how many not."""
    reports = BaseSource(filters, scope).reports()
    total = reports.count()
    visible = Report.objects.restrict(user, "view").filter(pk__in=reports.values("pk")).count()
    return DrillCounts(visible=visible, hidden=total - visible)
