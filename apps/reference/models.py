"""Controlled vocabularies (DESIGN.md 4.3).

Every term has a stable ``code``, an English ``label`` (translations beside it), an optional
``parent`` for hierarchies, an ``active`` flag (terms in use are deactivated, never deleted:
foreign keys to them are PROTECT) and empty partner-code columns (``cen_code``, ``cis_code``)
to fill when the partners' code lists are known. None of this is personal data.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .querysets import HSCodeQuerySet, VocabularyQuerySet

PERSONAL_FIELDS: dict[str, frozenset[str]] = {}  # reference data holds no personal data


class Vocabulary(models.Model):
    """Base of every vocabulary term."""

    code = models.CharField(max_length=32, unique=True)
    label = models.CharField(max_length=1000, help_text=_("English label."))
    translations = models.JSONField(default=dict, blank=True, help_text='Labels by language, e.g. {"fr": "…"}.')
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    active = models.BooleanField(default=True)
    sort_order = models.PositiveIntegerField(default=0)
    cen_code = models.CharField(_("CEN code"), max_length=32, blank=True)
    cis_code = models.CharField(_("CIS+ code"), max_length=32, blank=True)

    objects = VocabularyQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["sort_order", "label"]
        # resolve() compares codes and labels case-insensitively (UPPER(...) = UPPER(...)).
        indexes = [
            models.Index(Upper("code"), name="ref_%(class)s_code_ci"),
            models.Index(Upper("label"), name="ref_%(class)s_label_ci"),
        ]

    def __str__(self) -> str:
        return self.localized_label

    def clean(self) -> None:
        super().clean()
        if self.pk is not None and self.parent is not None and self.parent.pk == self.pk:
            raise ValidationError({"parent": "A term cannot be its own parent."})

    @property
    def localized_label(self) -> str:
        language = (get_language() or "en").split("-")[0]
        return str(self.translations.get(language) or self.label)


class EnforcementArea(Vocabulary):
    """WCO enforcement area (drugs, revenue, IPR, security, ...)."""


class CommodityCategory(Vocabulary):
    """One of the 13 commodity categories reports are grouped by."""

    enforcement_area = models.ForeignKey(EnforcementArea, on_delete=models.PROTECT, related_name="categories")

    class Meta(Vocabulary.Meta):
        verbose_name_plural = _("commodity categories")


class CommodityType(Vocabulary):
    """A commodity type within a category; ``attributes_schema`` validates an item's extra attributes."""

    category = models.ForeignKey(CommodityCategory, on_delete=models.PROTECT, related_name="types")
    default_unit = models.ForeignKey("Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    attributes_schema = models.JSONField(
        default=dict, blank=True, help_text=_("JSON Schema of the commodity-specific attributes of an item.")
    )


class DetectionMethod(Vocabulary):
    """How the goods were detected (X-ray, sniffer dog, document check, ...)."""


class SelectionBasis(Vocabulary):
    """Why the consignment was selected for control (risk profile, intelligence, random, ...)."""

    class Meta(Vocabulary.Meta):
        verbose_name_plural = _("selection bases")


class ConcealmentMethod(Vocabulary):
    """Concealment method, two levels: a group (parent) and the method itself."""

    def clean(self) -> None:
        super().clean()
        if self.parent is not None and self.parent.parent is not None:
            raise ValidationError({"parent": "Concealment methods have two levels: choose a group as the parent."})


class TransportMode(Vocabulary):
    """Mode of transport, UN/ECE Recommendation 19 (codes 0-9)."""


class ConveyanceType(Vocabulary):
    """Type of conveyance (container vessel, passenger aircraft, truck, postal item, ...)."""

    transport_mode = models.ForeignKey(
        TransportMode, null=True, blank=True, on_delete=models.PROTECT, related_name="conveyance_types"
    )


class LocationType(Vocabulary):
    """Where the seizure happened (seaport, airport, land border, inland, postal centre, ...)."""


class Direction(Vocabulary):
    """Direction of the goods (import, export, transit, ...)."""


class Unit(Vocabulary):
    """Unit of measure, UN/ECE Recommendation 20 subset, with its conversion to a normalised unit."""

    class Dimension(models.TextChoices):
        MASS = "mass", _("Mass (kg)")
        VOLUME = "volume", _("Volume (litres)")
        COUNT = "count", _("Count (pieces)")
        STICKS = "sticks", _("Sticks")
        OTHER = "other", _("Other (not normalised)")

    symbol = models.CharField(max_length=16, blank=True)
    dimension = models.CharField(max_length=8, choices=Dimension.choices, default=Dimension.OTHER)
    factor = models.DecimalField(
        max_digits=20,
        decimal_places=9,
        null=True,
        blank=True,
        help_text=_("Multiply a quantity in this unit by the factor to get kg, litres, pieces or sticks."),
    )

    def normalise(self, quantity: Decimal) -> Decimal | None:
        """The quantity in the dimension's base unit, or None where no conversion is defined."""
        if self.factor is None or self.dimension == self.Dimension.OTHER:
            return None
        return quantity * self.factor


class Currency(Vocabulary):
    """ISO 4217 currency; ``code`` is the alphabetic code."""

    numeric_code = models.CharField(max_length=3, blank=True)
    minor_units = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta(Vocabulary.Meta):
        verbose_name_plural = "currencies"


class HSCode(Vocabulary):
    """Harmonized System 2022 chapter (2 digits), heading (4) or subheading (6); ``label`` is the description."""

    level = models.PositiveSmallIntegerField(choices=[(2, "Chapter"), (4, "Heading"), (6, "Subheading")])
    section = models.CharField(max_length=5, blank=True, help_text=_("Roman numeral of the HS section."))

    objects = HSCodeQuerySet.as_manager()  # type: ignore[misc]

    class Meta(Vocabulary.Meta):
        verbose_name = _("HS code")
        ordering = ["code"]


# Every vocabulary, in the order the admin and the tests list them.
VOCABULARY_MODELS: tuple[type[Vocabulary], ...] = (
    EnforcementArea,
    CommodityCategory,
    CommodityType,
    DetectionMethod,
    SelectionBasis,
    ConcealmentMethod,
    TransportMode,
    ConveyanceType,
    LocationType,
    Direction,
    Unit,
    Currency,
    HSCode,
)
