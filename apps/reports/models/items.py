"""What was seized, where it travelled and on what: a report's items, route and conveyances."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from apps.core.history import History
from apps.reference.models import (
    CommodityCategory,
    CommodityType,
    ConcealmentMethod,
    ConveyanceType,
    Currency,
    HSCode,
    TransportMode,
    Unit,
)

from ..choices import Genuineness, IdentifierType, RouteRole
from .report import Report


class ReportItem(models.Model):
    """One kind of goods in a report, with its quantity and a normalised quantity for aggregation.

    ``attributes`` holds the commodity-specific data (purity, sticks, species, calibre, ...),
    validated against ``commodity_type.attributes_schema`` by the services.
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=1)
    commodity_category = models.ForeignKey(CommodityCategory, on_delete=models.PROTECT, related_name="+")
    # Vocabulary foreign keys carry no index of their own (see Report); commodity_type is the first
    # column of the reportitem_type_dim index.
    commodity_type = models.ForeignKey(
        CommodityType, db_index=False, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hs_code = models.ForeignKey(
        HSCode, db_index=False, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(blank=True, help_text=_("Describe the goods; no names of persons."))
    quantity = models.DecimalField(max_digits=18, decimal_places=3)
    unit = models.ForeignKey(Unit, db_index=False, on_delete=models.PROTECT, related_name="+")
    normalised_quantity = models.DecimalField(max_digits=24, decimal_places=6, null=True, blank=True, editable=False)
    normalised_dimension = models.CharField(max_length=8, choices=Unit.Dimension.choices, blank=True, editable=False)
    packages_count = models.PositiveIntegerField(null=True, blank=True)
    estimated_value = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    currency = models.ForeignKey(
        Currency, db_index=False, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    brand = models.CharField(max_length=120, blank=True)
    genuineness = models.CharField(max_length=16, choices=Genuineness.choices, default=Genuineness.UNKNOWN)
    country_of_manufacture = CountryField(blank=True)
    concealment_method = models.ForeignKey(
        ConcealmentMethod, db_index=False, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    concealment_detail = models.TextField(blank=True, help_text=_("Free text; treated as personal data."))
    attributes = models.JSONField(default=dict, blank=True)

    history = History(indexed=("report",))

    class Meta:
        ordering = ["report", "position", "pk"]
        indexes = [
            models.Index(fields=["commodity_type", "normalised_dimension"], name="reportitem_type_dim"),
            # The largest seizures per unit family under filters the kept largest items do not answer (a country
            # with its role: apps.dashboards): walked from the largest down until ten match.
            models.Index(
                "normalised_dimension",
                models.F("normalised_quantity").desc(),
                condition=models.Q(normalised_quantity__isnull=False),
                name="reportitem_dim_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.unit.code} {self.commodity_category}"


class RouteCountry(models.Model):
    """One step of the goods' route, in order: origin, departure, transit(s), destination."""

    # Found by its report through the unique constraint's index (report, sequence): no index of its own.
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="route", db_index=False)
    sequence = models.PositiveSmallIntegerField()
    role = models.CharField(max_length=24, choices=RouteRole.choices)
    country = CountryField()
    place = models.CharField(max_length=120, blank=True)
    unlocode = models.CharField(_("UN/LOCODE"), max_length=5, blank=True)

    history = History(indexed=("report",))

    class Meta:
        ordering = ["report", "sequence"]
        verbose_name_plural = _("route countries")
        constraints = [models.UniqueConstraint(fields=["report", "sequence"], name="routecountry_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.sequence}. {self.get_role_display()} {self.country.code}"


class Conveyance(models.Model):
    """A means of transport involved in the case; its identifier (a plate, a flight) may be personal."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="conveyances")
    transport_mode = models.ForeignKey(
        TransportMode, db_index=False, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    conveyance_type = models.ForeignKey(
        ConveyanceType, db_index=False, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    identifier_type = models.CharField(max_length=16, choices=IdentifierType.choices, blank=True)
    identifier = models.CharField(max_length=64, blank=True)
    flag_country = CountryField(blank=True)

    history = History(indexed=("report",))

    class Meta:
        ordering = ["report", "pk"]
        indexes = [models.Index(fields=["identifier"], name="conveyance_identifier")]

    def __str__(self) -> str:
        return f"{self.get_identifier_type_display()} {self.identifier}".strip()
