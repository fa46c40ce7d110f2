"""Which joint operations a report may be attached to: a rule of the domain, applied by every write."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from apps.reports.models import Operation
from apps.reports.selectors import joint_operations_attachable
from apps.reports.services import report_approve, report_correct, report_create_draft, report_update_draft
from tests.builders import complete_fields


@pytest.fixture
def operations(region_we, region_cis) -> dict[str, Operation]:
    return {
        "global": Operation.objects.create(code="global-week", name="Global week"),
        "we": Operation.objects.create(code="ocean", name="Operation Ocean", region=region_we),
        "cis": Operation.objects.create(code="steppe", name="Operation Steppe", region=region_cis),
    }


def _codes(operations) -> set[str]:
    return set(operations.values_list("code", flat=True))


def test_an_officer_may_attach_the_operations_of_every_region_and_of_her_administrations_region(
    alice, dmitri, operations
):
    assert _codes(joint_operations_attachable(actor=alice)) == {"global-week", "ocean"}
    assert _codes(joint_operations_attachable(actor=dmitri)) == {"global-week", "steppe"}


def test_an_analyst_may_attach_those_of_his_region(erin, farid, operations):
    assert _codes(joint_operations_attachable(actor=erin)) == {"global-week", "ocean"}
    assert _codes(joint_operations_attachable(actor=farid)) == {"global-week", "steppe"}


def test_a_draft_cannot_be_attached_to_another_regions_operation(alice, operations):
    with pytest.raises(ValidationError) as excinfo:
        report_create_draft(actor=alice, fields=complete_fields(operation="steppe"))
    assert list(excinfo.value.message_dict) == ["operation"]
    assert "steppe" in excinfo.value.message_dict["operation"][0]

    report = report_create_draft(actor=alice, fields=complete_fields(operation="ocean"))
    assert report.operation == operations["we"]
    with pytest.raises(ValidationError) as excinfo:
        report_update_draft(report=report, actor=alice, fields={"operation": "steppe"})
    assert list(excinfo.value.message_dict) == ["operation"]
    report.refresh_from_db()
    assert report.operation == operations["we"]


def _refusal(call: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as excinfo:
        call()
    return excinfo.value.message_dict


@pytest.mark.parametrize("other_fault", [{}, {"seizure_date": dt.date(2999, 1, 1)}], ids=["alone", "with a bad date"])
def test_another_regions_operation_is_answered_as_a_code_that_names_none(alice, operations, other_fault):
    def create(code: str) -> dict[str, list[str]]:
        return _refusal(lambda: report_create_draft(actor=alice, fields=complete_fields(operation=code, **other_fault)))

    existing, made_up = create("Steppe"), create("tundra")
    assert existing == {**made_up, "operation": ["Unknown operation: 'Steppe'."]}  # the code as typed
    assert made_up["operation"] == ["Unknown operation: 'tundra'."]
    assert ("seizure_date" in existing) is bool(other_fault)  # the other fields checked alike

    report = report_create_draft(actor=alice, fields=complete_fields())
    refusals = [
        _refusal(
            lambda code=code: report_update_draft(report=report, actor=alice, fields={"operation": code, **other_fault})
        )
        for code in ("steppe", "tundra")
    ]
    assert refusals[0] == {**refusals[1], "operation": ["Unknown operation: 'steppe'."]}


def test_a_correction_follows_the_rule_of_the_reports_administration(submitted, erin, operations):
    approved = report_approve(report=submitted, actor=erin)
    with pytest.raises(ValidationError) as excinfo:
        report_correct(report=approved, actor=erin, reason="Part of Steppe", fields={"operation": "steppe"})
    assert list(excinfo.value.message_dict) == ["operation"]
    corrected = report_correct(report=approved, actor=erin, reason="Part of Ocean", fields={"operation": "ocean"})
    assert corrected.operation == operations["we"]


def test_an_operation_chosen_from_the_forms_list_is_the_one_attached_not_another_spelt_alike(alice, operations):
    shouting = Operation.objects.create(code="OCEAN", name="Operation OCEAN")  # open to every region, as "ocean"
    for chosen in (operations["we"], shouting):
        report = report_create_draft(
            actor=alice, fields=complete_fields(operation=chosen, national_reference=f"FR-{chosen.pk}")
        )
        assert report.operation == chosen
