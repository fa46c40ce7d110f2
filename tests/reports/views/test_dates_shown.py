"""Dates on pages are written as the reader's language writes them (the machine-readable ``datetime`` of a
``<time>`` stays ISO)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from apps.reports.choices import ReportStatus
from tests.builders import build_report
from tests.helpers import sign_in


@pytest.mark.parametrize(("language", "shown"), [("en", "2025-03-04"), ("fr", "04/03/2025"), ("ru", "04.03.2025")])
def test_the_seizure_date_is_shown_in_the_readers_format(client, alice, france, language, shown):
    report = build_report(by=france, status=ReportStatus.DRAFT, seizure_date=dt.date(2025, 3, 4))
    alice.language = language
    alice.save(update_fields=["language"])
    sign_in(client, alice)
    page = client.get(f"/reports/{report.uuid}/").content.decode()
    assert re.search(rf"<dd>{re.escape(shown)}\b", page), page[:2000]


@pytest.mark.parametrize(
    ("language", "pattern"), [("en", r"\d{4}-\d\d-\d\d \d\d:\d\d"), ("fr", r"\d\d/\d\d/\d{4} \d\d:\d\d")]
)
def test_a_tokens_expiry_is_shown_in_the_readers_format_and_kept_iso_for_machines(
    client, alice, issue_token, language, pattern
):
    issue_token(alice, days=30)
    alice.language = language
    alice.save(update_fields=["language"])
    sign_in(client, alice)
    page = client.get("/accounts/tokens/").content.decode()
    shown = re.search(r'<time datetime="([^"]+)">([^<]+)</time>', page)
    assert shown is not None, page[:3000]
    machine, human = shown.groups()
    assert dt.datetime.fromisoformat(machine) > timezone.now()
    assert re.fullmatch(pattern, human), human
