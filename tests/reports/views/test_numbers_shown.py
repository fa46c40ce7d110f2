"""A stored quantity is shown in the report form as the reader's language writes it, and read back the same."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from apps.core.forms import AnyLanguageDecimalField
from apps.reports.choices import ReportStatus
from tests.builders import build_report, cocaine
from tests.helpers import sign_in


@pytest.mark.parametrize(("language", "shown"), [("en", "12.5"), ("fr", "12,5"), ("ru", "12,5"), ("es", "12,5")])
def test_the_edit_form_shows_a_quantity_with_the_languages_decimal_separator(client, alice, france, language, shown):
    report = build_report(by=france, status=ReportStatus.DRAFT, items=[cocaine(Decimal("12.5"))])
    alice.language = language
    alice.save(update_fields=["language"])
    sign_in(client, alice)
    page = client.get(f"/reports/{report.uuid}/edit/").content.decode()
    field = next(tag for tag in page.split("<input") if 'name="items-0-quantity"' in tag)
    assert f'value="{shown}"' in field and 'inputmode="decimal"' in field, field


@pytest.mark.parametrize(
    ("language", "stored", "shown"),
    [
        ("fr", "1.234", "1,2340"),  # "1,234" would be refused as ambiguous when the form is sent back
        ("en", "1.234", "1.234"),
        ("fr", "1234.567", "1234,567"),
        ("fr", "100.000", "100"),
        ("ru", "0.125", "0,125"),
    ],
)
def test_a_stored_decimal_is_shown_in_a_form_the_same_field_reads_back(language, stored, shown):
    with translation.override(language):
        field = AnyLanguageDecimalField(required=False)
        prepared = field.prepare_value(Decimal(stored))
        assert prepared == shown
        assert field.clean(prepared) == Decimal(stored)
