"""An item's commodity-specific attributes are labelled inputs from its commodity type's schema, not JSON."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from apps.reference.models import CommodityType
from apps.reports.models import Report

from .conftest import sign_in
from .forms import browser_post, entry_post

NEW = "/reports/new/"
SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "nicotine_mg": {"type": "number", "title": "Nicotine (mg)", "minimum": 0, "maximum": 50},
        "sticks_count": {"type": "integer", "title": "Number of sticks", "minimum": 1},
        "brand_genuineness": {"type": "string", "title": "Brand genuineness", "enum": ["genuine", "counterfeit"]},
        "tax_stamp": {"type": "boolean", "title": "Tax stamp present"},
        "pack_text": {"type": "string", "title": "Text on the pack", "maxLength": 40},
    },
    "required": ["sticks_count"],
}
DRUG = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"purity_percent": {"type": "number", "title": "Purity (%)", "minimum": 0, "maximum": 100}},
}
TYPED = {
    "items-0-attributes__nicotine_mg": "0.8",
    "items-0-attributes__sticks_count": "200",
    "items-0-attributes__brand_genuineness": "counterfeit",
    "items-0-attributes__tax_stamp": "false",
    "items-0-attributes__pack_text": "Smoking kills",
}
STORED = {
    "nicotine_mg": 0.8,
    "sticks_count": 200,
    "brand_genuineness": "counterfeit",
    "tax_stamp": False,
    "pack_text": "Smoking kills",
}


@pytest.fixture
def officer(client, alice, vocab):
    CommodityType.objects.filter(pk=vocab.cigarettes.pk).update(attributes_schema=SCHEMA)
    CommodityType.objects.filter(pk=vocab.cocaine.pk).update(attributes_schema=DRUG)
    sign_in(client, alice)
    return client


class _Controls(HTMLParser):
    """Every input and select of a page by name: its attributes, and for a select its options."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: dict[str, dict[str, str]] = {}
        self.options: dict[str, list[dict[str, str]]] = {}
        self.labels: set[str] = set()
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in ("input", "select", "textarea") and "name" in values:
            self.controls[values["name"]] = {"tag": tag, **values}
            self._select = values["name"] if tag == "select" else None
        elif tag == "option" and self._select:
            self.options.setdefault(self._select, []).append(values)
        elif tag == "label" and "for" in values:
            self.labels.add(values["for"])


def controls_of(page: str) -> _Controls:
    parser = _Controls()
    parser.feed(page)
    return parser


def error_beside(page: str, field_id: str) -> str:
    match = re.search(rf'<ul class="errorlist" id="{re.escape(field_id)}_error">(.*?)</ul>', page, re.S)
    assert match, f"no error beside {field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def saved_draft(officer, **typed: Any) -> Report:
    response = officer.post(NEW, entry_post("draft", **typed))
    assert response.status_code == 302, response.content.decode()[:3000]
    return Report.objects.get(national_reference="FR-2025-0001")


def test_no_json_is_asked_for_and_a_new_item_asks_for_its_type_first(officer):
    page = officer.get(NEW).content.decode()
    assert 'name="items-0-attributes"' not in page and "JSON" not in page
    assert "Choose the commodity type to record its specific attributes" in page


def test_each_kind_of_attribute_is_a_labelled_input_with_the_browsers_constraints(officer):
    report = saved_draft(officer, **TYPED)
    page = officer.get(f"/reports/{report.uuid}/edit/").content.decode()
    found = controls_of(page)
    assert 'name="items-0-attributes"' not in page
    number = found.controls["items-0-attributes__nicotine_mg"]
    assert (number["type"], number["step"], number["min"], number["max"]) == ("number", "any", "0", "50")
    assert re.search(r'<span class="input-unit__unit" aria-hidden="true">mg</span>', page)
    whole = found.controls["items-0-attributes__sticks_count"]
    assert (whole["type"], whole["step"], whole["min"]) == ("number", "1", "1")
    assert "required" in whole and "max" not in whole
    assert [option["value"] for option in found.options["items-0-attributes__brand_genuineness"]] == [
        "",
        "genuine",
        "counterfeit",
    ]
    assert [option["value"] for option in found.options["items-0-attributes__tax_stamp"]] == ["", "true", "false"]
    text = found.controls["items-0-attributes__pack_text"]
    assert (text["type"], text["maxlength"]) == ("text", "40")
    for name in STORED:
        assert f"id_items-0-attributes__{name}" in found.labels, name
    assert re.search(r"Number of sticks\s*<span class=\"required\">\(required\)</span>", page)


def test_what_was_typed_is_stored_with_its_type_and_shown_again_on_edit(officer):
    report = saved_draft(officer, **TYPED)
    assert report.items.get().attributes == STORED
    page = officer.get(f"/reports/{report.uuid}/edit/").content.decode()
    found = controls_of(page)
    assert found.controls["items-0-attributes__nicotine_mg"]["value"] == "0.8"
    assert found.controls["items-0-attributes__sticks_count"]["value"] == "200"
    assert found.controls["items-0-attributes__pack_text"]["value"] == "Smoking kills"
    selected = {
        name: [option["value"] for option in found.options[name] if "selected" in option]
        for name in ("items-0-attributes__brand_genuineness", "items-0-attributes__tax_stamp")
    }
    assert selected == {
        "items-0-attributes__brand_genuineness": ["counterfeit"],
        "items-0-attributes__tax_stamp": ["false"],
    }
    # Saved again as the browser posts it, nothing changes.
    response = officer.post(f"/reports/{report.uuid}/edit/", browser_post(page, "report-form", "draft"))
    assert response.status_code == 302
    assert report.items.get().attributes == STORED


def test_a_wrong_value_is_refused_at_its_input_and_nothing_is_saved(officer):
    typed = {**TYPED, "items-0-attributes__nicotine_mg": "80", "items-0-attributes__sticks_count": ""}
    response = officer.post(NEW, entry_post("draft", **typed))
    assert response.status_code == 400
    page = response.content.decode()
    assert error_beside(page, "id_items-0-attributes__nicotine_mg") == "Must be at most 50."
    assert error_beside(page, "id_items-0-attributes__sticks_count") == "This attribute is required."
    assert controls_of(page).controls["items-0-attributes__nicotine_mg"]["value"] == "80"  # kept as typed
    assert not Report.objects.exists()


def test_a_value_outside_the_choices_is_refused_at_its_input(officer):
    response = officer.post(NEW, entry_post("draft", **{**TYPED, "items-0-attributes__brand_genuineness": "fake"}))
    assert response.status_code == 400
    assert "Select a valid choice" in error_beside(
        response.content.decode(), "id_items-0-attributes__brand_genuineness"
    )


def test_changing_the_commodity_type_brings_the_inputs_of_the_new_type(officer):
    row = {
        "index": "0",
        "remove": "0",
        "number": "1",
        "form_variant": "full",
        "items-0-commodity_category": "drugs",
        "items-0-commodity_type": "cocaine",
    }
    fragment = officer.post("/reports/form-row/items/", row).content.decode()
    block = re.search(r'<fieldset class="group attributes" id="attributes-items-0"(.*?)</fieldset>', fragment, re.S)
    assert block, fragment
    assert 'hx-trigger="change from:#id_items-0-commodity_type' in block.group(1)
    assert 'hx-select="#attributes-items-0"' in block.group(1)
    assert 'name="items-0-attributes__purity_percent"' in block.group(1)
    assert "sticks_count" not in block.group(1)


def test_without_javascript_saving_shows_the_inputs_of_the_type_chosen(officer):
    # The officer chose another type; the old type's inputs were still on the page and are ignored.
    report = saved_draft(
        officer,
        **{
            **TYPED,
            "items-0-commodity_category": "drugs",
            "items-0-commodity_type": "cocaine",
            "items-0-unit": "KGM",
            "items-0-quantity": "2",
            "items-0-hs_code": None,
        },
    )
    assert report.items.get().attributes == {}
    page = officer.get(f"/reports/{report.uuid}/edit/").content.decode()
    assert 'name="items-0-attributes__purity_percent"' in page
    assert "sticks_count" not in page


def test_the_simplified_variant_keeps_the_attributes_without_showing_them(officer):
    report = saved_draft(officer, **TYPED)
    page = officer.get(f"/reports/{report.uuid}/edit/?variant=simplified").content.decode()
    data = browser_post(page, "report-form", "draft")
    data["form_variant"] = ["simplified"]
    response = officer.post(f"/reports/{report.uuid}/edit/", data)
    assert response.status_code == 302
    assert report.items.get().attributes == STORED
