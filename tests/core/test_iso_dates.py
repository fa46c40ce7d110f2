"""A date in a filter is ``YYYY-MM-DD`` in every language: a shared link (``?date_from=2025-04-02``) means the
same period for an English and a French reader, and ``03/04/2025`` (March in English, April in French) is
refused the same way in all four languages, by the forms and by the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from apps.audit.forms import AuditFilterForm
from apps.dashboards.filtersets import PREVIOUS_PERIOD, PREVIOUS_YEAR, StatisticsFilterForm
from apps.dashboards.services import statistics_rebuild
from apps.reports.choices import ReportStatus
from apps.reports.filtersets import ReportFilterSet
from tests.builders import build_report
from tests.helpers import bearer

LANGUAGES = ("en", "fr", "es", "ru")
DAY_FIRST = "03/04/2025"


def _forms(data: dict[str, str]) -> dict[str, Any]:
    return {
        "statistics": StatisticsFilterForm(data={"date_from": data["from"], "date_to": data["to"]}),
        "reports": ReportFilterSet(data={"date_from": data["from"], "date_to": data["to"]}).form,
        "audit": AuditFilterForm(data={"since": data["from"], "until": data["to"]}),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_same_query_string_gives_the_same_period_in_every_language(language):
    with translation.override(language):
        for name, form in _forms({"from": "2025-03-04", "to": "2025-04-03"}).items():
            assert form.is_valid(), (name, form.errors)
            found = [value for value in form.cleaned_data.values() if isinstance(value, dt.date)]
            assert found == [dt.date(2025, 3, 4), dt.date(2025, 4, 3)], name


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_date_in_a_languages_own_order_is_refused_in_every_language(language):
    with translation.override(language):
        for name, form in _forms({"from": DAY_FIRST, "to": ""}).items():
            assert not form.is_valid(), name


def test_the_date_inputs_are_pickers_holding_iso_dates_in_french():
    with translation.override("fr"):
        form = StatisticsFilterForm(initial={"date_from": dt.date(2025, 3, 4)})
        html = str(form["date_from"])
        reports = str(ReportFilterSet().form["date_from"])
        audit = str(AuditFilterForm()["since"])
    assert 'type="date"' in html and 'value="2025-03-04"' in html
    assert 'type="date"' in reports and 'type="date"' in audit


@pytest.fixture
def seizures(france):
    made = [
        build_report(by=france, status=ReportStatus.APPROVED, seizure_date=dt.date(2025, 3, 4)),
        build_report(by=france, status=ReportStatus.APPROVED, seizure_date=dt.date(2025, 4, 3)),
    ]
    statistics_rebuild()
    return made


def _reports(api: Any, auth: dict[str, str], language: str, query: dict[str, str]) -> Any:
    return api.get("/api/v1/reports/", query, HTTP_ACCEPT_LANGUAGE=language, **auth)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_api_reads_a_period_the_same_in_every_language(api, issue_token, seizures, alice, erin, language):
    auth = bearer(issue_token(alice))
    march = _reports(api, auth, language, {"date_from": "2025-03-01", "date_to": "2025-03-31"})
    assert [row["uuid"] for row in march.json()["results"]] == [str(seizures[0].uuid)]
    assert _reports(api, auth, language, {"date_from": DAY_FIRST}).status_code == 400
    statistics = api.get(
        "/api/v1/statistics/key_figures/",
        {"date_from": "2025-03-01", "date_to": "2025-03-31"},
        HTTP_ACCEPT_LANGUAGE=language,
        **bearer(issue_token(erin)),
    )
    assert next(row for row in statistics.json()["rows"] if row["figure"] == "reports")["value"] == 1
    refused = api.get(
        "/api/v1/statistics/key_figures/",
        {"date_from": DAY_FIRST},
        HTTP_ACCEPT_LANGUAGE=language,
        **bearer(issue_token(erin)),
    )
    assert refused.status_code == 400


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_period_before_1900_is_refused_not_a_server_error(api, issue_token, seizures, erin, language):
    for compare in (PREVIOUS_PERIOD, PREVIOUS_YEAR):
        answer = api.get(
            "/api/v1/statistics/key_figures/",
            {"date_from": "0001-01-01", "date_to": "0001-12-31", "compare": compare},
            HTTP_ACCEPT_LANGUAGE=language,
            **bearer(issue_token(erin)),
        )
        assert answer.status_code == 400, (compare, answer.content[:300])
    with translation.override(language):
        form = StatisticsFilterForm(data={"date_from": "1899-12-31", "date_to": "1900-01-31"})
        assert not form.is_valid() and "date_from" in form.errors


def test_a_shares_end_is_read_year_first_only():
    from django.core.exceptions import ValidationError

    from apps.reports.forms.share import ShareForm

    field = ShareForm.base_fields["expires_at"]
    for language in LANGUAGES:
        with translation.override(language):
            with pytest.raises(ValidationError):
                field.clean("03/04/2026 10:00")
            assert field.clean("2026-04-03T10:00").date() == dt.date(2026, 4, 3)
