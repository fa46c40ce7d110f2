"""The checker: rows grouped into reports and cleaned by the one validator, each error at its cell, the rules
across rows, the administration's existing reports, possible duplicates, and terms looked up once per upload.

Rows are built directly as the reader gives them (tests/uploads/records.py): these tests need no file."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from apps.reports.choices import ReportStatus
from apps.reports.models import Operation, Report
from apps.uploads import terms as upload_terms
from apps.uploads.checking import check_records
from apps.uploads.choices import ProblemKind
from tests.builders import build_report, cigarettes, vocabulary

from .records import CellProblem, NoProgress, item, report, sheet

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def terms() -> dict[str, object]:
    return vocabulary()


def _check(actor, *records, submit: bool = False, variant: str = "simplified"):
    return check_records(list(records), actor=actor, variant=variant, progress=NoProgress(), submit=submit)


def _errors(outcome):
    return [(p.sheet, p.row, p.column, p.field) for p in outcome.problems if p.kind == ProblemKind.ERROR]


def test_a_clean_file_becomes_new_reports_ready_to_write_and_nothing_is_written(alice):
    outcome = _check(
        alice,
        *sheet("report", report("UP-1"), report("UP-2", seizure_date="2025-03-20")),
        *sheet("item", item("UP-1"), item("UP-1", quantity="1000"), item("UP-2", quantity="5000")),
    )

    assert outcome.problems == []
    assert (outcome.new_reports, outcome.drafts_updated, outcome.rows_with_errors) == (2, 0, 0)
    assert outcome.rows_read == 5  # sheets' rows: 2 reports, 3 items
    first = outcome.reports[0]
    assert first.existing_id is None
    assert first.report_values["national_reference"] == "UP-1"
    assert [row["quantity"] for row in first.parts["items"]] == [200000, 1000]
    assert first.parts["items"][0]["unit"].code == "STK"
    assert [entry["national_reference"] for entry in outcome.preview] == ["UP-1", "UP-2"]
    assert outcome.preview[0]["action"] == "create"
    assert outcome.preview[0]["items"][0]["unit"] == "STK"
    assert not Report.objects.filter(national_reference__startswith="UP-").exists()


def test_a_cell_error_is_reported_at_its_sheet_row_and_column_in_the_users_words(alice):
    outcome = _check(
        alice,
        *sheet("report", report("UP-1"), report("UP-2", seizure_date="2999-01-01")),
        *sheet("item", item("UP-1"), item("UP-1", quantity="-3"), item("UP-2", unit="kgs")),
    )

    problems = {(p.sheet, p.row, p.column): p.message for p in outcome.problems}
    # Items: national_reference A, commodity_type B, quantity C, unit D.
    assert problems[("Items", 3, "C")].startswith("Quantity: ")
    assert "greater than zero" in problems[("Items", 3, "C")]
    unit = problems[("Items", 4, "D")]
    assert "Unit: 'kgs' is not a code in use; use " in unit
    assert "KGM (kilogram)" in unit  # the closest of the active units
    assert problems[("Reports", 3, "C")] == "Date of seizure: The seizure date cannot be in the future."
    assert outcome.rows_with_errors == 3
    assert list(outcome.reports) == [] and outcome.new_reports == 0


def test_a_code_not_in_use_is_told_with_suggestions_in_the_readers_language(alice):
    with translation.override("fr"):
        outcome = _check(alice, *sheet("report", report("UP-1")), *sheet("item", item("UP-1", unit="kilogramm")))
    [unit] = [p.message for p in outcome.problems if p.field == "unit"]
    assert unit.startswith("Unité : 'kilogramm' n'est pas un code en usage ; utilisez ")
    assert "KGM (kilogramme)" in unit  # the French label, and the closest to what was typed in French


def test_the_readers_cell_problems_are_kept_at_their_cells(alice):
    records = sheet("report", report("UP-1"))
    items = sheet("item", item("UP-1"))
    items[0].problems = [CellProblem("Items", 2, "C", "quantity", "Quantity: a formula is never evaluated.")]

    outcome = _check(alice, *records, *items)

    assert _errors(outcome) == [("Items", 2, "C", "quantity")]
    assert list(outcome.reports) == []


def test_rules_across_rows_name_the_rows_that_break_them(alice):
    outcome = _check(
        alice,
        *sheet(
            "report",
            report("UP-1"),
            report("UP-2"),
            report("UP-3"),
            report("UP-3", place="Marseille"),
            report("UP-4"),
            report("UP-4"),
        ),
        *sheet("item", item("UP-1"), item("UP-9"), item("UP-3"), item("UP-4")),
    )

    messages = {(p.sheet, p.row): p.message for p in outcome.problems}
    assert "UP-2 has no item" in messages[("Reports", 3)]
    assert "no report has the reference UP-9" in messages[("Items", 3)]
    assert "UP-3 is given again with different values (first at Reports row 4)" in messages[("Reports", 5)]
    assert ("Reports", 7) not in messages  # the same report twice with the same values is one report
    assert [r.report_values["national_reference"] for r in outcome.reports] == ["UP-1", "UP-4"]


def test_a_row_without_a_national_reference_is_an_error_at_that_cell(alice):
    outcome = _check(alice, *sheet("report", report("UP-1"), report("")), *sheet("item", item("UP-1")))

    assert _errors(outcome) == [("Reports", 3, "A", "national_reference")]


def test_an_offence_without_seizure_needs_no_item(alice):
    outcome = _check(alice, *sheet("report", report("UP-1", kind="offence")))

    assert outcome.problems == [] and outcome.new_reports == 1


def test_a_draft_of_the_administration_is_updated_and_a_submitted_report_is_an_error(alice, bob):
    draft = build_report(by=alice, reference="UP-DRAFT", status=ReportStatus.DRAFT)
    returned = build_report(by=alice, reference="UP-RETURNED", status=ReportStatus.RETURNED)
    build_report(by=alice, reference="UP-SUBMITTED", status=ReportStatus.SUBMITTED)
    build_report(by=bob, reference="UP-GERMAN", status=ReportStatus.DRAFT)
    references = ["UP-DRAFT", "UP-RETURNED", "UP-SUBMITTED", "UP-GERMAN"]

    outcome = _check(
        alice,
        *sheet("report", *(report(reference) for reference in references)),
        *sheet("item", *(item(reference) for reference in references)),
    )

    [error] = [problem for problem in outcome.problems if problem.kind == ProblemKind.ERROR]
    assert (error.sheet, error.row, error.column) == ("Reports", 4, "A")
    assert "UP-SUBMITTED is “Submitted”" in error.message and "correction" in error.message
    by_reference = {r.report_values["national_reference"]: r.existing_id for r in outcome.reports}
    assert by_reference == {"UP-DRAFT": draft.pk, "UP-RETURNED": returned.pk, "UP-GERMAN": None}
    # Germany's draft of the same reference is another administration's report: France gets a new one.
    assert (outcome.new_reports, outcome.drafts_updated) == (1, 2)


def test_possible_duplicates_are_flagged_not_refused(alice, bob):
    build_report(
        by=alice,
        reference="FR-KNOWN",
        status=ReportStatus.SUBMITTED,
        seizure_date=dt.date(2025, 3, 14),
        items=[cigarettes(205_000)],
    )
    build_report(
        by=bob,
        reference="DE-HIDDEN",
        status=ReportStatus.SUBMITTED,
        seizure_date=dt.date(2025, 3, 14),
        country_of_seizure="FR",
        items=[cigarettes(200_000)],
    )
    build_report(  # two days after UP-2, three after UP-1: beyond the rule's window
        by=alice,
        reference="FR-FAR",
        status=ReportStatus.SUBMITTED,
        seizure_date=dt.date(2025, 3, 17),
        items=[cigarettes(200_000)],
    )

    outcome = _check(
        alice,
        *sheet("report", report("UP-1"), report("UP-2", seizure_date="2025-03-15"), report("UP-3", place="Lille")),
        *sheet(
            "item",
            item("UP-1"),
            item("UP-2", quantity="195000"),
            item("UP-3", commodity_type="cocaine", unit="KGM", quantity="3"),
        ),
    )

    duplicates = {p.national_reference: p for p in outcome.problems if p.kind == ProblemKind.DUPLICATE}
    assert set(duplicates) == {"UP-1", "UP-2"}
    assert "report UP-2 of this file" in duplicates["UP-1"].message
    assert "report FR-KNOWN already recorded" in duplicates["UP-1"].message
    assert "report FR-KNOWN already recorded" in duplicates["UP-2"].message  # a day apart
    assert "FR-FAR" not in " ".join(p.message for p in outcome.problems)
    # A report the uploader may not see is never named to them.
    assert "DE-HIDDEN" not in " ".join(p.message for p in outcome.problems)
    assert (duplicates["UP-1"].sheet, duplicates["UP-1"].row, duplicates["UP-1"].column) == ("Reports", 2, "A")
    assert outcome.duplicate_candidates == 2
    assert outcome.new_reports == 3 and outcome.rows_with_errors == 0


def test_terms_are_looked_up_once_per_distinct_value_not_once_per_cell(alice):
    def queries(count: int) -> int:
        records = [
            *sheet("report", *(report(f"UP-{n}") for n in range(count))),
            *sheet("item", *(item(f"UP-{n}", unit="stk" if n % 2 else "Stick, Cigarette") for n in range(count))),
        ]
        with CaptureQueriesContext(connection) as captured:
            outcome = _check(alice, *records)
        assert outcome.new_reports == count and not outcome.has_errors
        return len(captured.captured_queries)

    queries(1)  # the user's permissions are read once and kept
    assert queries(60) == queries(6)


def test_another_regions_operation_is_answered_as_a_code_that_does_not_exist(alice, region_cis):
    Operation.objects.create(code="Steppe-2026", name="Operation Steppe", region=region_cis)
    outcome = _check(
        alice,
        *sheet(
            "report",
            report("UP-1", operation="steppe-2026", seizure_date="2999-01-01"),
            report("UP-2", operation="tundra-2026", seizure_date="2999-01-01"),
            report("UP-3", operation="steppe-2026"),
            report("UP-4", operation="tundra-2026"),
        ),
        *sheet("item", item("UP-1"), item("UP-2")),  # UP-3 and UP-4 have none
        variant="full",
    )

    problems: dict[int, list[str]] = {}
    for problem in outcome.problems:
        message = problem.message.replace("steppe-2026", "tundra-2026")
        problems.setdefault(problem.row or 0, []).append(message.replace(problem.national_reference, "UP-N"))
    # Another region's code (rows 2 and 4) is answered as one that does not exist (rows 3 and 5), with the code as
    # typed, and whatever else is wrong with the report is told alike: nothing tells the two apart.
    assert problems[2] == problems[3] and problems[4] == problems[5]
    assert "Joint operation: Unknown operation: 'tundra-2026'." in problems[2]
    assert any("seizure date" in message for message in problems[2])
    assert any("has no item" in message for message in problems[4])
    assert list(outcome.reports) == []


def test_a_file_without_rows_is_an_error(alice):
    outcome = _check(alice)

    assert outcome.has_errors and list(outcome.reports) == []
    assert "holds no report" in outcome.problems[0].message


def test_reports_to_submit_must_be_complete_for_their_form(alice):
    records = [*sheet("report", report("UP-1", transport_mode="")), *sheet("item", item("UP-1"))]

    assert _check(alice, *records).problems == []
    outcome = _check(alice, *records, submit=True)

    assert _errors(outcome) == [("Reports", 2, "F", "transport_mode")]
    assert "required before submission" in outcome.problems[0].message


def test_persons_and_companies_need_the_right_to_record_them(alice):
    alice.user_permissions.clear()
    parties = sheet("party", {"national_reference": "UP-1", "kind": "person", "family_name": "Dupont"})
    records = [*sheet("report", report("UP-1")), *sheet("item", item("UP-1")), *parties]

    assert _check(alice, *records).problems == []
    from django.contrib.auth.models import Permission

    officer = alice.groups.get()
    officer.permissions.remove(Permission.objects.get(codename="view_personal_data_report"))
    alice = type(alice).objects.get(pk=alice.pk)  # permissions are cached per user object

    assert _errors(_check(alice, *records)) == [("Parties", 2, "A", "national_reference")]


def test_progress_is_told_every_64_rows_read_and_records_checked_and_ends_at_every_row(alice):
    references = [f"UP-{number}" for number in range(150)]
    progress = NoProgress()
    check_records(
        [*sheet("report", *map(report, references)), *sheet("item", *map(item, references))],
        actor=alice,
        variant="simplified",
        progress=progress,
    )

    reading = [read for read, checked in progress.calls if checked == 0]
    checking = [checked for _read, checked in progress.calls if checked]
    assert reading == [64, 128, 192, 256, 300]  # every 64 rows read, then all of them
    assert progress.calls[-1] == (300, 300)
    assert checking == sorted(checking) and len(checking) >= 300 // 64
    assert max(later - earlier for earlier, later in zip([0, *checking], checking, strict=False)) <= 64


def test_a_long_bad_value_is_quoted_shortly_at_its_cell(alice):
    long = "Z" * 131_072  # a CSV cell may hold as much (a workbook's 32,767 characters)
    outcome = _check(
        alice,
        *sheet("report", report("UP-1", kind=long, country_of_seizure=long, transport_mode=long)),
        *sheet("item", item("UP-1", unit=long)),
    )

    messages = {(p.sheet, p.row, p.column, p.field): p.message for p in outcome.problems}
    assert {"kind", "country_of_seizure", "transport_mode", "unit"} <= {field for *_cell, field in messages}
    assert max(map(len, messages.values())) < 400
    unit = messages[("Items", 2, "D", "unit")]
    assert unit.startswith("Unit: '" + "Z" * 59 + "…' is not a code in use; use ")
    assert unit.partition("; use ")[2].startswith("C62 (one), CLT (centilitre)")  # close to none: the first codes


def test_suggestions_are_looked_for_so_many_values_then_the_first_codes_are_listed(alice, monkeypatch):
    monkeypatch.setattr(upload_terms, "FUZZY_VALUES", 1)
    outcome = _check(
        alice,
        *sheet("report", report("UP-1"), report("UP-2")),
        *sheet("item", item("UP-1", unit="kilogramm"), item("UP-2", unit="kilogramm"), item("UP-2", unit="sticks!")),
    )

    units = [p.message for p in outcome.problems if p.field == "unit"]
    assert units[0] == units[1] and "KGM (kilogram)" in units[0]  # once looked for, remembered
    assert units[2].partition("; use ")[2].startswith("C62 (one), CLT")  # past them: the first codes, not STK


def test_past_the_problems_limit_problems_are_counted_not_kept_and_their_reports_still_fail(alice, settings):
    settings.RILO_UPLOADS_MAX_PROBLEMS = 2
    alice.user_permissions.clear()
    alice.groups.get().permissions.remove(Permission.objects.get(codename="view_personal_data_report"))
    alice = type(alice).objects.get(pk=alice.pk)
    references = [f"UP-{number}" for number in range(1, 6)]
    outcome = _check(
        alice,
        *sheet("report", *map(report, references)),
        *sheet("item", *(item(reference, quantity="-1") for reference in references[:3]), item("UP-4"), item("UP-5")),
        # UP-4's one error, past the limit: a person its sender may not record
        *sheet("party", {"national_reference": "UP-4", "kind": "person", "family_name": "Dupont"}),
    )

    assert [(p.sheet, p.row, p.field) for p in outcome.problems] == [("Items", 2, "quantity"), ("Items", 3, "quantity")]
    assert outcome.has_errors and outcome.rows_with_errors == 4
    assert [checked.report_values["national_reference"] for checked in outcome.reports] == ["UP-5"]
    assert outcome.new_reports == 1
