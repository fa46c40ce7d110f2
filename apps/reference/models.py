"""Controlled vocabularies (DESIGN.md 4.3).

Every term has a stable ``code``, an English ``label`` (translations beside it), an optional
``parent`` for hierarchies, an ``active`` flag (terms in use are deactivated, never deleted:
foreign keys to them are PROTECT) and empty partner-code columns (``cen_code``, ``cis_code``)
to fill when the partners' code lists are known. None of this is personal data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Upper
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.core.languages import current_language, translated_languages

from .querysets import HSCodeQuerySet, VocabularyQuerySet

PERSONAL_FIELDS: dict[str, frozenset[str]] = {}  # reference data holds no personal data


def clean_translations(value: Any) -> dict[str, str]:
    """A term's ``translations`` checked: an object of non-empty labels by translated language (blank: none).

    Anything else (a list, a text, a label that is not a text) is refused with a ValidationError on the
    field: every page showing the term reads it as such an object."""
    if value in (None, "", {}, []):
        return {}
    example = {"fr": "…", "es": "…"}
    if not isinstance(value, dict):
        raise ValidationError(
            {
                "translations": _("Write the translations as labels by language, such as %(example)s.")
                % {"example": json.dumps(example, ensure_ascii=False)}
            }
        )
    languages = translated_languages()
    problems: list[str] = []
    cleaned: dict[str, str] = {}
    for language, text in value.items():
        if language not in languages:
            problems.append(
                _("“%(language)s” is not a language to translate into; use %(languages)s.")
                % {"language": language, "languages": ", ".join(languages)}
            )
        elif not isinstance(text, str) or not text.strip():
            problems.append(_("The label in “%(language)s” must be a text, not empty.") % {"language": language})
        else:
            cleaned[language] = " ".join(text.split())
    if problems:
        raise ValidationError({"translations": problems})
    return cleaned


class Vocabulary(models.Model):
    """Base of every vocabulary term."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    label = models.CharField(_("label"), max_length=1000, help_text=_("English label."))
    translations = models.JSONField(
        _("translations"), default=dict, blank=True, help_text=_('Labels by language, e.g. {"fr": "…"}.')
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
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
            raise ValidationError({"parent": _("A term cannot be its own parent.")})
        self.translations = clean_translations(self.translations)
        if type(self).objects.all().translated_labels:
            self._check_names_are_its_own()

    def _check_names_are_its_own(self) -> None:
        """Uploads and the API accept a term's code or its label in any language (``resolve``): a label or a
        translation that is another term's code or label, in any language, would make that value ambiguous."""
        names = {" ".join(str(name).split()).casefold(): name for name in (self.label, *self.translations.values())}
        names.pop("", None)
        if not names:
            return
        others = type(self).objects.exclude(pk=self.pk) if self.pk is not None else type(self).objects.all()
        clashes: dict[str, str] = {}
        for code, label, translations in others.values_list("code", "label", "translations").iterator():
            theirs = [code, label, *(translations.values() if isinstance(translations, dict) else [])]
            for their_name in theirs:
                name = names.get(" ".join(str(their_name).split()).casefold())
                if name is not None:
                    clashes.setdefault(name, code)
        if clashes:
            raise ValidationError(
                [
                    ValidationError(
                        _("“%(name)s” already names the term %(code)s: give this term a name of its own."),
                        params={"name": name, "code": code},
                    )
                    for name, code in sorted(clashes.items())
                ]
            )

    @property
    def localized_label(self) -> str:
        translations = self.translations if isinstance(self.translations, dict) else {}
        return str(translations.get(current_language()) or self.label)


class EnforcementArea(Vocabulary):
    """WCO enforcement area (drugs, revenue, IPR, security, ...)."""

    class Meta(Vocabulary.Meta):
        verbose_name = _("enforcement area")
        verbose_name_plural = _("enforcement areas")


class CommodityCategory(Vocabulary):
    """One of the 13 commodity categories reports are grouped by."""

    enforcement_area = models.ForeignKey(
        EnforcementArea, verbose_name=_("enforcement area"), on_delete=models.PROTECT, related_name="categories"
    )

    class Meta(Vocabulary.Meta):
        verbose_name = _("commodity category")
        verbose_name_plural = _("commodity categories")


class CommodityType(Vocabulary):
    """A commodity type within a category; ``attributes_schema`` validates an item's extra attributes."""

    category = models.ForeignKey(
        CommodityCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="types"
    )
    default_unit = models.ForeignKey(
        "Unit", verbose_name=_("default unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attributes_schema = models.JSONField(
        _("attributes schema"),
        default=dict,
        blank=True,
        help_text=_("JSON Schema of the commodity-specific attributes of an item."),
    )

    class Meta(Vocabulary.Meta):
        verbose_name = _("commodity type")
        verbose_name_plural = _("commodity types")


class DetectionMethod(Vocabulary):
    """How the goods were detected (X-ray, sniffer dog, document check, ...)."""

    class Meta(Vocabulary.Meta):
        verbose_name = _("detection method")
        verbose_name_plural = _("detection methods")


class SelectionBasis(Vocabulary):
    """Why the consignment was selected for control (risk profile, intelligence, random, ...)."""

    class Meta(Vocabulary.Meta):
        verbose_name = _("selection basis")
        verbose_name_plural = _("selection bases")


class ConcealmentMethod(Vocabulary):
    """Concealment method, two levels: a group (parent) and the method itself."""

    class Meta(Vocabulary.Meta):
        verbose_name = _("concealment method")
        verbose_name_plural = _("concealment methods")

    def clean(self) -> None:
        super().clean()
        if self.parent is not None and self.parent.parent is not None:
            raise ValidationError({"parent": _("Concealment methods have two levels: choose a group as the parent.")})


class TransportMode(Vocabulary):
    """Mode of transport, UN/ECE Recommendation 19 (codes 0-9)."""

    class Meta(Vocabulary.Meta):
        verbose_name = _("transport mode")
        verbose_name_plural = _("transport modes")


class ConveyanceType(Vocabulary):
    """Type of conveyance (container vessel, passenger aircraft, truck, postal item, ...)."""

    transport_mode = models.ForeignKey(
        TransportMode,
        verbose_name=_("transport mode"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conveyance_types",
    )

    class Meta(Vocabulary.Meta):
        verbose_name = _("conveyance type")
        verbose_name_plural = _("conveyance types")


class LocationType(Vocabulary):
    """Where the seizure happened (seaport, airport, land border, inland, postal centre, ...)."""

    class Meta(Vocabulary.Meta):
        verbose_name = _("location type")
        verbose_name_plural = _("location types")


class Direction(Vocabulary):
    """Direction of the goods (import, export, transit, ...)."""

    class Meta(Vocabulary.Meta):
        verbose_name = _("direction")
        verbose_name_plural = _("directions")


class Unit(Vocabulary):
    """Unit of measure, UN/ECE Recommendation 20 subset, with its conversion to a normalised unit."""

    class Dimension(models.TextChoices):
        MASS = "mass", _("Mass (kg)")
        VOLUME = "volume", _("Volume (litres)")
        COUNT = "count", _("Count (pieces)")
        STICKS = "sticks", _("Sticks")
        OTHER = "other", _("Other (not normalised)")

    symbol = models.CharField(_("symbol"), max_length=16, blank=True)
    dimension = models.CharField(_("dimension"), max_length=8, choices=Dimension.choices, default=Dimension.OTHER)
    factor = models.DecimalField(
        _("factor"),
        max_digits=20,
        decimal_places=9,
        null=True,
        blank=True,
        help_text=_("Multiply a quantity in this unit by the factor to get kg, litres, pieces or sticks."),
    )

    class Meta(Vocabulary.Meta):
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def normalise(self, quantity: Decimal) -> Decimal | None:
        """The quantity in the dimension's base unit, or None where no conversion is defined."""
        if self.factor is None or self.dimension == self.Dimension.OTHER:
            return None
        return quantity * self.factor


@dataclass(frozen=True)
class BaseUnit:
    """The unit a family of units (a ``Unit.Dimension``) is normalised to."""

    code: str  # stable: the statistics' column unit, which the API's readers compare
    family: str  # the ``Unit.Dimension`` value
    name: Promise  # as a quantity shows it, in the reader's language


# The one table of base units: the report form's normalised quantity and the dashboards' columns read it.
BASE_UNITS: tuple[BaseUnit, ...] = (
    BaseUnit("kg", Unit.Dimension.MASS.value, pgettext_lazy("unit symbol", "kg")),
    BaseUnit("l", Unit.Dimension.VOLUME.value, pgettext_lazy("unit symbol", "l")),
    BaseUnit("sticks", Unit.Dimension.STICKS.value, pgettext_lazy("unit", "sticks")),
    BaseUnit("pieces", Unit.Dimension.COUNT.value, pgettext_lazy("unit", "pieces")),
)
BASE_UNIT_OF_FAMILY: dict[str, BaseUnit] = {unit.family: unit for unit in BASE_UNITS}


class Currency(Vocabulary):
    """ISO 4217 currency; ``code`` is the alphabetic code."""

    numeric_code = models.CharField(_("numeric code"), max_length=3, blank=True)
    minor_units = models.PositiveSmallIntegerField(_("minor units"), null=True, blank=True)

    class Meta(Vocabulary.Meta):
        verbose_name = _("currency")
        verbose_name_plural = _("currencies")


class HSCode(Vocabulary):
    """Harmonized System 2022 chapter (2 digits), heading (4) or subheading (6); ``label`` is the description."""

    level = models.PositiveSmallIntegerField(
        _("level"), choices=[(2, _("Chapter")), (4, _("Heading")), (6, _("Subheading"))]
    )
    section = models.CharField(_("section"), max_length=5, blank=True, help_text=_("Roman numeral of the HS section."))

    objects = HSCodeQuerySet.as_manager()  # type: ignore[misc]

    class Meta(Vocabulary.Meta):
        verbose_name = _("HS code")
        verbose_name_plural = _("HS codes")
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
