"""Reading reports through the API: personal data gated and audited, ETags, filters, cursor pages, query counts."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.reference.selectors import _known_codes as known_codes
from apps.reports.api.serializers import (
    ConveyanceSerializer,
    ItemSerializer,
    PartySerializer,
    ReportSerializer,
    RouteStepSerializer,
)
from apps.reports.choices import ReportStatus
from apps.reports.models import Report
from demo.reports import seed_reports
from tests.builders import build_report, complete_report
from tests.helpers import bearer

URL = "/api/v1/reports/"
PERSONAL_PARTY_KEYS = ("family_name", "given_names", "birth_date", "id_document_number", "id_document_country")


@pytest.fixture
def read_as(api, issue_token):
    """``read_as(user)``: a GET helper with a read-only token of ``user``."""

    def get(user, path: str = URL, **params: Any):
        return api.get(path, params, **bearer(issue_token(user, "read")))

    return get


def _walk(read_as, user, **params: Any) -> list[dict[str, Any]]:
    """Every report of a list, following ``next`` links."""
    rows, response = [], read_as(user, **params)
    while True:
        assert response.status_code == 200, response.json()
        body = response.json()
        rows += body["results"]
        if not body["next"]:
            return rows
        response = read_as(user, body["next"])


# --- personal data -------------------------------------------------------------------------------------


def test_a_report_shows_its_personal_data_to_who_may_see_it_and_the_read_is_audited(read_as, world, alice):
    report = world["fr_submitted"]
    body = read_as(alice, f"{URL}{report.uuid}/").json()
    assert body["personal_data"] is True
    party = body["parties"][0]
    assert (party["family_name"], party["birth_date"], party["id_document_number"]) == (
        "Dupont",
        "1980-05-17",
        "19FR12345",
    )
    assert body["modus_operandi"].startswith("Courier") and body["conveyances"][0]["identifier"] == "MSCU1234565"
    reads = AuditEvent.objects.filter(actor=alice, object_uuid=report.uuid, action__endswith="_read")
    assert sorted(reads.values_list("action", flat=True)) == ["report.parties_read", "report.personal_read"]


def test_who_may_see_a_report_but_not_its_personal_data_gets_no_person_attributes(read_as, world, grace):
    report = world["fr_submitted"]
    response = read_as(grace, f"{URL}{report.uuid}/")
    assert response.status_code == 200
    body = response.json()
    assert body["personal_data"] is False
    assert body["modus_operandi"] is None and body["conveyances"][0]["identifier"] is None
    assert body["items"][0]["concealment_detail"] is None
    party = body["parties"][0]
    # As on the web page (no party shown without the right): kind and role only, no nationality, sex or age band.
    assert (party["kind"], party["role"], party["nationality"], party["sex"], party["age_band"]) == (
        "person",
        "courier",
        None,
        None,
        None,
    )
    assert all(party[key] is None for key in PERSONAL_PARTY_KEYS)
    assert b"Dupont" not in response.content and b"19FR12345" not in response.content
    assert not AuditEvent.objects.filter(actor=grace, action__in=["report.personal_read", "report.parties_read"])


def test_a_platform_administrator_lists_every_report(read_as, world, alice):
    from apps.accounts.models import User
    from apps.reports.models import Report

    User.objects.filter(pk=alice.pk).update(is_superuser=True)
    alice.refresh_from_db()
    rows = _walk(read_as, alice)
    assert {row["uuid"] for row in rows} == {str(uuid) for uuid in Report.objects.values_list("uuid", flat=True)}
    assert len(rows) > 3  # more than alice's administration's own


def test_lists_never_carry_personal_data_even_for_who_may_see_it(read_as, world, alice):
    response = read_as(alice)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 3
    for row in rows:
        assert row["personal_data"] is False and row["modus_operandi"] is None
        assert row["conveyances"][0]["identifier"] is None
        assert row["parties"][0]["nationality"] == "FR" and row["parties"][0]["age_band"]
        assert all(row["parties"][0][key] is None for key in PERSONAL_PARTY_KEYS)
    assert b"Dupont" not in response.content and b"MSCU" not in response.content
    assert not AuditEvent.objects.filter(action__in=["report.personal_read", "report.parties_read"]).exists()


def test_a_listed_report_carries_person_attributes_only_where_the_reader_may_see_personal_data(
    read_as, world, alice, bob, erin
):
    from apps.reports.services import report_share_with_administration

    report_share_with_administration(report=world["fr_submitted"], administration=bob.administration, actor=erin)
    rows = {row["national_reference"]: row for row in _walk(read_as, bob)}
    assert rows["ISO-FR-SUBMITTED"]["parties"][0]["nationality"] is None  # shared without personal data
    assert rows["ISO-FR-SUBMITTED"]["parties"][0]["sex"] is None
    assert rows["ISO-FR-SUBMITTED"]["parties"][0]["age_band"] is None
    assert rows["ISO-DE-SUBMITTED"]["parties"][0]["nationality"] == "FR"  # bob's own administration's report
    detail = read_as(bob, f"{URL}{world['fr_submitted'].uuid}/").json()
    assert detail["parties"][0]["nationality"] is None and detail["parties"][0]["sex"] is None


def test_a_list_row_is_the_report_as_its_page_shows_it_without_personal_data(read_as, world, grace):
    listed = {row["uuid"]: row for row in read_as(grace).json()["results"]}
    assert listed
    for uuid, row in listed.items():
        assert row == read_as(grace, f"{URL}{uuid}/").json()


# An administration's officer (the personal-data right decided in the list's query) and a region's analyst
# (decided for the page in a query of its own).
@pytest.mark.parametrize("persona", ["alice", "erin"])
def test_a_listed_reports_parties_are_the_profiles_its_page_shows_who_may_see_its_personal_data(
    request, read_as, world, persona
):
    reader = request.getfixturevalue(persona)
    profile_keys = ("position", "kind", "role", "nationality", "sex", "age_band")
    listed = {row["uuid"]: row for row in read_as(reader).json()["results"]}
    assert any(party["nationality"] for row in listed.values() for party in row["parties"])
    for uuid, row in listed.items():
        page = read_as(reader, f"{URL}{uuid}/").json()
        assert [{key: party[key] for key in profile_keys} for party in page["parties"]] == [
            {key: party[key] for key in profile_keys} for party in row["parties"]
        ]
        assert all(set(party) == set(PartySerializer._declared_fields) for party in row["parties"])
        assert all(party[key] is None for party in row["parties"] for key in PERSONAL_PARTY_KEYS)


def test_every_key_of_the_representation_is_documented(read_as, world, alice):
    body = read_as(alice, f"{URL}{world['fr_approved'].uuid}/").json()
    assert list(body) == list(ReportSerializer._declared_fields)
    for key, serializer in (
        ("items", ItemSerializer),
        ("route", RouteStepSerializer),
        ("conveyances", ConveyanceSerializer),
        ("parties", PartySerializer),
    ):
        for row in body[key] + read_as(alice).json()["results"][0][key]:
            assert list(row) == list(serializer._declared_fields), key


# --- conditional requests and changes since ---------------------------------------------------------------


def test_a_report_has_an_etag_and_answers_304_while_it_is_unchanged(api, read_as, world, alice, issue_token):
    path = f"{URL}{world['fr_draft'].uuid}/"
    first = read_as(alice, path)
    etag = first["ETag"]
    assert etag and first["Cache-Control"] == "private, no-cache"
    auth = bearer(issue_token(alice, "read", "write"))
    unchanged = api.get(path, HTTP_IF_NONE_MATCH=etag, **auth)
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged["ETag"] == etag
    assert api.patch(path, {"place": "Rouen"}, format="json", **auth).status_code == 200
    changed = api.get(path, HTTP_IF_NONE_MATCH=etag, **auth)
    assert changed.status_code == 200 and changed["ETag"] != etag and changed.json()["place"] == "Rouen"


def test_updated_since_lists_only_the_reports_changed_since(read_as, world, alice):
    since = timezone.now()
    Report.objects.filter(pk=world["fr_draft"].pk).update(updated_at=since + dt.timedelta(seconds=1))
    rows = read_as(alice, updated_since=since.isoformat()).json()["results"]
    assert [row["national_reference"] for row in rows] == ["ISO-FR-DRAFT"]
    assert read_as(alice, updated_since="yesterday").status_code == 400


# --- the same filters as the web list ----------------------------------------------------------------------


def test_the_list_takes_the_web_lists_filters(read_as, world, alice, erin):
    assert [r["national_reference"] for r in read_as(alice, status="draft").json()["results"]] == ["ISO-FR-DRAFT"]
    assert [r["national_reference"] for r in read_as(alice, q="ISO-FR-APPROVED").json()["results"]] == [
        "ISO-FR-APPROVED"
    ]
    german = read_as(erin, country_of_seizure="DE").json()["results"]
    assert [r["national_reference"] for r in german] == ["ISO-DE-SUBMITTED"]
    by_administration = read_as(erin, administration=world["de_submitted"].administration_id).json()["results"]
    assert [r["national_reference"] for r in by_administration] == ["ISO-DE-SUBMITTED"]
    assert len(read_as(alice, commodity_category="drugs").json()["results"]) == 3
    assert read_as(alice, commodity_category="nothing-like-it").status_code == 400


def test_a_bad_filter_value_is_a_400_naming_the_parameter(read_as, world, alice):
    response = read_as(alice, status="lost", ordering="sideways")
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"status", "ordering"}


@pytest.mark.parametrize("ordering", ["status", "-updated_at", "-national_reference"])
def test_an_ordering_the_list_does_not_offer_is_a_400(read_as, world, alice, ordering):
    # Only the orders of ORDERING_CHOICES, each walked through an index on the field and the key.
    response = read_as(alice, ordering=ordering)
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"ordering"}


# --- cursor pages ------------------------------------------------------------------------------------------


def test_cursor_pages_walk_every_report_once_newest_seizure_first_through_ties(read_as, alice):
    day = dt.date.today() - dt.timedelta(days=5)
    made = [
        build_report(
            by=alice,
            reference=f"FR-TIE-{n}",
            status=ReportStatus.DRAFT,
            through_services=True,
            **complete_report(seizure_date=day if n % 2 else day - dt.timedelta(days=n)),
        )
        for n in range(7)
    ]
    rows = _walk(read_as, alice, page_size=2)
    expected = sorted(made, key=lambda r: (r.seizure_date, r.pk), reverse=True)
    assert [row["uuid"] for row in rows] == [str(r.uuid) for r in expected]


def test_previous_links_go_back_to_the_same_page(read_as, alice):
    for n in range(5):
        build_report(
            by=alice, reference=f"FR-BACK-{n}", status=ReportStatus.DRAFT, through_services=True, **complete_report()
        )
    first = read_as(alice, page_size=2).json()
    second = read_as(alice, first["next"]).json()
    back = read_as(alice, second["previous"]).json()
    assert back["results"] == first["results"] and first["previous"] is None


@pytest.mark.parametrize("ordering", ["national_reference", "seizure_date", "submitted_at", "-submitted_at"])
def test_every_ordering_walks_every_report_once_in_order(read_as, world, alice, ordering):
    rows = _walk(read_as, alice, page_size=1, ordering=ordering)
    assert sorted(row["uuid"] for row in rows) == sorted(
        str(world[name].uuid) for name in ("fr_draft", "fr_submitted", "fr_approved")
    )
    field = ordering.lstrip("-")
    values = [row[field] for row in rows if row[field] is not None]
    assert values == sorted(values, reverse=ordering.startswith("-"))
    assert [row[field] for row in rows][-1] is not None or field == "submitted_at"  # drafts (no date) come last


def test_a_forged_cursor_is_refused(read_as, world, alice):
    forged = base64.b64encode(b"p=%5B%22yesterday%22%2C1%5D").decode()  # p=["yesterday",1]
    response = read_as(alice, cursor=forged)
    assert response.status_code == 404
    assert response.json()["type"] == "not_found"


@pytest.mark.parametrize("position", ['["2025-03-14",Infinity]', '["2025-03-14",1e400]', '["2025-03-14",NaN]'])
def test_a_forged_cursor_with_a_number_no_key_has_is_refused(read_as, world, alice, position):
    forged = base64.b64encode(f"p={quote(position)}".encode()).decode()
    response = read_as(alice, cursor=forged)
    assert response.status_code == 404
    assert response.json()["type"] == "not_found"


def test_a_deeply_nested_cursor_is_refused_as_any_invalid_cursor(read_as, world, alice):
    nested = base64.b64encode(("p=" + "[" * 3000).encode()).decode()
    response = read_as(alice, cursor=nested)
    assert response.status_code == 404
    assert response.json()["type"] == "not_found"


def test_the_list_runs_the_same_number_of_queries_for_10_or_100_reports_a_page(api, alice, issue_token):
    seed_reports(count=150, workers=1)  # in France, alice's administration (the only one)
    auth = bearer(issue_token(alice, "read"))
    api.get(URL, **auth)  # the token's first use is recorded (at most once a minute): not a cost of the list

    def queries(size: int, *, terms_known: bool) -> int:
        if not terms_known:
            known_codes.clear()  # as in a new process: the list reads the terms' codes in its own query
        with CaptureQueriesContext(connection) as captured:
            response = api.get(URL, {"page_size": size}, **auth)
        assert response.status_code == 200 and len(response.json()["results"]) == size
        return len(captured)

    cold = {size: queries(size, terms_known=False) for size in (10, 100)}
    api.get(URL, {"page_size": 500}, **auth)
    warm = {size: queries(size, terms_known=True) for size in (10, 100)}
    assert cold[10] == cold[100] == warm[10] == warm[100] <= 8, (cold, warm)
