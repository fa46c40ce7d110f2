"""Writes of the dashboards: marking summary buckets dirty, recomputing them, rebuilding and reconciling.

The workflow services (``apps.reports.services``) and the uploads' writer tell the reports' hook point
(:mod:`apps.reports.counting`) in the transaction that changes a counted report; :data:`STATISTICS_MARKER`,
registered there by this app's ``ready()``, calls :func:`statistics_mark_dirty`. The mark is a row, so a recompute
that is never kicked still happens at the next sweep.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Min, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from apps.core.kicks import task_kick
from apps.reports.models import Report
from apps.tenancy.models import Administration

from . import fills, task_names
from .models import DirtyBucket, DirtyPlaces, Reconciliation

_Item = TypeVar("_Item")

logger = logging.getLogger(__name__)

# The cache key of the summaries' generation: part of every cached panel's key, bumped by every recompute.
GENERATION_KEY = "dashboards:generation"
# How many differing buckets a reconciliation keeps in its record.
_DIFFERENCES_KEPT = 50


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def statistics_mark_dirty(*, report: Report, seizure_dates: Iterable[dt.date] = ()) -> None:
    """Mark the summary buckets of ``report`` (its seizure month, and the months of ``seizure_dates``: the dates
    it had before a correction) to be recomputed once this transaction commits, and kick the worker.

    The mark is written with ``ON CONFLICT DO UPDATE``, which locks an existing mark until this transaction ends:
    a recompute that is running meanwhile skips it (``SKIP LOCKED``) rather than delete it unseen.
    """
    months = {_month(report.seizure_date), *(_month(day) for day in seizure_dates)}
    _mark(buckets={(month, report.administration_id) for month in months})


def statistics_mark_dirty_many(*, reports: QuerySet[Report]) -> None:
    """Mark the summary buckets of every report of ``reports`` (their seizure months) as
    :func:`statistics_mark_dirty` marks one report's: one query for the distinct buckets, one to mark them."""
    buckets = set(
        reports.annotate(bucket_month=TruncMonth("seizure_date"))
        .values_list("bucket_month", "administration_id")
        .distinct()
    )
    _mark(buckets={(_month(month), administration_id) for month, administration_id in buckets})


class _StatisticsMarker:
    """The dashboards' :class:`apps.reports.counting.CountedChangeMarker`: marks the buckets of changed reports."""

    def report_changed(self, *, report: Report, seizure_dates: Iterable[dt.date] = ()) -> None:
        statistics_mark_dirty(report=report, seizure_dates=seizure_dates)

    def reports_changed(self, *, reports: QuerySet[Report]) -> None:
        statistics_mark_dirty_many(reports=reports)


STATISTICS_MARKER = _StatisticsMarker()


def _mark(*, buckets: set[tuple[dt.date, int]]) -> None:
    if not buckets:
        return
    now = timezone.now()
    DirtyBucket.objects.bulk_create(
        [
            DirtyBucket(month=month, administration_id=administration_id, marked_at=now)
            for month, administration_id in sorted(buckets)
        ],
        update_conflicts=True,
        unique_fields=["month", "administration"],
        update_fields=["marked_at"],
    )
    transaction.on_commit(
        lambda: task_kick(task_names.RECOMPUTE_DIRTY, fallback="the dashboards' sweep recomputes the bucket")
    )


def statistics_recompute_dirty(*, limit: int = 200, seconds: float | None = None) -> int:
    """Recompute up to ``limit`` marks (and, with ``seconds``, none started after that long), oldest first, each in
    its own transaction: dirty buckets and, between them, the rows per place of the regions' months they marked;
    returns how many.

    A bucket's mark is claimed with ``FOR UPDATE SKIP LOCKED`` (two workers never recompute the same one at once),
    then recomputed from the base tables and deleted in the same transaction. Idempotent. A bucket's own figures
    (and the region's at any place) are counted within a second of the change; the rows per place of its region's
    month, which take seconds, next (:class:`DirtyPlaces` says how they are claimed). Buckets and months take
    turns, so a steady flow of changes never leaves the rows per place behind for good."""
    done = 0
    stop = time.monotonic() + seconds if seconds is not None else None

    def more() -> bool:
        return done < limit and (stop is None or time.monotonic() < stop)

    while more():
        progressed = False
        # The buckets waiting (a burst of changes: up to BUCKETS_PER_TURN), then one region's month per place.
        for _ in range(BUCKETS_PER_TURN):
            if not (more() and _recompute_bucket()):
                break
            done += 1
            progressed = True
            statistics_cache_invalidate()
        if more() and _recompute_places():
            done += 1
            progressed = True
            statistics_cache_invalidate()
        if not progressed:
            break
    return done


# How many buckets a recompute takes in turn before a region's month per place (which takes seconds).
BUCKETS_PER_TURN = 20


def _recompute_bucket() -> bool:
    """Recompute the oldest dirty bucket nobody is recomputing and delete its mark; False when there is none."""
    with transaction.atomic():
        bucket = DirtyBucket.objects.select_for_update(skip_locked=True).order_by("marked_at", "pk").first()
        if bucket is None:
            return False
        fills.bucket_recompute(month=bucket.month, administration_id=bucket.administration_id)
        bucket.delete()
    return True


# A claim of a month's rows per place older than this is a dead worker's: another worker takes the mark over.
PLACES_CLAIM_SECONDS = 600


def _recompute_places() -> bool:
    """Claim the oldest unclaimed mark of a region's month, recompute its rows per place, and delete the mark if it
    was not marked again meanwhile (else it is left for another recompute); False when there is none. A recompute
    that fails is logged and raises; its claim stays, so that it is retried later, not at once."""
    now = timezone.now()
    with transaction.atomic():
        stale = now - dt.timedelta(seconds=PLACES_CLAIM_SECONDS)
        unclaimed = DirtyPlaces.objects.filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        mark = unclaimed.select_for_update(skip_locked=True).order_by("first_marked_at", "pk").first()
        if mark is None:
            return False
        DirtyPlaces.objects.filter(pk=mark.pk).update(claimed_at=now)
    try:
        with transaction.atomic():
            fills.places_recompute(month=mark.month, region_id=mark.region_id)
            if not DirtyPlaces.objects.filter(pk=mark.pk, marked_at=mark.marked_at).delete()[0]:
                # Marked again meanwhile: recomputed again (unless another worker has taken it over since).
                DirtyPlaces.objects.filter(pk=mark.pk, claimed_at=now).update(claimed_at=None)
    except Exception:
        # The claim is kept: retried once it is PLACES_CLAIM_SECONDS old, not at once and over again.
        logger.exception("Statistics: the rows per place of %s, region %s, could not be recomputed.",
                         f"{mark.month:%Y-%m}", mark.region_id)  # fmt: skip
        raise
    return True


def statistics_rebuild(*, workers: int | None = None) -> int:
    """Rebuild every summary table from the reports (``manage.py rebuild_statistics``), one seizure month per short
    transaction so that dashboard reads are never held up (they see each month's previous figures until its new
    ones are committed); returns how many months.

    ``workers`` months are rebuilt at once, each on a connection of its own (default:
    ``settings.RILO_STATISTICS_REBUILD_WORKERS``; one when called inside a transaction, whose uncommitted rows other
    connections could not read).

    Each month's transaction first takes the month's lock (a bucket's recompute waits for it), then deletes the
    month's marks of buckets to recompute that are committed and not being recomputed (``SKIP LOCKED``: a worker
    holding one waits for the month, then recomputes its bucket again, harmlessly), then replaces the month's rows:
    every change its marks stood for is committed before the rows are read, so none is lost; a mark committed
    later stays, and its bucket is recomputed after. The same holds of the marks of regions' months per place."""
    months = fills.summary_months()
    count = workers if workers is not None else int(settings.RILO_STATISTICS_REBUILD_WORKERS)
    parallel = count > 1 and not connection.in_atomic_block and len(months) > 1
    try:
        if parallel:
            _each_in_parallel(_rebuild_month, months, count)
        else:
            for month in months:
                _rebuild_month(month)
        if not connection.in_atomic_block:  # VACUUM, largest table first, on as many connections as the months
            if parallel:
                _each_in_parallel(fills.summary_vacuum, fills.SUMMARY_MODELS, count)
            else:
                for model in fills.SUMMARY_MODELS:
                    fills.summary_vacuum(model)
    finally:
        statistics_cache_invalidate()  # the months rebuilt before a failure are new figures too
    return len(months)


def _each_in_parallel(work: Callable[[_Item], None], items: Sequence[_Item], count: int) -> None:
    """``work`` on every item, in their order, ``count`` at once, each thread on a connection of its own; an item
    that fails (or an interrupt) starts no further one, and fails the whole."""
    pending = list(reversed(items))
    lock = threading.Lock()
    failed = threading.Event()

    def work_some() -> None:
        try:
            while not failed.is_set():
                with lock:
                    if not pending:
                        return
                    item = pending.pop()
                work(item)
        except BaseException:
            failed.set()  # the other connections start no further item
            raise
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(work_some) for _ in range(count)]
        try:
            for future in futures:
                future.result()  # an item that failed fails the whole (a month: its transaction rolled back)
        except BaseException:
            failed.set()  # (an interrupt too)
            raise


def _rebuild_month(month: dt.date) -> None:
    with transaction.atomic():
        fills.month_lock(month, shared=False)
        for model in (DirtyBucket, DirtyPlaces):
            marks = model.objects.filter(month=month).select_for_update(skip_locked=True)
            model.objects.filter(pk__in=list(marks.values_list("pk", flat=True))).delete()
        fills.month_replace(month)


def statistics_reconcile() -> Reconciliation:
    """Compare the summaries with the reports bucket by bucket (reports and items per month, administration and
    state), and the region-wide rows with the sums of their administrations'; record the outcome, log any
    difference and mark the differing buckets for recompute (for a region's month, one of its buckets: its
    recompute rolls the region's month up again). Rows of administrations no longer there, and region-wide rows of
    regions with no administration, are deleted (and logged) before the differences are counted."""
    expected = fills.bucket_totals_from_reports()
    stored = fills.bucket_totals_from_summaries()
    region_differing = fills.region_totals_differing()
    orphans = fills.orphans_delete(
        administration_ids={administration for _, administration, _ in stored},
        region_ids={region for _, region in region_differing},
    )
    if orphans:
        logger.warning("Statistics reconciliation: deleted %d summary row(s) of administrations or regions gone.",
                       orphans)  # fmt: skip
        stored = fills.bucket_totals_from_summaries()
        region_differing = fills.region_totals_differing()
    pending = set(DirtyBucket.objects.values_list("month", "administration_id"))
    differing = sorted(
        key
        for key in expected.keys() | stored.keys()
        if expected.get(key, (0, 0)) != stored.get(key, (0, 0)) and key[:2] not in pending
    )
    regions = dict(Administration.objects.values_list("pk", "region_id"))
    pending_regions = {(month, regions.get(administration)) for month, administration in pending}
    rolled = sorted(key for key in region_differing if key not in pending_regions)
    # Each region's first administration (by id): its bucket's recompute rolls the region's month up again.
    firsts = Administration.objects.values("region_id").annotate(first=Min("pk")).order_by()
    first = dict(firsts.values_list("region_id", "first"))
    buckets = sorted({(month, admin) for month, admin, _ in differing} | {(m, first[r]) for m, r in rolled})
    bucket_rows = [
        {
            "month": month.isoformat(),
            "administration": administration,
            "state": state,
            "reports": [expected.get((month, administration, state), (0, 0))[0],
                        stored.get((month, administration, state), (0, 0))[0]],
            "items": [expected.get((month, administration, state), (0, 0))[1],
                      stored.get((month, administration, state), (0, 0))[1]],
        }
        for month, administration, state in differing
    ]  # fmt: skip
    region_rows = [{"month": month.isoformat(), "region": region} for month, region in rolled]
    record = Reconciliation.objects.create(
        buckets_checked=len(expected.keys() | stored.keys()),
        buckets_differing=len(buckets),
        differences=[*bucket_rows, *region_rows][:_DIFFERENCES_KEPT],
    )
    if buckets:
        logger.warning("Statistics reconciliation: %d bucket(s) differ from the reports; marked for recompute.",
                       len(buckets))  # fmt: skip
        now = timezone.now()
        DirtyBucket.objects.bulk_create(
            [DirtyBucket(month=month, administration_id=admin, marked_at=now) for month, admin in buckets],
            update_conflicts=True,
            unique_fields=["month", "administration"],
            update_fields=["marked_at"],
        )
    return record


def statistics_cache_invalidate() -> None:
    """Make every cached panel stale: their keys carry the generation this bumps."""
    cache.add(GENERATION_KEY, 0, timeout=None)
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # evicted between add and incr
        cache.set(GENERATION_KEY, 1, timeout=None)
