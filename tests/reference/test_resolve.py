"""VocabularyQuerySet.resolve(): a code, or an English label compared case-insensitively."""

from __future__ import annotations

import pytest

from apps.reference.models import CommodityType, Currency, DetectionMethod, Direction, HSCode, TransportMode, Unit

pytestmark = pytest.mark.django_db


def test_it_resolves_a_code():
    assert TransportMode.objects.resolve("4").label == "Air transport"
    assert CommodityType.objects.resolve("COCAINE").label == "Cocaine"
    assert Unit.objects.resolve("KGM").label == "kilogram"


def test_it_resolves_a_code_in_any_case():
    assert Currency.objects.resolve("eur").code == "EUR"
    assert CommodityType.objects.resolve("cannabis_resin").code == "CANNABIS_RESIN"


def test_it_resolves_an_english_label_case_insensitively_and_ignores_extra_spaces():
    assert CommodityType.objects.resolve("  herbal   CANNABIS ").code == "CANNABIS_HERBAL"
    assert TransportMode.objects.resolve("maritime transport").code == "1"
    assert Direction.objects.resolve("Transhipment").code == "TRANSHIPMENT"
    assert Unit.objects.resolve("Kilogram").code == "KGM"
    assert Currency.objects.resolve("pound sterling").code == "GBP"


def test_it_returns_none_for_unknown_or_empty_values():
    assert CommodityType.objects.resolve("unobtainium") is None
    assert CommodityType.objects.resolve("") is None
    assert CommodityType.objects.resolve("   ") is None
    assert CommodityType.objects.resolve(None) is None


def test_a_code_wins_over_another_terms_label():
    DetectionMethod.objects.create(code="SCAN", label="Scanning")
    DetectionMethod.objects.create(code="SCAN_OLD", label="scan")
    assert DetectionMethod.objects.resolve("Scan").code == "SCAN"


def test_an_active_term_wins_over_an_inactive_one_with_the_same_label():
    Direction.objects.create(code="REEXPORT_OLD", label="Re-export", active=False)
    Direction.objects.create(code="REEXPORT", label="Re-export")
    assert Direction.objects.resolve("re-export").code == "REEXPORT"


def test_an_inactive_term_still_resolves():
    Direction.objects.filter(code="DOMESTIC").update(active=False)
    term = Direction.objects.resolve("domestic")
    assert (term.code, term.active) == ("DOMESTIC", False)


def test_a_label_shared_by_two_active_terms_is_ambiguous():
    DetectionMethod.objects.create(code="CANINE", label="Sniffer dog")
    assert DetectionMethod.objects.resolve("sniffer dog") is None
    assert DetectionMethod.objects.resolve("SNIFFER_DOG").code == "SNIFFER_DOG"


def test_it_is_limited_to_the_queryset_it_is_called_on():
    assert CommodityType.objects.filter(category__code="TOBACCO").resolve("cocaine") is None
    assert CommodityType.objects.active().resolve("cocaine").code == "COCAINE"


def test_hs_codes_resolve_with_dots_or_spaces_and_by_description():
    assert HSCode.objects.resolve("24.02").code == "2402"
    assert HSCode.objects.resolve("24 02").code == "2402"
    assert HSCode.objects.resolve("9999") is None
    assert (
        HSCode.objects.resolve("cigars, cheroots, cigarillos and cigarettes; of tobacco or of tobacco substitutes").code
        == "2402"
    )


@pytest.mark.parametrize(
    ("model", "value", "code"),
    [
        (CommodityType, "Cocaïne", "COCAINE"),
        (CommodityType, "résine de cannabis", "CANNABIS_RESIN"),
        (CommodityType, "Resina de Cannabis", "CANNABIS_RESIN"),
        (CommodityType, "СМОЛА КАННАБИСА (ГАШИШ)", "CANNABIS_RESIN"),
        (TransportMode, "transporte aéreo", "4"),
        (TransportMode, "Воздушный транспорт", "4"),
        (Direction, "  importation ", "IMPORT"),
        (Unit, "килограмм", "KGM"),
        (Currency, "Dollar des États-Unis", "USD"),
    ],
)
def test_it_resolves_a_label_in_french_spanish_or_russian_case_insensitively(model, value, code):
    assert model.objects.resolve(value).code == code


def test_an_english_label_wins_over_another_terms_translation():
    DetectionMethod.objects.create(code="CHIEN", label="Chien détecteur")
    assert DetectionMethod.objects.resolve("chien détecteur").code == "CHIEN"


def test_a_translation_shared_by_two_active_terms_is_ambiguous():
    DetectionMethod.objects.create(code="CANINE", label="Canine unit", translations={"fr": "Chien détecteur"})
    assert DetectionMethod.objects.resolve("Chien détecteur") is None
