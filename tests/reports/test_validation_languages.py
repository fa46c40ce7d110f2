"""The shared validator in the user's language: numbers as French and Russian write them, messages in the active
language, terms by their label in any of the four languages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from apps.reports.services import report_create_draft
from tests.builders import complete_fields, item_row


def errors_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return {key: [str(message) for message in messages] for key, messages in excinfo.value.message_dict.items()}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("1234,5", "1234.5"),
        ("1 234,5", "1234.5"),
        ("1\u00a0234,5", "1234.5"),
        ("1\u202f234,5", "1234.5"),
        ("12.5", "12.5"),
    ],
)
def test_a_quantity_with_a_decimal_comma_or_grouped_thousands_is_read(alice, typed, stored):
    report = report_create_draft(actor=alice, fields=complete_fields(), items=[item_row(quantity=typed)])
    assert report.items.get().quantity == Decimal(stored)


@pytest.mark.parametrize("typed", ["1 2,5", "12 34", "1.234.5"])
def test_a_malformed_number_is_refused_and_nothing_is_saved(alice, typed):
    with pytest.raises(ValidationError) as excinfo:
        report_create_draft(actor=alice, fields=complete_fields(), items=[item_row(quantity=typed)])
    assert errors_of(excinfo)["items-0-quantity"] == ["Enter a number."]


@pytest.mark.parametrize("typed", ["1,234", "12,500"])
def test_an_ambiguous_number_is_refused_with_how_to_write_it(alice, typed):
    with pytest.raises(ValidationError) as excinfo:
        report_create_draft(actor=alice, fields=complete_fields(), items=[item_row(quantity=typed)])
    (message,) = errors_of(excinfo)["items-0-quantity"]
    assert f"“{typed}” is ambiguous" in message and "1 234,5" in message


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("ru", "Дата изъятия не может быть в будущем."),
        ("fr", "La date de la saisie ne peut pas être dans le futur."),
        ("es", "La fecha de la incautación no puede ser futura."),
    ],
)
def test_validation_messages_come_in_the_active_language(alice, language, message):
    with translation.override(language):
        with pytest.raises(ValidationError) as excinfo:
            report_create_draft(actor=alice, fields=complete_fields(seizure_date="2999-01-01"), items=[item_row()])
        assert errors_of(excinfo)["seizure_date"] == [message]


def test_terms_are_accepted_by_their_label_in_any_language(alice):
    report = report_create_draft(
        actor=alice,
        fields=complete_fields(direction="Вывоз", transport_mode="transporte aéreo"),
        items=[item_row()],
    )
    assert report.direction is not None and report.transport_mode is not None
    assert (report.direction.code, report.transport_mode.code) == ("EXPORT", "4")


@pytest.mark.parametrize(("typed", "read"), [("12,5", "12.5"), ("1 234,5", "1234.5"), ("1234.5", "1234.5")])
def test_the_report_form_reads_a_decimal_as_the_validator_does(typed, read):
    from apps.core.forms import AnyLanguageDecimalField

    assert AnyLanguageDecimalField(required=False).clean(typed) == Decimal(read)


def test_the_report_form_refuses_an_ambiguous_decimal():
    from apps.core.forms import AnyLanguageDecimalField

    with pytest.raises(ValidationError):
        AnyLanguageDecimalField(required=False).clean("1,234")
