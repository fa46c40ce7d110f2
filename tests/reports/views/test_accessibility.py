"""Every report page is usable with a keyboard and a screen reader: labels, fieldsets with legends, no CDN."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from apps.reports.choices import ReportStatus
from apps.reports.services import report_send_for_review
from tests.builders import build_report, entry_form_report

from .conftest import sign_in
from .forms import entry_post


class _Page(HTMLParser):
    """Collects form controls, labels and fieldsets of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str]] = []
        self.labelled: set[str] = set()
        self.fieldsets: list[bool] = []  # has a legend as its first child element
        self._open_fieldsets: list[int] = []
        self._expect_legend = False
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if self._expect_legend:
            self.fieldsets[-1] = tag == "legend"
            self._expect_legend = False
        if tag == "fieldset":
            self.fieldsets.append(False)
            self._expect_legend = True
        if tag in ("input", "select", "textarea") and attributes.get("type") not in ("hidden", "submit", "button"):
            self.controls.append(attributes)
        if tag == "label" and attributes.get("for"):
            self.labelled.add(attributes["for"])
        for name in ("src", "href"):
            if name in attributes and tag in ("script", "link", "img"):
                self.sources.append(attributes[name])


def parse(content: bytes) -> _Page:
    page = _Page()
    page.feed(content.decode())
    return page


def assert_accessible(content: bytes) -> None:
    page = parse(content)
    assert page.controls, "no form controls found"
    unlabelled = [c.get("name") for c in page.controls if not c.get("id") or c["id"] not in page.labelled]
    assert not unlabelled, f"controls without a label: {unlabelled}"
    assert page.fieldsets and all(page.fieldsets), "a fieldset without a legend"
    assert not [s for s in page.sources if s.startswith(("http:", "https:", "//"))]


@pytest.mark.parametrize("path", ["/reports/new/", "/reports/new/?variant=simplified", "/reports/"])
def test_entry_and_list_pages_label_every_control_and_group_them(client, alice, vocab, path):
    sign_in(client, alice)
    assert_accessible(client.get(path).content)


def test_the_form_shown_again_with_errors_stays_labelled(client, alice, vocab):
    sign_in(client, alice)
    response = client.post("/reports/new/", entry_post("draft", seizure_date="1900-01-01"))
    assert response.status_code == 400
    assert_accessible(response.content)


@pytest.mark.parametrize("persona", ["alice", "erin"])
def test_the_report_page_labels_every_control_of_its_actions(client, request, alice, vocab, persona):
    report = build_report(
        by=alice, reference="FR-2025-0001", status=ReportStatus.DRAFT, through_services=True, **entry_form_report()
    )
    if persona == "erin":
        report_send_for_review(report=report, actor=alice)
    sign_in(client, request.getfixturevalue(persona))
    page = client.get(f"/reports/{report.uuid}/").content
    assert_accessible(page)
    assert b'aria-labelledby="actions-title"' in page


def test_the_edit_page_labels_every_row_control(client, alice, vocab):
    report = build_report(
        by=alice, reference="FR-2025-0001", status=ReportStatus.DRAFT, through_services=True, **entry_form_report()
    )
    sign_in(client, alice)
    assert_accessible(client.get(f"/reports/{report.uuid}/edit/").content)


def test_the_review_queue_is_labelled(client, erin, vocab):
    sign_in(client, erin)
    assert_accessible(client.get("/reports/review/").content)
