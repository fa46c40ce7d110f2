"""Data quality and reporting panels: who reports how much, what is left unknown, how fast reports arrive, the
review queue and the forwarding to partners.

The review queue and forwarding are live operational figures read from their own tables (not from the
summaries); they follow the administration filter and say which other filters they ignore.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Min
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.exchange.choices import DeliveryState
from apps.exchange.models import Delivery, PartnerSystem
from apps.reports.choices import ReportStatus
from apps.reports.models import Report
from apps.tenancy.models import Administration

from .panel_defs import _clean
from .panels import PanelContext, PanelResult, col, month_label, panel
from .summaries import ITEMS, REPORTS


@panel(
    "reports_per_administration",
    gettext_lazy("Reports per administration and month"),
    gettext_lazy("How many reports each administration made each month."),
    "heatmap",
)
def reports_per_administration(ctx: PanelContext) -> PanelResult:
    rows = [
        {**row, "administration_id": int(row["value"])}
        for row in ctx.source.rows(REPORTS, "administration", ["value", "month"])
    ]
    names = {a.pk: str(a) for a in Administration.objects.filter(pk__in={r["administration_id"] for r in rows})}
    out = [
        {
            "administration": names.get(r["administration_id"], ""),
            "month": month_label(r["month"]),
            "reports": r["reports"],
            "drill": ctx.drill(administration=str(r["administration_id"])),
        }
        for r in sorted(rows, key=lambda r: (names.get(r["administration_id"], ""), r["month"]))
    ]
    columns = [
        col("administration", _("Administration")),
        col("month", _("Month")),
        col("reports", _("Reports"), "reports"),
    ]
    return PanelResult(columns, out)


def _share(part: int, whole: int) -> float | None:
    return round(part * 100.0 / whole, 1) if whole else None


@panel(
    "unknown_shares",
    gettext_lazy("Unknown values"),
    gettext_lazy("Share of reports without a mode of transport or detection method, of items without concealment."),
    "figures",
)
def unknown_shares(ctx: PanelContext) -> PanelResult:
    reports = sum(r["reports"] for r in ctx.source.rows(REPORTS, "total", []))
    transport = {r["value"]: r["reports"] for r in ctx.source.rows(REPORTS, "transport_mode", ["value"])}
    detection = {r["value"]: r["reports"] for r in ctx.source.rows(REPORTS, "detection_method", ["value"])}
    concealment = {r["value"]: r["items"] for r in ctx.source.rows(ITEMS, "concealment", ["value"])}
    items = sum(concealment.values())
    figures = [
        ("transport_mode", _("Mode of transport unknown"), transport.get("", 0), reports),
        ("detection_method", _("Detection method unknown"), detection.get("", 0), reports),
        ("concealment", _("Concealment method unknown"), concealment.get("", 0), items),
    ]
    out = [
        {"figure": key, "label": label, "unknown": part, "of": whole, "share_pct": _share(part, whole)}
        for key, label, part, whole in figures
    ]
    columns = [
        col("label", _("Figure")),
        col("unknown", _("Unknown")),
        col("of", _("Out of")),
        col("share_pct", _("Share"), "%"),
    ]
    return PanelResult(columns, out)


def _median(histogram: dict[int, int]) -> float | None:
    """The median of values given as value → count (the mean of the two middle values for an even count)."""
    total = sum(histogram.values())
    if not total:
        return None
    ordered = sorted(histogram.items())

    def nth(n: int) -> int:
        seen = 0
        for value, count in ordered:
            seen += count
            if seen > n:
                return value
        return ordered[-1][0]

    return (nth((total - 1) // 2) + nth(total // 2)) / 2


@panel(
    "submission_delay",
    gettext_lazy("Days from seizure to submission"),
    gettext_lazy("Median and 90th percentile of the days between a seizure and its report's submission."),
    "figures",
)
def submission_delay(ctx: PanelContext) -> PanelResult:
    histogram: dict[int, int] = {}
    for row in ctx.source.rows(REPORTS, "submission_days", ["value"]):
        if row["value"] != "":
            histogram[int(row["value"])] = histogram.get(int(row["value"]), 0) + row["reports"]
    total = sum(histogram.values())
    p90 = None
    if total:
        seen, target = 0, (total * 9 + 9) // 10  # the smallest value with at least 90 % at or below it
        for value, count in sorted(histogram.items()):
            seen += count
            if seen >= target:
                p90 = value
                break
    out: list[dict[str, Any]] = [
        {"figure": "median", "label": _("Median"), "days": _median(histogram)},
        {"figure": "p90", "label": _("90th percentile"), "days": p90},
        {"figure": "reports", "label": _("Reports"), "days": total},
    ]
    return PanelResult([col("label", _("Figure")), col("days", _("Days"), "days")], out)


@panel(
    "review_queue",
    gettext_lazy("Review queue"),
    gettext_lazy("Submitted reports waiting for review now: how many, and how long they have waited."),
    "figures",
    applies=frozenset({"administrations"}),
)
def review_queue(ctx: PanelContext) -> PanelResult:
    administrations = ctx.filters.administrations or ctx.scope.administration_ids
    allowed = set(ctx.scope.administration_ids)
    if not ctx.scope.submitted:
        # An administration's submitted reports are seen by it and the region's RILO staff only: anyone else (an
        # officer, a national coordinator) sees the queue of their own administration, not the others'.
        allowed &= {ctx.user.administration_id}
    waiting = Report.objects.filter(
        administration_id__in=[pk for pk in administrations if pk in allowed],
        status=ReportStatus.SUBMITTED,
        duplicate_of__isnull=True,
        submitted_at__isnull=False,
    )
    figures = waiting.aggregate(count=Count("*"), oldest=Min("submitted_at"))  # "*": index-only
    count, oldest = figures["count"], figures["oldest"]
    # The median wait is the wait of the median submission: the middle one (or two) in the queue's own index order
    # (report_review_queue), read without sorting every waiting report.
    middle = (
        list(waiting.order_by("submitted_at").values_list("submitted_at", flat=True)[(count - 1) // 2 : count // 2 + 1])
        if count
        else []
    )
    now = dt.datetime.now(tz=dt.UTC)
    median = now - (middle[0] + (middle[-1] - middle[0]) / 2) if middle else None
    out = [
        {"figure": "waiting", "label": _("Reports waiting"), "value": figures["count"], "unit": _("reports")},
        {
            "figure": "median_age",
            "label": _("Median wait"),
            "value": round(median.total_seconds() / 86400, 1) if median is not None else None,
            "unit": _("days"),
        },
        {
            "figure": "oldest_age",
            "label": _("Longest wait"),
            "value": round((now - oldest).total_seconds() / 86400, 1) if oldest else None,
            "unit": _("days"),
        },
    ]
    ctx.notes.append(_("Live figures of the review queue: only the administration filter applies."))
    if not ctx.scope.submitted:
        ctx.notes.append(_("The review queue of your own administration."))
    columns = [col("label", _("Figure")), col("value", _("Value")), col("unit", _("Unit"))]
    return PanelResult(columns, out)


@panel(
    "forwarding",
    gettext_lazy("Forwarding to partners"),
    gettext_lazy("Messages to each partner of the region by delivery state (for who may watch partners)."),
    "stacked",
    applies=frozenset(),
)
def forwarding(ctx: PanelContext) -> PanelResult:
    partners = PartnerSystem.objects.restrict(ctx.user, "view").filter(region_id=ctx.scope.region_id)
    counts = (
        Delivery.objects.filter(partner__in=partners)
        .values("partner__name", "state")
        .annotate(messages=Count("pk"))
        .order_by("partner__name", "state")
    )
    # The state's code for exports and the API, its label in the reader's language for the table and the chart.
    out: list[dict[str, Any]] = [
        {
            "partner": row["partner__name"],
            "state": row["state"],
            "state_label": str(DeliveryState(row["state"]).label),
            "messages": row["messages"],
        }
        for row in counts
    ]
    ctx.notes.append(_("Live figures of the exchange with partners: the filters do not apply."))
    columns = [
        col("partner", _("Partner")),
        col("state_label", _("Delivery state")),
        col("messages", _("Messages"), "messages"),
    ]
    return PanelResult(columns, _clean(out))
