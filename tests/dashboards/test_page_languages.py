"""The dashboard in the reader's language: panel titles, column labels, unit names, vocabulary and country names
in French on the page, in the statistics API (codes and units kept) and in a panel's file; numbers grouped as French
writes them; each language's figures cached apart; ECharts' own French texts loaded from a local file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import translation

from apps.accounts.models import User
from apps.dashboards.services import statistics_rebuild
from apps.reports.choices import ReportStatus
from tests.builders import build_report, cocaine, vocabulary
from tests.dashboards import page_fixtures
from tests.helpers import bearer, sign_in

pytestmark = pytest.mark.django_db
counted_world = page_fixtures.counted_world
URL = "/dashboards/"
NARROW_NBSP = "\N{NARROW NO-BREAK SPACE}"


@pytest.fixture
def with_cocaine(counted_world: dict[str, Any], france: Any) -> dict[str, Any]:
    """The counted reports and a French seizure of 1,234.5 kg of cocaine (a figure with thousands and a decimal);
    the test's cocaine term has its French label (the shipped terms have theirs; the builder's may not)."""
    term = vocabulary()["cocaine"]
    term.translations = {**term.translations, "fr": "Cocaïne"}
    term.save()
    build_report(
        by=france,
        reference="DASH-FR-COCAINE",
        status=ReportStatus.APPROVED,
        seizure_date=dt.date(2025, 3, 20),
        items=[cocaine("1234.5")],
    )
    statistics_rebuild()
    return counted_world


def _french(text: str) -> str:
    with translation.override("fr"):
        translated = translation.gettext(text)
    assert translated != text, f"{text!r} has no French translation"
    return translated


def _panel_json(html: str, key: str) -> dict[str, Any]:
    match = re.search(rf'<script id="panel-{key}-data" type="application/json">(.*?)</script>', html)
    assert match, f"no data of panel {key}"
    return json.loads(match.group(1))


def _table_cells(html: str, key: str) -> list[str]:
    section = html[html.index(f'id="panel-{key}"') :]
    table = section[section.index("<table>") : section.index("</table>")]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", table, re.S)]


def test_the_french_page_names_panels_columns_units_terms_and_countries_in_french_and_groups_numbers(
    client: Client, alice: User, with_cocaine: dict[str, Any]
) -> None:
    sign_in(client, alice)
    english = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    french = client.get(URL, HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    # The English page first: the French one is not served from the English one's cache.
    assert _panel_json(english, "drug_types")["title"] == "Drug types by weight"
    drugs = _panel_json(french, "drug_types")
    assert drugs["title"] == _french("Drug types by weight")
    assert drugs["description"] == _french("Kilograms of drugs seized per drug type (items weighed in kg, g or t).")
    kg = next(column for column in drugs["columns"] if column["unit"] == "kg")
    assert kg["label"] == _french("Quantity (kg)")

    # The table: French headers, the drug type's French label, 1 234,5 with French's narrow no-break space.
    cells = _table_cells(french, "drug_types")
    assert f"1{NARROW_NBSP}234,5" in cells
    assert "Cocaïne" in cells
    assert [row["label"] for row in drugs["rows"]] == ["Cocaïne"]

    # Country names in French (the map's rows keep their ISO codes).
    countries = _panel_json(french, "map")
    germany = next(row for row in countries["rows"] if row.get("value") == "DE")
    assert germany["label"] == "Allemagne"

    # ECharts' own texts in French: a local file, loaded by <script src>, and named to the page's script.
    assert 'data-echarts-locale="FR"' in french
    assert re.search(r'<script src="/static/echarts/i18n/langFR\.js" defer></script>', french)
    assert finders.find("echarts/i18n/langFR.js")
    assert "langFR" not in english and "data-echarts-locale" not in english


def test_the_statistics_api_answers_labels_in_the_accept_language_and_keeps_codes_and_units(
    api: Any, issue_token: Any, alice: User, with_cocaine: dict[str, Any]
) -> None:
    auth = bearer(issue_token(alice))
    english = api.get("/api/v1/statistics/map/", HTTP_ACCEPT_LANGUAGE="en", **auth).json()
    french = api.get("/api/v1/statistics/map/", HTTP_ACCEPT_LANGUAGE="fr", **auth).json()
    assert french["title"] != english["title"]
    assert [column["key"] for column in french["columns"]] == [column["key"] for column in english["columns"]]
    assert [column["unit"] for column in french["columns"]] == [column["unit"] for column in english["columns"]]
    reports = next(column for column in french["columns"] if column["key"] == "reports")
    assert (reports["unit"], reports["unit_label"]) == ("reports", _french("reports"))
    by_code = {row["value"]: row["label"] for row in french["rows"]}
    assert by_code["DE"] == "Allemagne"
    assert {row["value"] for row in english["rows"]} == set(by_code)


def test_a_panels_csv_in_french_has_french_headers_and_country_names(
    client: Client, alice: User, with_cocaine: dict[str, Any]
) -> None:
    sign_in(client, alice)
    response: Any = client.get(reverse("dashboards:panel_export", args=["map"]), HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert f"{_french('Reports')} ({_french('reports')})" in rows[0]
    assert any("Allemagne" in row for row in rows[1:])


def test_every_language_of_the_site_has_its_echarts_texts(settings: Any) -> None:
    from apps.dashboards.views import ECHARTS_LOCALES

    languages = {code for code, _name in settings.LANGUAGES}
    assert languages <= set(ECHARTS_LOCALES), "a language of the site has no ECharts locale"
    for language in languages:
        locale = ECHARTS_LOCALES[language]
        if language == "en":
            assert locale == ""  # built into ECharts
            continue
        path = f"echarts/i18n/lang{locale}.js"
        assert path in settings.RILO_NPM_STATIC_FILES and finders.find(path), path


def test_a_short_label_is_translated_for_its_meaning() -> None:
    from apps.dashboards.filtersets import COUNTRY_OF_SEIZURE, COUNTRY_ROLES
    from apps.reports.choices import ReportKind

    with translation.override("fr"):
        assert str(dict(COUNTRY_ROLES)[COUNTRY_OF_SEIZURE]) == "Lieu de saisie"  # the country's role
        assert str(ReportKind.SEIZURE.label) == "Saisie"  # the kind of report


def test_quantities_are_named_from_the_one_table_of_base_units() -> None:
    from apps.dashboards.panel_defs import UNIT_FAMILIES, quantity_columns
    from apps.reference.models import BASE_UNITS

    assert UNIT_FAMILIES == (("mass", "kg"), ("volume", "l"), ("sticks", "sticks"), ("count", "pieces"))
    with translation.override("ru"):
        names = [column["unit_label"] for column in quantity_columns()]
        assert names == [str(unit.name) for unit in BASE_UNITS] == ["кг", "л", "шт. сигарет", "шт."]
