"""htmx fragments of the entry form: rows added and removed, dependent options, autocomplete, derived quantity."""

from __future__ import annotations

import re

import pytest

from .conftest import must_search, sign_in


@pytest.fixture
def officer(client, alice, vocab):
    sign_in(client, alice)
    return client


def test_a_new_row_gets_the_next_index_and_the_formset_total_follows(officer):
    response = officer.get("/reports/form-row/items/", {"items-TOTAL_FORMS": "3", "form_variant": "full"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="items-3-quantity"' in page and 'name="items-2-quantity"' not in page
    assert re.search(
        r'<input type="hidden" name="items-TOTAL_FORMS" value="4" id="id_items-TOTAL_FORMS" hx-swap-oob="true">', page
    )
    assert "<legend>Item 4" in page
    assert "autofocus" in page  # the keyboard user lands in the new row


def test_a_new_row_of_the_simplified_form_shows_only_the_minimal_fields(officer):
    page = officer.get(
        "/reports/form-row/items/", {"items-TOTAL_FORMS": "1", "form_variant": "simplified"}
    ).content.decode()
    assert '<label for="id_items-1-quantity">' in page
    assert '<label for="id_items-1-brand">' not in page
    assert 'type="hidden" name="items-1-brand"' in page


def test_removing_a_row_marks_it_deleted_and_keeps_its_values_for_undo(officer):
    data = {"index": "1", "remove": "1", "number": "2", "items-1-quantity": "42", "items-1-brand": "Winston"}
    page = officer.post("/reports/form-row/items/", data).content.decode()
    assert 'name="items-1-DELETE" value="on"' in page
    assert 'type="hidden" name="items-1-quantity" value="42"' in page
    assert "Keep item" in page
    undone = officer.post("/reports/form-row/items/", {**data, "remove": "0"}).content.decode()
    assert "DELETE" not in undone
    assert re.search(r'name="items-1-quantity" value="42"', undone)


def test_a_removed_row_is_named_in_whole_sentences_of_the_readers_language(officer, alice):
    alice.language = "ru"
    alice.save()
    data = {"index": "1", "remove": "1", "number": "2", "route-1-country": "FR"}
    page = officer.post("/reports/form-row/route/", data).content.decode()
    assert "<legend>Пункт маршрута 2 " in page
    assert "<p>Пункт маршрута 2 будет удалён при сохранении.</p>" in page
    assert ">Оставить пункт маршрута 2</button>" in page
    kept = officer.post("/reports/form-row/route/", {**data, "remove": "0"}).content.decode()
    assert ">Удалить пункт маршрута 2</button>" in kept


def test_an_unknown_part_is_not_found(officer):
    assert officer.get("/reports/form-row/secrets/").status_code == 404


def test_rows_are_not_served_to_those_who_cannot_enter_reports(client, hugo, vocab):
    sign_in(client, hugo)
    assert client.get("/reports/form-row/items/").status_code == 404


def test_the_commodity_types_follow_the_chosen_category(officer):
    page = officer.get("/reports/commodity-types/", {"items-0-commodity_category": "drugs"}).content.decode()
    assert 'value="cocaine"' in page and 'value="cannabis_resin"' in page
    assert 'value="cigarettes"' not in page
    empty = officer.get("/reports/commodity-types/", {"items-0-commodity_category": ""}).content.decode()
    assert "Choose a category first" in empty and "cocaine" not in empty


def test_the_category_select_asks_for_the_types_of_its_row(officer):
    page = officer.get("/reports/new/").content.decode()
    select = must_search(r'<select name="items-0-commodity_category"[^>]*>', page).group(0)
    assert 'hx-get="/reports/commodity-types/"' in select
    assert 'hx-target="#id_items-0-commodity_type"' in select


def test_hs_codes_are_suggested_by_code_prefix_and_by_description(officer):
    by_code = officer.get("/reports/hs-codes/", {"items-0-hs_code": "2402"}).content.decode()
    assert '<option value="2402">' in by_code and '<option value="240220">' in by_code
    by_words = officer.get("/reports/hs-codes/", {"q": "cigarettes containing"}).content.decode()
    assert '<option value="240220">' in by_words and '<option value="2402">' not in by_words
    assert officer.get("/reports/hs-codes/", {"q": ""}).content.decode().strip() == ""


def test_countries_are_suggested_by_name_and_by_code(officer):
    by_name = officer.get("/reports/countries/", {"country_of_seizure": "germ"}).content.decode()
    assert '<option value="DE">' in by_name
    by_code = officer.get("/reports/countries/", {"items-0-country_of_manufacture": "ae"}).content.decode()
    assert '<option value="AE">' in by_code
    inner = officer.get("/reports/countries/", {"q": "arab"}).content.decode()
    assert '<option value="AE">' in inner  # "United Arab Emirates"


def test_country_and_hs_code_inputs_are_wired_to_their_datalists(officer):
    page = officer.get("/reports/new/").content.decode()
    assert re.search(r'list="country_of_seizure-options"', page)
    assert '<datalist id="country_of_seizure-options"></datalist>' in page
    assert '<datalist id="items-0-hs_code-options"></datalist>' in page


@pytest.mark.parametrize(
    ("quantity", "unit", "shown"),
    [
        ("500", "GRM", "0.5 kg"),
        ("200", "STK", "200 sticks"),
        ("2.5", "LTR", "2.5 l"),
    ],
)
def test_the_normalised_quantity_is_derived_from_quantity_and_unit(officer, quantity, unit, shown):
    page = officer.get(
        "/reports/normalised-quantity/",
        {"prefix": "items-0", "items-0-quantity": quantity, "items-0-unit": unit},
    ).content.decode()
    assert f"<strong>{shown}</strong>" in page


def test_the_normalised_quantity_names_its_base_unit_in_the_readers_language(officer, alice):
    alice.language = "ru"
    alice.save()
    page = officer.get(
        "/reports/normalised-quantity/", {"prefix": "items-0", "items-0-quantity": "2.5", "items-0-unit": "LTR"}
    ).content.decode()
    assert "<strong>2,5 л</strong>" in page


@pytest.mark.parametrize(("quantity", "message"), [("-3", "greater than zero"), ("999999999999", "not believable")])
def test_the_normalised_quantity_explains_an_impossible_quantity(officer, quantity, message):
    page = officer.get(
        "/reports/normalised-quantity/", {"prefix": "items-0", "items-0-quantity": quantity, "items-0-unit": "KGM"}
    ).content.decode()
    assert message in page
