"""The report (one seizure or offence case), joint operations and the report's object permissions."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from apps.core.history import History
from apps.core.models import TimeStampedModel, UUIDModel
from apps.reference.models import (
    ConveyanceType,
    DetectionMethod,
    Direction,
    LocationType,
    SelectionBasis,
    TransportMode,
)
from apps.tenancy.models import Administration, Region

from ..choices import FormVariant, LegalFollowUp, ReportKind, ReportStatus
from ..querysets import ReportManager


class Operation(TimeStampedModel):
    """A joint customs operation several reports may belong to (e.g. a regional action week)."""

    code = models.SlugField(max_length=40, unique=True, verbose_name=_("code"))
    name = models.CharField(max_length=160, verbose_name=_("name"))
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="operations", verbose_name=_("region")
    )
    starts_on = models.DateField(null=True, blank=True, verbose_name=_("starts on"))
    ends_on = models.DateField(null=True, blank=True, verbose_name=_("ends on"))

    class Meta:
        verbose_name = _("operation")
        verbose_name_plural = _("operations")
        ordering = ["-starts_on", "code"]

    def __str__(self) -> str:
        return self.name


class Report(UUIDModel, TimeStampedModel):
    """One seizure or offence case, entered once by one administration and forwarded everywhere.

    ``uuid`` is the identity partners see; ``version`` increments on every approved change.
    Workflow transitions are made only by the services in ``apps.reports.services``.
    """

    # Not indexed alone: report_admin_status and the reference's unique constraint lead with it.
    administration = models.ForeignKey(Administration, on_delete=models.PROTECT, related_name="reports", db_index=False)
    kind = models.CharField(max_length=16, choices=ReportKind.choices, default=ReportKind.SEIZURE)
    form_variant = models.CharField(max_length=16, choices=FormVariant.choices, default=FormVariant.FULL)
    national_reference = models.CharField(max_length=64, help_text=_("The administration's own case number."))
    status = models.CharField(max_length=16, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    version = models.PositiveIntegerField(default=1)

    seizure_date = models.DateField()
    seizure_time = models.TimeField(null=True, blank=True)
    country_of_seizure = CountryField()
    customs_office = models.CharField(max_length=160, blank=True)
    place = models.CharField(max_length=200, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    # Vocabulary foreign keys carry no index of their own: few distinct values, rarely filtered
    # alone, and terms are deactivated rather than deleted; an index each would slow every write.
    location_type = models.ForeignKey(
        LocationType, db_index=False, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    direction = models.ForeignKey(
        Direction, db_index=False, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    transport_mode = models.ForeignKey(
        TransportMode, db_index=False, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    conveyance_type = models.ForeignKey(
        ConveyanceType, db_index=False, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    detection_methods = models.ManyToManyField(DetectionMethod, blank=True, related_name="+")
    selection_basis = models.ForeignKey(
        SelectionBasis, db_index=False, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    modus_operandi = models.TextField(blank=True, help_text=_("Free text; treated as personal data."))
    number_of_offenders = models.PositiveIntegerField(null=True, blank=True)
    legal_follow_up = models.CharField(
        max_length=16, choices=LegalFollowUp.choices, default=LegalFollowUp.UNKNOWN, blank=True
    )
    # Both are empty on most reports: indexed where given only (Meta.indexes).
    operation = models.ForeignKey(
        Operation, db_index=False, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    duplicate_of = models.ForeignKey(
        "self", db_index=False, null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, db_index=False, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, db_index=False, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    # Full-text search over the reference, place, items' descriptions and brands (free text the
    # catalogue counts as personal for partners, searchable by whoever may see the report; never the
    # modus operandi); kept up to date by the services, not by signals.
    search_vector = SearchVectorField(null=True, editable=False)

    history = History(excluded_fields=["search_vector"], indexed=("id",))
    objects = ReportManager()

    class Meta:
        ordering = ["-seizure_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["administration", "national_reference"], name="report_national_reference_unique"
            ),
            models.CheckConstraint(name="report_not_duplicate_of_itself", condition=~Q(duplicate_of=models.F("pk"))),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="report_search_gin"),
            models.Index(fields=["administration", "status"], name="report_admin_status"),
            models.Index(fields=["status", "submitted_at"], name="report_status_submitted"),
            # The review queue's figures (apps.dashboards): its size, oldest and median submission, index-only.
            models.Index(
                fields=["submitted_at"],
                include=["administration"],
                condition=models.Q(status="submitted", duplicate_of__isnull=True),
                name="report_review_queue",
            ),
            models.Index(fields=["country_of_seizure", "seizure_date"], name="report_country_date"),
            # An operation's reports, a report's duplicates (and what deleting one changes): the few that name one.
            models.Index(fields=["operation"], condition=Q(operation__isnull=False), name="report_operation"),
            models.Index(fields=["duplicate_of"], condition=Q(duplicate_of__isnull=False), name="report_duplicate_of"),
            # The default order of lists (newest seizure first, then newest row), walked by cursor pages.
            models.Index(fields=["seizure_date", "id"], name="report_seizure_date_id"),
            # The other orders a list page offers (apps.reports.choices.ORDERING_CHOICES), each walked by cursor
            # pages either way. submitted_at is null for drafts, which sort last both ways: one index per direction.
            models.Index(fields=["national_reference", "id"], name="report_reference_id"),
            models.Index(fields=["submitted_at", "id"], name="report_submitted_at_id"),
            models.Index(
                models.F("submitted_at").desc(nulls_last=True),
                models.F("id").desc(),
                name="report_submitted_at_desc_id",
            ),
        ]
        permissions = [
            ("submit_report", "Can submit reports for review"),
            ("review_report", "Can review submitted reports (return them for correction)"),
            ("approve_report", "Can approve submitted reports"),
            ("correct_report", "Can correct approved reports (new approved version)"),
            ("withdraw_report", "Can withdraw approved reports"),
            ("mark_duplicate_report", "Can mark a report as a duplicate of another"),
            ("share_report", "Can share a report with another administration"),
            ("assign_report", "Can assign a reviewer to a report"),
            ("export_report", "Can export reports"),
            ("view_all_report", "Can see every non-draft report of the region"),
            ("view_personal_data_report", "Can see the personal data of reports (parties, personal attachments)"),
        ]

    def __str__(self) -> str:
        return f"{self.national_reference} ({self.get_status_display()})"

    @property
    def is_duplicate(self) -> bool:
        return self.duplicate_of_id is not None

    @property
    def is_forwardable(self) -> bool:
        """Approved and not a duplicate: the only reports ever forwarded to partners."""
        return self.status == ReportStatus.APPROVED and self.duplicate_of_id is None


class ReportUserObjectPermission(UserObjectPermissionBase):
    """A permission on one report granted to one user (e.g. an assigned reviewer)."""

    content_object = models.ForeignKey(Report, on_delete=models.CASCADE)


class ReportGroupObjectPermission(GroupObjectPermissionBase):
    """A permission on one report granted to a group (e.g. an administration in a joint operation).

    ``expires_at`` (optional) ends the grant: from then on ``restrict()`` ignores the row (in SQL), and
    the purge task deletes it.
    """

    content_object = models.ForeignKey(Report, on_delete=models.CASCADE)
    expires_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text=_("When the grant ends; never when empty.")
    )
