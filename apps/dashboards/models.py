"""Summary tables of the regional dashboards (DESIGN.md section 9) and the buckets waiting to be recomputed.

Every per-administration summary row belongs to one bucket: a seizure month of one administration. The workflow
services mark a bucket dirty (:class:`DirtyBucket`) in the transaction that changes a counted report; a worker
recomputes the whole bucket from the reports and items (its rows brought to what a ``GROUP BY`` of the bucket
gives: apps.dashboards.writes), so the figures never drift as ``+= 1`` counters would, and recomputing twice gives
the same rows. The region-wide rows (:class:`RegionKey`) of the bucket's region and month follow: at any place
with the bucket, per place in a recompute of their own (:class:`DirtyPlaces`).

The summaries are long tables: each row is one value of one *dimension* (a panel's axis: transport mode, country
of seizure, commodity type, ...) under the keys every summary shares (month, administration, state, joint
operation, commodity category). Keys are never NULL: sentinels stand for "none" ('' for a code, 0 for no
operation; ``ALL_CATEGORIES`` for the report-level rows that count every report once).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from apps.tenancy.models import Administration, Region

from .querysets import PersonSummaryQuerySet, RegionSummaryQuerySet, SummaryQuerySet

# The category key of report-level rows that count each report once, whatever its items' categories.
ALL_CATEGORIES = "*"
# The operation key of reports that belong to no joint operation.
NO_OPERATION = 0


# DERIVED_ROWS: the summary rows' administration and region have no constraint in the database. Every such row is
# derived from reports, whose administration (and its region) is constrained; a constraint here is a deferred check
# per inserted row at each commit: 1.2 s of a month's 8.6 s in a full rebuild (1,000,000 reports). Deleting an
# administration or a region still deletes its rows (on_delete, done by Django).


class CountedKey(models.Model):
    """The keys of every summary row but where it counts (an administration, a region): the month, the state, the
    joint operation and the commodity category it answers for, and the dimension's value it counts."""

    month = models.DateField(help_text="First day of the seizure month.")
    state = models.CharField(max_length=16, help_text="The reports' state: approved or submitted.")
    operation_key = models.PositiveIntegerField(help_text="The joint operation's id; 0 for none.")
    category = models.CharField(max_length=32, help_text="A commodity category code; '*' for every category.")
    dimension = models.CharField(max_length=32)
    value = models.CharField(max_length=200, help_text="The dimension's value; '' for unknown.")

    class Meta:
        abstract = True


class SummaryKey(CountedKey):
    """The keys every per-administration summary row has: its bucket (month, administration) and the filters it
    answers."""

    administration = models.ForeignKey(
        Administration, db_index=False, db_constraint=False, on_delete=models.CASCADE, related_name="+"
    )  # no constraint: DERIVED_ROWS

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.administration_id} {self.state} {self.dimension}={self.value}"


class ItemFigures(models.Model):
    """What an item summary row sums: items, their normalised quantities (per unit family) and estimated values
    (per currency)."""

    unit_family = models.CharField(max_length=8)
    currency = models.CharField(max_length=3)
    items = models.PositiveIntegerField()
    quantity = models.DecimalField(max_digits=30, decimal_places=6, help_text="Sum of normalised quantities.")
    amount = models.DecimalField(max_digits=22, decimal_places=2, help_text="Sum of estimated values.")

    class Meta:
        abstract = True


class ReportSummary(SummaryKey):
    """Reports (approved or submitted, not duplicates) per value of a report-level dimension.

    Under ``category='*'`` each report counts once per value; under a category, only the reports with an item of
    that category count (once per value)."""

    reports = models.PositiveIntegerField()

    objects = SummaryQuerySet.as_manager()  # read through restrict(actor, "view"): apps.dashboards.querysets

    class Meta:
        indexes = [
            models.Index(fields=["dimension", "category", "state", "month"], name="dash_report_dim"),
            models.Index(fields=["month", "administration"], name="dash_report_bucket"),
        ]


class ItemSummary(SummaryKey, ItemFigures):
    """Items per value of an item-level dimension, with their quantities per unit family and values per currency.

    ``category`` is the item's own category; ``unit_family`` the dimension of its normalised quantity ('' when the
    quantity could not be normalised); ``currency`` the currency of its estimated value ('' when none)."""

    objects = SummaryQuerySet.as_manager()  # read through restrict(actor, "view"): apps.dashboards.querysets

    class Meta:
        indexes = [
            models.Index(fields=["dimension", "category", "state", "month"], name="dash_item_dim"),
            models.Index(fields=["month", "administration"], name="dash_item_bucket"),
        ]


class PersonSummary(SummaryKey):
    """Persons involved in reports per value of a person-derived attribute (nationality, sex, age band): shown
    only to holders of the personal-data capability for the region, small cells suppressed."""

    persons = models.PositiveIntegerField()

    objects = PersonSummaryQuerySet.as_manager()  # read through restrict(actor, "view"): apps.dashboards.querysets

    class Meta:
        indexes = [
            models.Index(fields=["dimension", "category", "state", "month"], name="dash_person_dim"),
            models.Index(fields=["month", "administration"], name="dash_person_bucket"),
        ]


class RegionKey(CountedKey):
    """The keys of the region-wide summaries: the administrations of a region together, what a dashboard without an
    administration filter reads (a tenth of the rows of a ten-administration region), and the only summaries that
    answer a country filter: ``place`` is a country with its role ('departure:TR', 'seizure:FR'), or '' for any
    (those rows are the sums of the administrations' rows)."""

    region = models.ForeignKey(
        Region, db_index=False, db_constraint=False, on_delete=models.CASCADE, related_name="+"
    )  # no constraint: DERIVED_ROWS
    place = models.CharField(max_length=32, help_text="A country with its role ('departure:TR'); '' for any.")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.region_id} {self.place} {self.state} {self.dimension}={self.value}"


class RegionReportSummary(RegionKey):
    """:class:`ReportSummary` of a region's administrations together."""

    reports = models.PositiveIntegerField()

    objects = RegionSummaryQuerySet.as_manager()  # read through restrict(actor, "view"): apps.dashboards.querysets

    class Meta:
        indexes = [
            models.Index(
                fields=["region", "dimension", "place", "category", "state", "month"], name="dash_rreport_dim"
            ),
            models.Index(fields=["month", "region"], name="dash_rreport_bucket"),
        ]


class RegionItemSummary(RegionKey, ItemFigures):
    """:class:`ItemSummary` of a region's administrations together."""

    objects = RegionSummaryQuerySet.as_manager()  # read through restrict(actor, "view"): apps.dashboards.querysets

    class Meta:
        indexes = [
            models.Index(fields=["region", "dimension", "place", "category", "state", "month"], name="dash_ritem_dim"),
            models.Index(fields=["month", "region"], name="dash_ritem_bucket"),
        ]


class LargestItem(models.Model):
    """The largest items (by normalised quantity) of a bucket, per state, operation, category and unit family:
    the region's largest seizures are the largest of these (a top ten of a union is within the union of the top
    tens)."""

    month = models.DateField()
    administration = models.ForeignKey(
        Administration, db_index=False, db_constraint=False, on_delete=models.CASCADE, related_name="+"
    )  # no constraint: DERIVED_ROWS
    state = models.CharField(max_length=16)
    operation_key = models.PositiveIntegerField()
    category = models.CharField(max_length=32)
    unit_family = models.CharField(max_length=8)
    item_id = models.BigIntegerField(help_text="The ReportItem (recomputed with its bucket, never dangling long).")
    report_id = models.BigIntegerField()
    quantity = models.DecimalField(max_digits=24, decimal_places=6)

    objects = SummaryQuerySet.as_manager()  # read through restrict(actor, "view"): apps.dashboards.querysets

    class Meta:
        indexes = [
            models.Index(fields=["unit_family", "-quantity"], name="dash_largest_quantity"),
            models.Index(fields=["month", "administration"], name="dash_largest_bucket"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.administration_id} {self.quantity} {self.unit_family}"


class DirtyBucket(models.Model):
    """A month of an administration whose summary rows must be recomputed (marked by the workflow services)."""

    month = models.DateField()
    administration = models.ForeignKey(Administration, db_index=False, on_delete=models.CASCADE, related_name="+")
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "administration"], name="dash_dirty_bucket_unique")]
        indexes = [models.Index(fields=["marked_at"], name="dash_dirty_marked")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.administration_id}"


class DirtyPlaces(models.Model):
    """A month of a region whose rows per place (:class:`RegionKey`) must be recomputed: marked by the recompute of
    one of its buckets, recomputed after it in a transaction of its own (a region's month of reports, per place,
    takes seconds: the bucket's own figures are not held up by it).

    A worker claims the mark (``claimed_at``) in a short transaction, recomputes, then deletes the mark only if
    it was not marked again meanwhile (``marked_at`` unchanged): a bucket's recompute never waits for the seconds a
    recompute per place takes, and a change committed during one is recomputed after it."""

    month = models.DateField()
    region = models.ForeignKey(Region, db_index=False, on_delete=models.CASCADE, related_name="+")
    first_marked_at = models.DateTimeField(default=timezone.now, help_text="The oldest change it stands for.")
    marked_at = models.DateTimeField(default=timezone.now, help_text="The newest: a change during a recompute.")
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When a worker began recomputing it.")

    class Meta:
        verbose_name_plural = "dirty places"  # (not shown: the dashboards' models have no admin)
        constraints = [models.UniqueConstraint(fields=["month", "region"], name="dash_dirty_places_unique")]
        indexes = [models.Index(fields=["first_marked_at"], name="dash_dirty_places_marked")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.region_id}"


class Reconciliation(models.Model):
    """One comparison of the summaries with the reports: when, how many buckets differed, which (the first few)."""

    checked_at = models.DateTimeField(default=timezone.now)
    buckets_checked = models.PositiveIntegerField()
    buckets_differing = models.PositiveIntegerField()
    differences = models.JSONField(default=list, help_text="The first differing buckets: month, administration.")

    class Meta:
        ordering = ["-checked_at"]

    def __str__(self) -> str:
        return f"{self.checked_at:%Y-%m-%d %H:%M}: {self.buckets_differing} of {self.buckets_checked} differ"


_KEY_FIELDS = frozenset({"id", "month", "administration", "state", "operation_key", "category", "dimension", "value"})
_REGION_KEY_FIELDS = (_KEY_FIELDS - {"administration"}) | {"region", "place"}
PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    "ReportSummary": frozenset(),
    "ItemSummary": frozenset(),
    "RegionReportSummary": frozenset(),
    "RegionItemSummary": frozenset(),
    # Counts of persons per nationality, sex or age band: derived from personal data, hence gated and suppressed.
    "PersonSummary": frozenset({"value", "persons"}),
    "LargestItem": frozenset(),
    "DirtyBucket": frozenset(),
    "DirtyPlaces": frozenset(),
    "Reconciliation": frozenset(),
}
NON_PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    "ReportSummary": _KEY_FIELDS | {"reports"},
    "ItemSummary": _KEY_FIELDS | {"unit_family", "currency", "items", "quantity", "amount"},
    "RegionReportSummary": _REGION_KEY_FIELDS | {"reports"},
    "RegionItemSummary": _REGION_KEY_FIELDS | {"unit_family", "currency", "items", "quantity", "amount"},
    "PersonSummary": _KEY_FIELDS - {"value"},
    "LargestItem": frozenset(
        {
            "id",
            "month",
            "administration",
            "state",
            "operation_key",
            "category",
            "unit_family",
            "item_id",
            "report_id",
            "quantity",
        }
    ),
    "DirtyBucket": frozenset({"id", "month", "administration", "marked_at"}),
    "DirtyPlaces": frozenset({"id", "month", "region", "first_marked_at", "marked_at", "claimed_at"}),
    "Reconciliation": frozenset({"id", "checked_at", "buckets_checked", "buckets_differing", "differences"}),
}
