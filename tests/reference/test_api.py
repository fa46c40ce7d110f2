"""/api/v1/me/ and the reference vocabularies: shapes, filters, lookup by code, pagination, ETags."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from rest_framework.request import Request

from apps.accounts.models import ApiToken
from apps.core.api.filters import filter_updated_since, parse_updated_since
from apps.reference.api.views import vocabulary_endpoints, vocabulary_models
from tests.helpers import bearer

REF = "/api/v1/reference"


@pytest.fixture
def alice_auth(alice, issue_token) -> dict[str, str]:
    return bearer(issue_token(alice, "read"))


def test_me_describes_the_officer_and_the_token_scopes(api, alice, issue_token):
    body = api.get("/api/v1/me/", **bearer(issue_token(alice, "read", "write", name="sync"))).json()
    assert body["username"] == "alice"
    assert (body["role"], body["role_label"]) == ("officer", "Officer")
    assert body["administration"] == {"code": "fr", "name": "French Customs", "country": "FR"}
    assert body["region"] == {"code": "rilo-we", "name": "RILO Western Europe"}
    assert body["token_scopes"] == ["read", "write"]
    assert body["token"]["name"] == "sync" and body["token"]["prefix"].startswith("rilo_")


def test_me_for_an_analyst_names_the_region_and_no_administration(api, erin, issue_token):
    body = api.get("/api/v1/me/", **bearer(issue_token(erin))).json()
    assert body["administration"] is None
    assert body["region"]["code"] == "rilo-we"


def test_me_with_a_session_has_no_token_scopes(api, alice):
    api.force_login(alice)
    body = api.get("/api/v1/me/").json()
    assert body["token"] is None and body["token_scopes"] is None


def test_every_vocabulary_model_has_an_endpoint():
    segments = {segment for segment, _ in vocabulary_endpoints()}
    assert len(segments) == len(vocabulary_models()) == 13
    assert {"hs-codes", "currencies", "units", "commodity-types", "selection-bases"} <= segments


@pytest.mark.parametrize(("segment", "_"), vocabulary_endpoints())
def test_every_vocabulary_lists_with_page_numbers(api, alice_auth, vocabularies, segment, _):
    response = api.get(f"{REF}/{segment}/", **alice_auth)
    assert response.status_code == 200
    assert set(response.json()) == {"count", "next", "previous", "results"}


def test_a_vocabulary_list_shows_common_and_type_specific_fields(api, alice_auth, vocabularies):
    body = api.get(f"{REF}/units/", **alice_auth).json()
    assert body["count"] == 2
    kilogram = next(term for term in body["results"] if term["code"] == "KGM")
    assert kilogram == {
        "code": "KGM",
        "label": "Kilogram",
        "translations": {},
        "parent": None,
        "active": True,
        "sort_order": 0,
        "cen_code": "",
        "cis_code": "",
        "symbol": "kg",
        "dimension": "mass",
        "factor": "1.000000000",
    }
    category = api.get(f"{REF}/commodity-categories/DRU/", **alice_auth).json()
    assert (category["enforcement_area"], category["cen_code"]) == ("DRUGS", "D")
    heading = api.get(f"{REF}/hs-codes/2402/", **alice_auth).json()
    assert (heading["parent"], heading["level"], heading["section"]) == ("24", 4, "IV")


def test_vocabularies_filter_by_active_parent_and_search(api, alice_auth, vocabularies):
    codes = lambda query: [t["code"] for t in api.get(f"{REF}/{query}", **alice_auth).json()["results"]]  # noqa: E731
    assert codes("enforcement-areas/") == ["DRUGS", "REVENUE", "OLD"]
    assert codes("enforcement-areas/?active=true") == ["DRUGS", "REVENUE"]
    assert codes("enforcement-areas/?active=false") == ["OLD"]
    assert codes("hs-codes/?parent=24") == ["2402"]
    assert codes("units/?search=gram") == ["GRM", "KGM"] or codes("units/?search=gram") == ["KGM", "GRM"]
    response = api.get(f"{REF}/enforcement-areas/?active=maybe", **alice_auth)
    assert response.status_code == 400 and "active" in response.json()["details"]


def test_page_size_is_capped_and_checked(api, alice_auth, vocabularies):
    body = api.get(f"{REF}/enforcement-areas/?page_size=2", **alice_auth).json()
    assert len(body["results"]) == 2 and body["next"].endswith("page=2&page_size=2")
    assert api.get(f"{REF}/enforcement-areas/?page_size=0", **alice_auth).status_code == 400
    assert api.get(f"{REF}/enforcement-areas/?page=9", **alice_auth).status_code == 404


@pytest.mark.parametrize("page", ["", "0", "x", "9"])
@pytest.mark.parametrize("listed", ["enforcement-areas", "countries"])
def test_a_page_that_is_no_page_of_the_list_is_not_found_an_empty_one_too(api, alice_auth, vocabularies, listed, page):
    response = api.get(f"{REF}/{listed}/?page={'900' if page == '9' else page}", **alice_auth)

    assert response.status_code == 404 and response.json()["type"] == "not_found"
    assert api.get(f"{REF}/{listed}/?page=1", **alice_auth).status_code == 200


def test_lookup_by_code_falls_back_to_any_case(api, alice_auth, vocabularies):
    assert api.get(f"{REF}/currencies/EUR/", **alice_auth).json()["numeric_code"] == "978"
    assert api.get(f"{REF}/currencies/eur/", **alice_auth).json()["code"] == "EUR"
    response = api.get(f"{REF}/currencies/XXX/", **alice_auth)
    assert response.status_code == 404 and "XXX" in response.json()["message"]


def test_vocabulary_detail_answers_304_when_the_etag_is_current(api, alice_auth, vocabularies):
    first = api.get(f"{REF}/units/KGM/", **alice_auth)
    etag = first["ETag"]
    assert etag.startswith('"')
    again = api.get(f"{REF}/units/KGM/", HTTP_IF_NONE_MATCH=etag, **alice_auth)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    assert api.get(f"{REF}/units/KGM/", HTTP_IF_NONE_MATCH=f"W/{etag}", **alice_auth).status_code == 304
    vocabularies["kilogram"].label = "Kilogramme"
    vocabularies["kilogram"].save()
    changed = api.get(f"{REF}/units/KGM/", HTTP_IF_NONE_MATCH=etag, **alice_auth)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_countries_are_listed_and_looked_up_like_vocabularies(api, alice_auth):
    body = api.get(f"{REF}/countries/?page_size=500", **alice_auth).json()
    assert body["count"] > 240
    france = api.get(f"{REF}/countries/fr/", **alice_auth)
    assert france.json() | {"sort_order": 0} == {
        "code": "FR",
        "label": "France",
        "translations": {},
        "parent": None,
        "active": True,
        "sort_order": 0,
        "cen_code": "",
        "cis_code": "",
        "alpha3": "FRA",
        "numeric": "250",
    }
    assert api.get(f"{REF}/countries/FR/", HTTP_IF_NONE_MATCH=france["ETag"], **alice_auth).status_code == 304
    assert api.get(f"{REF}/countries/?search=germ", **alice_auth).json()["results"][0]["code"] == "DE"
    assert api.get(f"{REF}/countries/?active=false", **alice_auth).json()["count"] == 0
    assert api.get(f"{REF}/countries/QQ/", **alice_auth).status_code == 404


def test_a_partner_system_reads_vocabularies(api, ivan, issue_token, vocabularies):
    assert api.get(f"{REF}/currencies/", **bearer(issue_token(ivan))).status_code == 200


def _request(query: str) -> Request:
    return Request(RequestFactory().get(f"/x/?{query}"))


def test_updated_since_parses_rfc3339_and_filters(alice, issue_token):
    issue_token(alice)
    token = ApiToken.objects.get()
    tokens = ApiToken.objects.all()
    since = token.created_at.isoformat()
    parsed = parse_updated_since(_request("updated_since=2025-01-31T12:00:00Z"))
    assert parsed is not None and parsed.isoformat() == "2025-01-31T12:00:00+00:00"
    assert list(
        filter_updated_since(tokens, _request(f"updated_since={since.replace('+', '%2B')}"), field="created_at")
    )
    assert not filter_updated_since(tokens, _request("updated_since=2999-01-01T00:00:00Z"), field="created_at")
    assert filter_updated_since(tokens, _request(""), field="created_at").count() == 1


@pytest.mark.parametrize("value", ["yesterday", "2025-01-31", "2025-13-01T00:00:00Z"])
def test_updated_since_refuses_what_is_not_a_date_time(value):
    from rest_framework.exceptions import ValidationError

    with pytest.raises(ValidationError):
        parse_updated_since(_request(f"updated_since={value}"))
