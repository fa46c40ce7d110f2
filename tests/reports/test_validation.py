"""Input checks the services apply before anything is written."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.reference.models import CommodityType
from apps.reports.attributes import validate_attributes
from apps.reports.models import Report
from apps.reports.services import report_create_draft
from apps.reports.sniffing import DOCX, OCTET_STREAM, XLSX, sniff_content_type
from tests.builders import ROUTE, UnitFactory, complete_fields, item_row


def errors_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def test_it_refuses_a_seizure_date_in_the_future(alice):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as excinfo:
        report_create_draft(actor=alice, fields=complete_fields(seizure_date=tomorrow))
    assert "future" in errors_of(excinfo)["seizure_date"][0]
    assert not Report.objects.exists()


def test_it_refuses_a_seizure_date_before_1990(alice):
    with pytest.raises(ValidationError) as excinfo:
        report_create_draft(actor=alice, fields=complete_fields(seizure_date="1989-12-31"))
    assert "1990" in errors_of(excinfo)["seizure_date"][0]


def test_it_refuses_zero_and_absurd_quantities_beside_the_item_field(alice):
    UnitFactory.create(code="TNE", label="tonne", factor=Decimal("1000"))
    with pytest.raises(ValidationError) as excinfo:
        report_create_draft(
            actor=alice,
            fields=complete_fields(),
            items=[item_row(quantity="0"), item_row(quantity="200000", unit="TNE")],
        )
    errors = errors_of(excinfo)
    assert "greater than zero" in errors["items-0-quantity"][0]
    assert "not believable" in errors["items-1-quantity"][0]


def test_it_refuses_unknown_codes_and_unknown_hs_codes(alice):
    with pytest.raises(ValidationError) as excinfo:
        report_create_draft(
            actor=alice,
            fields=complete_fields(direction="sideways"),
            items=[item_row(hs_code="9999", unit="XYZ")],
        )
    errors = errors_of(excinfo)
    assert errors["direction"] == ["Unknown code: 'sideways'."]
    assert errors["items-0-hs_code"] == ["Unknown HS code: 9999."]
    assert errors["items-0-unit"] == ["Unknown code: 'XYZ'."]


def test_it_accepts_english_labels_case_insensitively(alice):
    report = report_create_draft(
        actor=alice, fields=complete_fields(direction="import", detection_methods=["x-ray"]), items=[item_row()]
    )
    assert report.direction is not None
    assert report.direction.code == "IMPORT"
    assert [m.code for m in report.detection_methods.all()] == ["xray"]


def test_it_refuses_fields_that_input_may_not_set(alice, germany):
    with pytest.raises(ValidationError) as excinfo:
        report_create_draft(actor=alice, fields={**complete_fields(), "administration": germany, "status": "approved"})
    errors = errors_of(excinfo)
    assert set(errors) == {"administration", "status"}


def test_it_checks_item_attributes_against_the_commodity_types_schema(alice):
    with pytest.raises(ValidationError) as excinfo:
        report_create_draft(
            actor=alice,
            fields=complete_fields(),
            items=[item_row(attributes={"purity_percent": 140, "form": "rock", "colour": "white"})],
        )
    messages = errors_of(excinfo)["items-0-attributes"]
    assert "purity_percent: Must be at most 100." in messages
    assert "colour: Unknown attribute." in messages
    assert any(m.startswith("form: Must be one of") for m in messages)


def test_it_normalises_quantities_for_aggregation(alice):
    UnitFactory.create(code="GRM", label="gram", factor=Decimal("0.001"))
    report = report_create_draft(actor=alice, fields=complete_fields(), items=[item_row(quantity="2500", unit="GRM")])
    item = report.items.get()
    assert item.normalised_quantity == Decimal("2.5")
    assert item.normalised_dimension == "mass"


def test_a_draft_keeps_the_route_in_the_order_given(alice):
    report = report_create_draft(actor=alice, fields=complete_fields(), items=[item_row()], route=ROUTE)
    assert [(r.sequence, r.role, r.country.code) for r in report.route.all()] == [
        (1, "origin", "CO"),
        (2, "transit", "PA"),
        (3, "destination", "FR"),
    ]


def test_the_national_reference_is_unique_per_administration_only(alice, bob):
    report_create_draft(actor=alice, fields=complete_fields(national_reference="X-1"))
    with pytest.raises(ValidationError) as excinfo:
        report_create_draft(actor=alice, fields=complete_fields(national_reference="X-1"))
    assert "national_reference" in errors_of(excinfo)
    other = report_create_draft(actor=bob, fields=complete_fields(national_reference="X-1", country_of_seizure="DE"))
    assert other.administration.code == "de"


def test_the_attribute_validator_handles_types_required_and_bounds():
    schema = {
        "type": "object",
        "properties": {"sticks": {"type": "integer", "minimum": 1}, "flag": {"type": "boolean"}},
        "required": ["sticks"],
    }
    assert validate_attributes(schema, {"sticks": 200, "flag": True}) == {}
    assert validate_attributes(schema, {}) == {"sticks": ["This attribute is required."]}
    assert validate_attributes(schema, {"sticks": True}) == {"sticks": ["Must be of type integer."]}
    assert validate_attributes(schema, {"sticks": 0}) == {"sticks": ["Must be at least 1."]}
    assert validate_attributes(schema, ["x"]) == {"__all__": ["Attributes must be an object of name/value pairs."]}


def _zip(part: str) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<x/>")
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\nrest", "image/png"),
        (b"%PDF-1.7 rest", "application/pdf"),
        (b"II*\x00rest", "image/tiff"),
        (b"MZ\x90\x00 an executable", OCTET_STREAM),
        (b"PK\x03\x04 not really a zip", OCTET_STREAM),
    ],
)
def test_it_sniffs_the_content_type_from_the_bytes(head, expected):
    assert sniff_content_type(io.BytesIO(head)) == expected


def test_it_tells_office_documents_apart():
    assert sniff_content_type(_zip("xl/workbook.xml")) == XLSX
    assert sniff_content_type(_zip("word/document.xml")) == DOCX


def test_a_reference_taken_by_a_concurrent_draft_is_a_field_error_not_a_crash(alice, monkeypatch):
    from apps.reports.services import steps

    report_create_draft(actor=alice, fields=complete_fields(national_reference="RACE-1"))
    # As if the other draft had committed between our check and our insert.
    monkeypatch.setattr(steps, "_check_reference_unique", lambda report: None)
    with pytest.raises(ValidationError) as excinfo:
        report_create_draft(actor=alice, fields=complete_fields(national_reference="RACE-1"))
    assert "national_reference" in errors_of(excinfo)
    assert Report.objects.filter(national_reference="RACE-1").count() == 1


# --- commodity attributes: only where the commodity type has a schema, strictly -------------------


def test_attributes_are_refused_for_a_commodity_type_without_a_schema(alice):
    item = item_row(attributes={"purity_percent": 82})
    CommodityType.objects.filter(code="cocaine").update(attributes_schema={})
    with pytest.raises(ValidationError) as excinfo:
        report_create_draft(actor=alice, fields=complete_fields(), items=[item])
    assert errors_of(excinfo)["items-0-attributes"] == [
        "The commodity type “Cocaine” defines no attributes: leave them empty."
    ]
    with pytest.raises(ValidationError) as excinfo:
        report_create_draft(
            actor=alice, fields=complete_fields(), items=[item_row(commodity_type=None, attributes={"colour": "red"})]
        )
    assert errors_of(excinfo)["items-0-attributes"] == [
        "Choose the commodity type: attributes are recorded only for a type that defines them."
    ]
    assert not Report.objects.exists()
    # Without attributes, a type without a schema is fine.
    report_create_draft(actor=alice, fields=complete_fields(), items=[item_row(attributes={})])


def test_attributes_with_an_unknown_key_are_refused(alice):
    # Even a schema that forgot "additionalProperties": false accepts only the attributes it names.
    schema = {"type": "object", "properties": {"purity_percent": {"type": "number"}}}
    assert validate_attributes(schema, {"purity_percent": 80, "buyer": "Jean Dupont"}) == {
        "buyer": ["Unknown attribute."]
    }
    with pytest.raises(ValidationError) as excinfo:
        report_create_draft(
            actor=alice, fields=complete_fields(), items=[item_row(attributes={"Jean Dupont": "buyer"})]
        )
    assert errors_of(excinfo)["items-0-attributes"] == ["Jean Dupont: Unknown attribute."]
    assert not Report.objects.exists()


def test_an_over_long_attribute_string_is_refused(alice):
    # No maxLength in the schema: the bound of 200 characters still holds.
    schema = {"type": "object", "properties": {"species": {"type": "string"}}, "additionalProperties": False}
    assert validate_attributes(schema, {"species": "x" * 200}) == {}
    assert validate_attributes(schema, {"species": "x" * 201}) == {"species": ["Must be at most 200 characters."]}
    # A schema's own larger bound does not lift it; a smaller one holds.
    loose = {"type": "object", "properties": {"species": {"type": "string", "maxLength": 5000}}}
    assert validate_attributes(loose, {"species": "x" * 201}) == {"species": ["Must be at most 200 characters."]}
    item = item_row(attributes={"form": "y" * 201})
    CommodityType.objects.filter(code="cocaine").update(
        attributes_schema={**schema, "properties": {"form": {"type": "string"}}}
    )
    with pytest.raises(ValidationError) as excinfo:
        report_create_draft(actor=alice, fields=complete_fields(), items=[item])
    assert errors_of(excinfo)["items-0-attributes"] == ["form: Must be at most 200 characters."]


def test_attributes_are_bounded_in_number():
    schema = {"type": "object", "properties": {f"a{n}": {"type": "integer"} for n in range(30)}}
    assert validate_attributes(schema, {f"a{n}": n for n in range(20)}) == {}
    assert validate_attributes(schema, {f"a{n}": n for n in range(21)}) == {"__all__": ["At most 20 attributes."]}


@pytest.mark.django_db
def test_the_item_form_reads_no_attributes_typed_as_json():
    from apps.reports.forms import ItemForm

    form = ItemForm(data={"items-0-attributes": "[" * 3000}, prefix="items-0")
    assert form.is_valid()
    assert "attributes" not in form.fields
    assert form.service_values()["attributes"] == {}
