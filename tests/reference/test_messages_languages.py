"""Reference data speaks the reader's language: its refusals are marked sentences (counts in the language's
plural forms), terms are offered sorted by the label the reader reads, and looking a value up skips the
translations of a vocabulary that has none (HS)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from apps.reference.forms import TermChoiceField, TermFilterField
from apps.reference.models import CommodityCategory, Currency, Direction, HSCode
from apps.reference.selectors import in_reading_order, term_usages, usage_message

pytestmark = pytest.mark.django_db


def test_a_term_that_is_its_own_parent_is_refused_in_the_readers_language() -> None:
    term = Direction.objects.get(code="IMPORT")
    term.parent = term
    with translation.override("es"):
        with pytest.raises(ValidationError) as refused:
            term.full_clean()
        assert refused.value.message_dict["parent"] == ["Un término no puede ser su propio padre."]


@pytest.mark.parametrize(
    ("count", "russian"),
    [
        (1, "1 запись в «виды товара» (категория)"),
        (2, "2 записи в «виды товара» (категория)"),
        (5, "5 записей в «виды товара» (категория)"),
        (21, "21 запись в «виды товара» (категория)"),
    ],
)
def test_where_a_term_is_used_is_counted_in_the_languages_plural_forms(count: int, russian: str) -> None:
    from apps.reference.selectors import TermUsage

    usage = TermUsage(model_name="виды товара", field_name="категория", count=count)
    with translation.override("ru"):
        assert str(usage) == russian


def test_the_usage_message_names_the_term_in_the_readers_language() -> None:
    drugs = CommodityCategory.objects.get(code="DRUGS")
    with translation.override("fr"):
        message = usage_message(term_usages(terms=[drugs]))
    assert message.startswith("« Drogues » (DRUGS) est utilisé par 22 enregistrements de « types de marchandise » (")
    assert message.endswith(
        "Un terme utilisé ne peut pas être supprimé : désactivez-le plutôt (il reste sur les "
        "enregistrements existants mais ne peut plus être choisi)."
    )


def _term(code: str, label: str, russian: str) -> Direction:
    return Direction.objects.create(code=code, label=label, translations={"ru": russian}, sort_order=500)


def test_terms_are_offered_in_the_order_of_the_readers_labels() -> None:
    # Equal in the vocabulary's order: English sorts them A, B, C; Russian C, B, A, whatever the case (a lower-case
    # first letter sorts after every capital by code point).
    _term("X_A", "Abroad", "Жилище")
    _term("X_B", "Between", "Граница")
    _term("X_C", "Coastal", "адрес")
    added = Direction.objects.filter(code__startswith="X_")
    with translation.override("en"):
        assert [term.code for term in in_reading_order(added)] == ["X_A", "X_B", "X_C"]
    with translation.override("ru"):
        assert [term.code for term in in_reading_order(added)] == ["X_C", "X_B", "X_A"]
    field = TermChoiceField(queryset=added, to_field_name="code", empty_label="-")
    with translation.override("ru"):
        assert [str(label) for _value, label in field.widget.choices] == ["-", "адрес", "Граница", "Жилище"]


def test_a_filters_terms_are_offered_in_the_order_of_the_readers_labels() -> None:
    _term("X_A", "Abroad", "Жилище")
    _term("X_B", "Between", "Граница")
    field = TermFilterField(queryset=Direction.objects.filter(code__startswith="X_"), empty_label="-")
    with translation.override("en"):
        assert [str(label) for _value, label in field.widget.choices] == ["-", "Abroad", "Between"]
    with translation.override("ru"):
        assert [str(label) for _value, label in field.widget.choices] == ["-", "Граница", "Жилище"]


def test_an_hs_code_is_never_looked_up_in_translations_it_does_not_have() -> None:
    with CaptureQueriesContext(connection) as queries:
        assert HSCode.objects.resolve("not a heading of any chapter") is None
    assert len(queries) == 2  # by code, by description: no third look through translations
    with CaptureQueriesContext(connection) as queries:
        assert Direction.objects.resolve("nowhere at all") is None
    assert len(queries) == 3  # a translated vocabulary: by code, by English label, by its labels in other languages


def test_the_currency_names_migration_reads_committed_data_not_a_library() -> None:
    migration = importlib.import_module("apps.reference.migrations.0008_currency_labels_fr_es_ru")
    assert "babel" not in Path(str(migration.__file__)).read_text()
    names = json.loads(migration.NAMES_FILE.read_text(encoding="utf-8"))
    assert set(names) == set(Currency.objects.values_list("code", flat=True))
    Currency.objects.filter(code="XUA").update(translations={"ru": "Корректная единица (исправлено)"})
    migration.load(apps, None)
    assert Currency.objects.get(code="XUA").translations == {
        "fr": "Unité de compte de la BAD",
        "es": "Unidad de cuenta del BAfD",
        "ru": "Корректная единица (исправлено)",  # an administrator's label is kept
    }


def test_every_currency_name_starts_with_a_capital_as_every_term_label_does() -> None:
    lower = [
        (currency.code, language, name)
        for currency in Currency.objects.all()
        for language, name in currency.translations.items()
        if not name[:1].isupper()
    ]
    assert lower == []
