"""The data migrations load every vocabulary of DESIGN.md 4.3, with stable codes and English labels."""

from __future__ import annotations

import csv
import importlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.test.utils import isolate_apps

from apps.reference.checks import vocabulary_foreign_key_errors
from apps.reference.models import (
    VOCABULARY_MODELS,
    CommodityCategory,
    CommodityType,
    ConcealmentMethod,
    ConveyanceType,
    Currency,
    Direction,
    EnforcementArea,
    HSCode,
    TransportMode,
    Unit,
)
from apps.reference.schemas import schema_problems
from apps.reference.selectors import country_list, country_resolve

pytestmark = pytest.mark.django_db

DATA_MIGRATIONS = (
    "0003_core_vocabularies",
    "0004_commodity_types",
    "0005_currencies",
    "0006_hs_subset",
    "0007_term_labels_fr_es_ru",
    "0008_currency_labels_fr_es_ru",
)


def codes(model: type[models.Model], **filters: object) -> set[str]:
    return set(model.objects.filter(**filters).values_list("code", flat=True))  # type: ignore[attr-defined]


def test_every_vocabulary_is_loaded_by_the_migrations():
    empty = [model.__name__ for model in VOCABULARY_MODELS if not model.objects.exists()]
    assert empty == []


def test_the_six_enforcement_areas_are_loaded():
    assert set(EnforcementArea.objects.values_list("label", flat=True)) == {
        "Cultural heritage",
        "Drugs",
        "Environment",
        "IPR and health & safety",
        "Revenue",
        "Security",
    }


def test_the_thirteen_commodity_categories_each_have_an_area_and_commodity_types():
    assert CommodityCategory.objects.count() == 13
    for category in CommodityCategory.objects.select_related("enforcement_area"):
        assert category.enforcement_area.code
        assert category.types.count() >= 5, category.code
    assert CommodityCategory.objects.get(code="CITES").enforcement_area.code == "ENVIRONMENT"
    assert CommodityCategory.objects.get(code="CULTURAL_GOODS").enforcement_area.code == "CULTURAL_HERITAGE"


def test_drug_tobacco_and_cash_types_are_the_usual_ones():
    assert {
        "COCAINE",
        "HEROIN",
        "CANNABIS_RESIN",
        "CANNABIS_HERBAL",
        "AMPHETAMINE",
        "MDMA_TABLETS",
        "METHAMPHETAMINE",
        "KHAT",
        "NPS",
        "FENTANYL",
    } <= codes(CommodityType, category__code="DRUGS")
    assert {"CIGARETTES", "CIGARS", "RAW_TOBACCO", "WATER_PIPE_TOBACCO", "E_LIQUIDS"} <= codes(
        CommodityType, category__code="TOBACCO"
    )
    assert {"BANKNOTES", "BEARER_INSTRUMENTS", "GOLD"} <= codes(CommodityType, category__code="CASH")


def test_every_commodity_type_has_a_default_unit_and_a_supported_attributes_schema():
    for commodity_type in CommodityType.objects.select_related("default_unit"):
        assert commodity_type.default_unit is not None, commodity_type.code
        assert commodity_type.attributes_schema["additionalProperties"] is False
        assert schema_problems(commodity_type.attributes_schema) == [], commodity_type.code


def test_commodity_schemas_carry_the_commodity_specific_attributes():
    def properties(code: str) -> dict[str, Any]:
        return CommodityType.objects.get(code=code).attributes_schema["properties"]

    assert properties("COCAINE")["purity_percent"] == {
        "type": "number",
        "title": "Purity (%)",
        "minimum": 0,
        "maximum": 100,
    }
    assert {"sticks_count", "brand_genuineness"} <= set(properties("CIGARETTES"))
    assert properties("IVORY")["cites_appendix"]["enum"] == ["I", "II", "III"]
    assert {"species", "live_or_dead"} <= set(properties("IVORY"))
    assert {"calibre", "serial_number_present"} <= set(properties("HANDGUNS"))
    assert {"banknotes", "cheques", "gold"} <= set(properties("BANKNOTES")["cash_type"]["enum"])
    assert CommodityType.objects.get(code="CIGARETTES").default_unit.code == "STK"  # type: ignore[union-attr]


def test_transport_modes_are_the_un_ece_recommendation_19_codes():
    assert dict(TransportMode.objects.values_list("code", "label")) == {
        "0": "Transport mode not specified",
        "1": "Maritime transport",
        "2": "Rail transport",
        "3": "Road transport",
        "4": "Air transport",
        "5": "Mail",
        "6": "Multimodal transport",
        "7": "Fixed transport installations",
        "8": "Inland water transport",
        "9": "Transport mode not applicable",
    }


def test_conveyance_types_know_their_transport_mode():
    assert ConveyanceType.objects.get(code="CONTAINER_VESSEL").transport_mode.code == "1"  # type: ignore[union-attr]
    assert ConveyanceType.objects.get(code="POSTAL_ITEM").transport_mode.code == "5"  # type: ignore[union-attr]
    assert not ConveyanceType.objects.filter(transport_mode__isnull=True).exists()


def test_units_convert_to_kilograms_litres_pieces_and_sticks():
    units = {unit.code: unit for unit in Unit.objects.all()}
    assert {"KGM", "GRM", "MGM", "TNE", "LTR", "MLT", "CLT", "MTQ", "H87", "C62", "PR", "NPR", "STK", "U2"} <= set(
        units
    )
    assert (units["KGM"].dimension, units["KGM"].factor) == ("mass", Decimal("1"))
    assert units["GRM"].factor == Decimal("0.001")
    assert units["TNE"].factor == Decimal("1000")
    assert (units["MLT"].dimension, units["MLT"].factor) == ("volume", Decimal("0.001"))
    assert units["MTQ"].factor == Decimal("1000")
    assert (units["PR"].dimension, units["PR"].factor) == ("count", Decimal("2"))
    assert (units["STK"].dimension, units["STK"].factor) == ("sticks", Decimal("1"))
    assert units["GRM"].normalise(Decimal("250")) == Decimal("0.25")
    assert units["MTR"].normalise(Decimal("3")) is None


def test_currencies_are_iso_4217_with_numeric_codes_and_minor_units():
    assert Currency.objects.count() >= 170
    euro = Currency.objects.get(code="EUR")
    assert (euro.numeric_code, euro.minor_units, euro.label) == ("978", 2, "Euro")
    assert Currency.objects.get(code="JPY").minor_units == 0
    assert Currency.objects.get(code="BHD").minor_units == 3
    assert Currency.objects.get(code="XAU").minor_units is None
    for code, numeric in Currency.objects.values_list("code", "numeric_code"):
        assert len(code) == 3 and code.isalpha() and code.isupper(), code
        assert len(numeric) == 3 and numeric.isdigit(), code
    assert Currency.objects.values("numeric_code").distinct().count() == Currency.objects.count()


def test_concealment_methods_have_two_levels():
    groups = ConcealmentMethod.objects.filter(parent__isnull=True)
    assert {"In conveyance", "On/in person", "In goods", "In baggage", "Postal/courier"} <= set(
        groups.values_list("label", flat=True)
    )
    methods = ConcealmentMethod.objects.filter(parent__isnull=False).select_related("parent")
    assert all(method.parent.parent_id is None for method in methods)  # type: ignore[union-attr]
    assert ConcealmentMethod.objects.get(code="PERSON_SWALLOWED").parent.code == "ON_PERSON"  # type: ignore[union-attr]
    assert ConcealmentMethod.objects.get(code="GOODS_MIXED").label == "Mixed in legitimate goods"


def test_directions_are_loaded():
    assert codes(Direction) == {"IMPORT", "EXPORT", "TRANSIT", "TRANSHIPMENT", "DOMESTIC", "UNKNOWN"}


def test_the_built_in_hs_subset_has_chapters_as_parents_and_the_data_sets_descriptions():
    assert 60 <= HSCode.objects.count() <= 120
    for heading in HSCode.objects.filter(level=4).select_related("parent"):
        chapter: Any = heading.parent
        assert chapter is not None and chapter.code == heading.code[:2], heading.code
        assert chapter.level == 2
    assert {"2402", "2208", "2939", "3004", "9302", "9306", "9701", "0106", "4403", "7108", "2903"} <= codes(
        HSCode, level=4
    )
    with Path(settings.RILO_HS_CSV).open(encoding="utf-8-sig") as hs_file:
        descriptions = {row["hscode"]: row for row in csv.DictReader(hs_file)}
    for term in HSCode.objects.all():
        assert (term.label, term.section) == (
            descriptions[term.code]["description"],
            descriptions[term.code]["section"],
        )


def test_partner_code_columns_are_left_empty():
    partner_coded = ~Q(cen_code="") | ~Q(cis_code="")
    for model in VOCABULARY_MODELS:
        manager: Any = model.objects
        assert not manager.filter(partner_coded).exists(), model.__name__


def test_running_the_data_migrations_again_changes_nothing():
    def snapshot() -> dict[str, list[Any]]:
        managers: dict[str, Any] = {model.__name__: model.objects for model in VOCABULARY_MODELS}
        return {name: sorted(manager.values_list()) for name, manager in managers.items()}

    before = snapshot()
    for name in DATA_MIGRATIONS:
        importlib.import_module(f"apps.reference.migrations.{name}").load(apps, None)
    assert snapshot() == before


def test_a_data_migration_restores_a_built_in_label_but_keeps_the_active_flag():
    Direction.objects.filter(code="EXPORT").update(label="Exprot", active=False)
    importlib.import_module("apps.reference.migrations.0003_core_vocabularies").load(apps, None)
    export = Direction.objects.get(code="EXPORT")
    assert (export.label, export.active) == ("Export", False)


def test_every_foreign_key_to_a_vocabulary_is_protect():
    assert vocabulary_foreign_key_errors(apps.get_models()) == []


@isolate_apps("apps.reference")
def test_the_system_check_names_a_foreign_key_to_a_vocabulary_that_cascades():
    class Sample(models.Model):  # noqa: DJ008
        unit = models.ForeignKey(Unit, on_delete=models.CASCADE)
        direction = models.ForeignKey(Direction, on_delete=models.PROTECT)

        class Meta:
            app_label = "reference"

    errors = vocabulary_foreign_key_errors([Sample])
    assert [error.id for error in errors] == ["reference.E001"]
    assert "reference.Sample.unit" in errors[0].msg and "CASCADE" in errors[0].msg


def test_countries_come_from_django_countries_by_code_or_english_name():
    countries = dict(country_list())
    assert len(countries) >= 249
    assert countries["FR"] == "France"
    assert country_resolve("FR") == "FR"
    assert country_resolve("fra") == "FR"
    assert country_resolve("250") == "FR"
    assert country_resolve(" kazakhstan ") == "KZ"
    assert country_resolve("Atlantis") is None
    assert country_resolve("") is None
