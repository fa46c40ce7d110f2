"""The whole upload path in a real browser (Chromium through Playwright, 360 px wide) with a real Celery worker:
download the template, fill it in, upload it, see the errors at their cells, download the file with its faulty
cells marked, correct it, upload it again, save the reports and see them in the list; under the strict
Content-Security-Policy without a single violation, every page fitting the screen, the form usable by keyboard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.urls import reverse
from openpyxl.utils import get_column_letter

from apps.accounts.models import User
from apps.reports.choices import FormVariant, ReportStatus
from apps.reports.models import Report
from apps.uploads.choices import DEFAULT_VARIANT, UploadState
from apps.uploads.columns import sheet_columns, sheet_title
from apps.uploads.models import Upload
from tests.browser import launch, sync_playwright
from tests.builders import make_vocabulary
from tests.exchange.processes import CeleryWorker
from tests.exchange.test_faults import broker, start_worker
from tests.helpers import sign_in
from tests.reports.views.test_browser_csp import Browser

__all__ = ["broker", "start_worker"]

pytestmark = [
    pytest.mark.slow,
]
WAIT_MS = 60_000  # a worker's check or commit, seen through the page refreshing itself
SEIZED = dt.date.today() - dt.timedelta(days=4)


@pytest.fixture
def uploads_root(settings: Any, tmp_path: Path) -> Path:
    settings.RILO_UPLOADS_ROOT = tmp_path / "uploads"
    return Path(settings.RILO_UPLOADS_ROOT)


@pytest.fixture
def worker(start_worker: Callable[..., CeleryWorker], uploads_root: Path) -> CeleryWorker:
    """A real worker on the test database, its uploads' files where the pages keep them."""
    return start_worker(RILO_UPLOADS_ROOT=str(uploads_root), RILO_UPLOADS_PROGRESS_SECONDS="0.2")


@pytest.fixture
def browser(
    transactional_db: None, live_server: Any, alice: User, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Browser]:
    """Alice's 360 px wide browser, every CSP violation of its pages collected."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    make_vocabulary()
    client = Client()
    sign_in(client, alice)
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        context = chromium.new_context(viewport={"width": 360, "height": 740}, accept_downloads=True)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        yield Browser(context, live_server.url)
        chromium.close()
    # The ORM used by the test body inside Playwright's event loop has its own connection: close it.
    connections.close_all()


def fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def fill_template(path: Path, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Type ``rows`` into the template's sheets (part -> rows of field -> value), under the template's headers."""
    workbook = openpyxl.load_workbook(path)
    for part, part_rows in rows.items():
        sheet = workbook[sheet_title(part)]
        keys = [column.field.name for column in sheet_columns(part, variant="simplified")]
        for number, row in enumerate(part_rows, start=2):
            for index, key in enumerate(keys, start=1):
                if key in row:
                    sheet.cell(row=number, column=index, value=row[key])
    workbook.save(path)


def column_letter(part: str, field: str) -> str:
    keys = [column.field.name for column in sheet_columns(part, variant="simplified")]
    return get_column_letter(keys.index(field) + 1)


def upload(browser: Browser, path: Path) -> None:
    page = browser.page
    browser.visit(reverse("uploads:new"))
    page.set_input_files("#id_file", str(path))
    page.check("#id_variant_0")  # simplified
    page.click("text=Upload and check")
    page.wait_for_url("**/uploads/*-*/")


def test_an_officer_uploads_corrects_and_saves_reports_in_the_browser(browser, worker, alice, tmp_path):
    page = browser.page
    browser.visit(reverse("uploads:list"))
    assert fits_the_screen(page)
    page.click("text=Upload a spreadsheet")
    page.wait_for_url("**" + reverse("uploads:new"))
    assert fits_the_screen(page)
    browser.settle("upload page")

    # The simplified workbook template, downloaded from the page.
    page.check("#template-format_0")  # XLSX
    page.check("#template-variant_0")  # simplified
    with page.expect_download() as download:
        page.click("text=Download the template")
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    assert download.value.suggested_filename == "rilo-reports-simplified.xlsx"
    report = {
        "national_reference": "FR-WEB-1",
        "kind": "seizure",
        "country_of_seizure": "FR",
        "seizure_date": SEIZED,
        "transport_mode": "1",  # maritime (a code, as the drop-down list offers it)
        "detection_methods": "xray",
    }
    fill_template(
        template,
        {
            "report": [report, {**report, "national_reference": "FR-WEB-2"}],
            "item": [
                {"national_reference": "FR-WEB-1", "commodity_category": "drugs", "quantity": 12.5, "unit": "KGM"},
                {"national_reference": "FR-WEB-2", "commodity_category": "drugs", "quantity": 3, "unit": "kgs"},
            ],
        },
    )

    # Upload: the worker checks it, the page follows and shows the error at its cell.
    upload(browser, template)
    page.wait_for_selector("table.problems", timeout=WAIT_MS)
    browser.settle("errors")
    assert fits_the_screen(page)
    first = Upload.objects.get()
    assert first.state == UploadState.CHECKED and first.rows_with_errors == 1
    cells = page.eval_on_selector_all(
        "table.problems tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))"
    )
    items, unit = sheet_title("item"), column_letter("item", "unit")
    assert [cell[:3] for cell in cells] == [[items, "3", unit]]
    assert "kgs" in cells[0][3]
    assert not page.is_visible("text=Save 2 reports")

    # The marked workbook: the faulty cell coloured and commented, all errors on a sheet of their own.
    with page.expect_download() as download:
        page.click("text=Download your file with the errors marked")
    marked = tmp_path / "marked.xlsx"
    download.value.save_as(marked)
    workbook = openpyxl.load_workbook(marked)
    faulty = workbook[items][f"{unit}3"]
    assert faulty.value == "kgs" and faulty.comment is not None and "kgs" in faulty.comment.text
    assert "Errors" in workbook.sheetnames

    # Corrected in the workbook, uploaded again: no error, a preview, then saved for review.
    faulty.value = "KGM"
    workbook.save(marked)
    upload(browser, marked)
    page.wait_for_selector("text=Save 2 reports", timeout=WAIT_MS)
    browser.settle("preview")
    assert fits_the_screen(page)
    assert page.is_visible("#preview >> text=FR-WEB-1") and page.is_visible("#preview >> text=FR-WEB-2")
    assert not Report.objects.exists()  # nothing is written before the officer confirms
    page.check("#id_commit_as_1")  # submitted for review
    page.click("text=Save 2 reports")
    page.wait_for_selector("text=2 reports created", timeout=WAIT_MS)
    browser.settle("committed")

    page.click("text=See the reports")
    page.wait_for_url("**" + reverse("reports:list"))
    assert page.is_visible("text=FR-WEB-1") and page.is_visible("text=FR-WEB-2")
    assert sorted(Report.objects.values_list("national_reference", "status", "administration_id")) == [
        ("FR-WEB-1", ReportStatus.SUBMITTED, alice.administration_id),
        ("FR-WEB-2", ReportStatus.SUBMITTED, alice.administration_id),
    ]
    browser.visit(reverse("uploads:list"))
    assert page.is_visible("text=2 reports created") and page.is_visible("text=1 row with errors")
    browser.settle("list")
    assert browser.violations == []


def test_the_upload_form_is_reached_in_order_with_the_keyboard(browser):
    page = browser.page
    browser.visit(reverse("uploads:new"))
    page.focus("#id_file")
    order = []
    for _ in range(3):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
    # A group of radio buttons is one stop (the chosen one: the default variant), then the form's button.
    chosen = f"id_variant_{list(FormVariant.values).index(DEFAULT_VARIANT)}"
    assert order == ["id_encoding", chosen, "Upload and check"]
    assert fits_the_screen(page)
    browser.settle("keyboard")
    assert browser.violations == []
