"""The hook point through which what counts reports (the dashboards' summaries) learns that counted reports changed.

The workflow's services (:mod:`apps.reports.services.steps`) and the bulk writer of uploads call
:func:`counted_report_changed` / :func:`counted_reports_changed` in the transaction that moves a report in or out of
:data:`~apps.reports.choices.COUNTED_STATES` or changes what it counts under (its seizure date). Whoever keeps
figures of reports registers a :class:`CountedChangeMarker` from its ``AppConfig.ready`` (``apps.dashboards`` marks
the summary buckets to recompute), so this app never imports that one.

A registered marker rather than a Django signal: the mark is part of the figures' correctness (it must be written
in the same transaction, and a failure must roll the change back), so it is a typed call made for certain, not an
optional notification: a signal's receiver is held by a weak reference (a receiver defined in a function can vanish
unnoticed), is matched by sender, and mypy cannot check what it is sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from django.db.models import QuerySet

if TYPE_CHECKING:
    from .models import Report


class CountedChangeMarker(Protocol):
    """What a keeper of figures registers: told of one report (with the seizure dates it was counted under before a
    correction) or of many at once (one query for all of them)."""

    def report_changed(self, *, report: Report, seizure_dates: Iterable[dt.date] = ()) -> None: ...

    def reports_changed(self, *, reports: QuerySet[Report]) -> None: ...


_markers: list[CountedChangeMarker] = []


def counted_change_register(marker: CountedChangeMarker) -> None:
    """Register ``marker`` (from an ``AppConfig.ready``; registering the same one again changes nothing)."""
    if marker not in _markers:
        _markers.append(marker)


def counted_change_markers() -> tuple[CountedChangeMarker, ...]:
    """The markers registered (what a test checks is wired)."""
    return tuple(_markers)


def counted_report_changed(*, report: Report, seizure_dates: Iterable[dt.date] = ()) -> None:
    """In the transaction that changes it: ``report`` changed what the figures count (``seizure_dates``: the dates
    it was counted under before this change, when they differ from its own)."""
    dates = tuple(seizure_dates)
    for marker in _markers:
        marker.report_changed(report=report, seizure_dates=dates)


def counted_reports_changed(*, reports: QuerySet[Report]) -> None:
    """In the transaction that changes them: every report of ``reports`` changed what the figures count."""
    for marker in _markers:
        marker.reports_changed(reports=reports)
