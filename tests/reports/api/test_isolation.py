"""Nobody reads or changes through the API a report that is not theirs, whatever the endpoint, persona or token.

Parametrised over every report endpoint and every persona of tests/conftest.py plus a national system:
another administration's report answers 404 (or, for an account whose role lacks the operation
altogether, the same 403 a made-up uuid gets: nothing is learnt), an analyst of another region sees
nothing, a draft is never visible outside its administration, lists hold nothing out of reach, an
administration smuggled into a body is ignored, token scopes narrow what a token may do, an expired share
grants nothing, and parties' nationality, sex and age band reach only those who may see personal data.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from apps.reports.models import Report
from tests.builders import report_body
from tests.helpers import bearer

URL = "/api/v1/reports/"
PERSONAS = ["alice", "cora", "bob", "dmitri", "erin", "farid", "grace", "hugo", "ivan", "nsys"]

# Which of the world's reports each persona may see at all (DESIGN.md section 5).
VISIBLE: dict[str, set[str]] = {
    "alice": {"fr_draft", "fr_submitted", "fr_approved"},
    "cora": {"fr_draft", "fr_submitted", "fr_approved"},
    "nsys": {"fr_draft", "fr_submitted", "fr_approved"},
    "bob": {"de_draft", "de_submitted"},
    "dmitri": {"kz_submitted"},
    "erin": {"fr_submitted", "fr_approved", "de_submitted"},
    "grace": {"fr_submitted", "fr_approved", "de_submitted"},
    "farid": {"kz_submitted"},
    "hugo": set(),
    "ivan": set(),
}

Body = Callable[[Report, dict[str, Report]], dict[str, Any] | None]


def _none(report: Report, world: dict[str, Report]) -> None:
    return None


def _other(report: Report, world: dict[str, Report]) -> dict[str, Any]:
    """Another submitted or approved report of the same administration (one its reviewers can see)."""
    others = [r for r in world.values() if r.pk != report.pk and r.status != "draft"]
    same = [r for r in others if r.administration_id == report.administration_id]
    return {"of": str((same or others)[0].uuid), "comment": "same seizure"}


# Every report endpoint that names a report: (method, path after the uuid, body, scope it needs).
ENDPOINTS: dict[str, tuple[str, str, Body, str]] = {
    "retrieve": ("get", "", _none, "read"),
    "update": ("put", "", lambda r, w: report_body("HIJACKED", administration=r.administration_id), "write"),
    "partial_update": ("patch", "", lambda r, w: {"place": "Hijacked"}, "write"),
    "submit": ("post", "submit/", _none, "write"),
    "return": ("post", "return/", lambda r, w: {"comment": "Hijacked"}, "review"),
    "approve": ("post", "approve/", lambda r, w: {"comment": "Hijacked"}, "review"),
    "correct": ("post", "correct/", lambda r, w: {"reason": "Hijacked", "place": "Hijacked"}, "review"),
    "withdraw": ("post", "withdraw/", lambda r, w: {"reason": "Hijacked"}, "review"),
    "mark_duplicate": ("post", "mark-duplicate/", _other, "review"),
}


def call(api: Any, auth: dict[str, str], endpoint: str, report_uuid: Any, body: dict[str, Any] | None) -> Any:
    method, suffix, _, _ = ENDPOINTS[endpoint]
    path = f"{URL}{report_uuid}/{suffix}"
    if method == "get":
        return api.get(path, **auth)
    return getattr(api, method)(path, body, format="json", **auth)


def snapshot(world: dict[str, Report]) -> dict[str, tuple[Any, ...]]:
    rows = Report.objects.filter(pk__in=[r.pk for r in world.values()])
    return {
        r.national_reference: (r.status, r.version, r.place, r.duplicate_of_id, r.updated_at, r.items.count())
        for r in rows
    }


@pytest.fixture
def full_token(issue_token, request) -> Callable[[str], dict[str, str]]:
    """Every scope, so that only the account's role and tenant limit what it may do."""

    def token(persona: str) -> dict[str, str]:
        return bearer(issue_token(request.getfixturevalue(persona), "read", "write", "review"))

    return token


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_report_out_of_reach_is_not_found_on_every_endpoint(api, world, nsys, full_token, persona):
    auth = full_token(persona)
    before = snapshot(world)
    hidden = [name for name in world if name not in VISIBLE[persona]]
    assert hidden
    for endpoint, (_, _, body, _) in ENDPOINTS.items():
        made_up = call(api, auth, endpoint, uuid.uuid4(), body(world["fr_draft"], world))
        for name in hidden:
            report = world[name]
            response = call(api, auth, endpoint, report.uuid, body(report, world))
            where = f"{persona} {endpoint} {name}: {response.status_code}"
            if response.status_code == 403:  # the role lacks the operation: as for no report at all
                assert (made_up.status_code, made_up.json()) == (403, response.json()), where
            else:
                assert response.status_code == 404, where
                assert response.json()["type"] == "not_found", where
            assert report.national_reference.encode() not in response.content, where
        assert snapshot(world) == before, f"{persona} {endpoint} changed something out of reach"
    assert not Report.objects.filter(national_reference="HIJACKED").exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_list_holds_nothing_out_of_reach(api, world, nsys, full_token, persona):
    auth = full_token(persona)
    response = api.get(URL, {"page_size": 2}, **auth)
    if response.status_code == 403:  # an account without any report capability (the auditor)
        assert persona == "hugo"
        return
    shown: set[bytes] = set()
    while True:
        assert response.status_code == 200
        shown |= set(re.findall(rb"ISO-[A-Z]{2}-[A-Z]+", response.content))
        if not response.json()["next"]:
            break
        response = api.get(response.json()["next"], **auth)
    assert shown == {world[name].national_reference.encode() for name in VISIBLE[persona]}


@pytest.mark.parametrize("persona", ["erin", "grace", "farid", "bob", "dmitri", "ivan"])
def test_a_french_draft_is_never_visible_outside_france(api, world, full_token, persona):
    auth = full_token(persona)
    draft = world["fr_draft"]
    assert api.get(f"{URL}{draft.uuid}/", **auth).status_code == 404
    listed = api.get(URL, {"status": "draft", "q": draft.national_reference}, **auth)
    assert b"ISO-FR-DRAFT" not in listed.content


@pytest.mark.parametrize("persona", ["erin", "grace", "farid"])
def test_an_analyst_sees_no_report_of_another_region_even_asking_for_it(api, world, full_token, persona, request):
    user = request.getfixturevalue(persona)
    auth = full_token(persona)
    for report in (r for r in world.values() if r.administration.region_id != user.region_id):
        assert api.get(f"{URL}{report.uuid}/", **auth).status_code == 404
        listed = api.get(URL, {"administration": report.administration_id, "q": report.national_reference}, **auth)
        assert listed.status_code in (200, 400)  # 400: that administration is not one of the region's
        assert report.national_reference.encode() not in listed.content


@pytest.mark.parametrize("persona", ["alice", "cora", "bob", "dmitri", "nsys"])
def test_an_administration_smuggled_into_a_push_is_ignored(api, world, full_token, persona, request, kazakhstan):
    user = request.getfixturevalue(persona)
    foreign = kazakhstan if user.administration_id != kazakhstan.pk else world["fr_draft"].administration
    body = report_body(
        f"SMUGGLED-{persona}",
        administration=foreign.pk,
        administration_id=foreign.pk,
        created_by=1,
        status="approved",
        country_of_seizure=str(user.administration.country),
    )
    response = api.post(URL, body, format="json", **full_token(persona))
    assert response.status_code == 201, response.json()
    report = Report.objects.get(national_reference=f"SMUGGLED-{persona}")
    assert (report.administration_id, report.created_by_id, report.status) == (user.administration_id, user.pk, "draft")


@pytest.mark.parametrize("persona", ["erin", "farid", "grace", "hugo", "ivan"])
def test_who_is_not_in_an_administration_cannot_push_a_report(api, world, full_token, persona):
    response = api.post(URL, report_body("NOPE"), format="json", **full_token(persona))
    assert response.status_code == 403
    assert not Report.objects.filter(national_reference="NOPE").exists()


# --- token scopes --------------------------------------------------------------------------------------

# Per endpoint, a persona who may take it on a report of the world, so that only the token's scope decides.
ACTOR = {"retrieve": "alice", "update": "alice", "partial_update": "alice", "submit": "alice"} | dict.fromkeys(
    ["return", "approve", "correct", "withdraw", "mark_duplicate"], "erin"
)
TARGET = {"submit": "fr_draft", "update": "fr_draft", "partial_update": "fr_draft", "retrieve": "fr_draft"} | {
    "return": "fr_submitted",
    "approve": "fr_submitted",
    "correct": "fr_approved",
    "withdraw": "fr_approved",
    "mark_duplicate": "fr_submitted",
}
SCOPE_SETS = [("read",), ("read", "write"), ("read", "review"), ("write",), ("review",), ("read", "write", "review")]


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_a_token_may_do_only_what_its_scopes_allow(api, world, issue_token, request, endpoint):
    report = world[TARGET[endpoint]]
    actor = request.getfixturevalue(ACTOR[endpoint])
    _, _, body, needed = ENDPOINTS[endpoint]
    before = snapshot(world)
    # Tokens without the scope first (they change nothing), then one with it.
    for scopes in sorted(SCOPE_SETS, key=lambda scopes: needed in scopes):
        response = call(api, bearer(issue_token(actor, *scopes)), endpoint, report.uuid, body(report, world))
        if needed in scopes:
            assert response.status_code < 400, (scopes, response.json())
            break
        assert response.status_code == 403, scopes
        assert response.json()["type"] == "insufficient_scope"
        assert response.json()["details"] == {"required_scope": needed}
        assert f'scope="{needed}"' in response["WWW-Authenticate"]
        assert snapshot(world) == before


def test_a_read_only_token_cannot_push_and_a_write_token_cannot_review(api, world, alice, erin, issue_token):
    read_only = bearer(issue_token(alice, "read"))
    assert api.post(URL, report_body("RO-1"), format="json", **read_only).status_code == 403
    write = bearer(issue_token(erin, "read", "write"))
    response = api.post(f"{URL}{world['fr_submitted'].uuid}/approve/", {}, format="json", **write)
    assert response.status_code == 403 and response.json()["details"] == {"required_scope": "review"}
    assert not Report.objects.filter(national_reference="RO-1").exists()
    assert Report.objects.get(pk=world["fr_submitted"].pk).status == "submitted"


# --- grants that end, and person attributes behind the personal-data gate ------------------------------------


@pytest.mark.parametrize(("persona", "administration"), [("bob", "germany"), ("dmitri", "kazakhstan")])
def test_an_expired_share_grants_nothing_on_any_endpoint(api, world, full_token, persona, administration, request):
    import datetime as dt

    from django.utils import timezone

    from apps.reports.models import ReportGroupObjectPermission
    from apps.reports.services import report_share_with_administration

    shared = world["fr_submitted"]
    report_share_with_administration(
        report=shared,
        administration=request.getfixturevalue(administration),
        actor=request.getfixturevalue("erin"),
        include_personal_data=True,
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    ReportGroupObjectPermission.objects.filter(content_object=shared).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    auth = full_token(persona)
    before = snapshot(world)
    for endpoint, (_, _, body, _) in ENDPOINTS.items():
        response = call(api, auth, endpoint, shared.uuid, body(shared, world))
        assert response.status_code in (403, 404), f"{persona} {endpoint}: {response.status_code}"
        if response.status_code == 404:
            assert response.json()["type"] == "not_found"
        assert shared.national_reference.encode() not in response.content
    assert snapshot(world) == before
    listed = api.get(URL, {"page_size": 100}, **auth)
    assert shared.national_reference.encode() not in listed.content


# Whose personal data each persona may see (the rest of VISIBLE: the report only).
PERSONAL: dict[str, set[str]] = {name: set(reports) for name, reports in VISIBLE.items()} | {"grace": set()}


@pytest.mark.parametrize("persona", PERSONAS)
def test_party_profiles_carry_person_attributes_only_with_personal_data_rights(api, world, nsys, full_token, persona):
    auth = full_token(persona)
    listed = api.get(URL, {"page_size": 100}, **auth)
    if listed.status_code == 403:
        assert persona == "hugo"
        return
    names = {report.national_reference: name for name, report in world.items()}
    rows = {names[row["national_reference"]]: row for row in listed.json()["results"]}
    assert set(rows) == VISIBLE[persona]
    for name, row in rows.items():
        detail = api.get(f"{URL}{row['uuid']}/", **auth).json()
        for shown in (row, detail):
            [party] = shown["parties"]
            attributes = (party["nationality"], party["sex"], party["age_band"])
            if name in PERSONAL[persona]:
                assert attributes[:2] == ("FR", "M"), (persona, name)
            else:
                assert attributes == (None, None, None), (persona, name)


# --- the statistics API --------------------------------------------------------------------------------

STATISTICS_URL = "/api/v1/statistics/"
# The submitted and approved reports of the world each persona's region counts (None: no region, no statistics).
REGION_COUNTED: dict[str, int | None] = {
    **dict.fromkeys(["alice", "cora", "nsys", "bob", "erin", "grace", "hugo"], 3),
    "dmitri": 1,
    "farid": 1,
    "ivan": None,
}
# Only the region's RILO staff may add submitted reports; the others' figures are of its approved reports.
ADDS_SUBMITTED = frozenset({"erin", "grace", "hugo", "farid"})
REGION_APPROVED = {**dict.fromkeys(["alice", "cora", "nsys", "bob"], 1), "dmitri": 0}


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_statistics_count_only_the_personas_region_on_every_panel(api, world, nsys, full_token, persona):
    from apps.dashboards.services import statistics_rebuild

    statistics_rebuild()
    auth = full_token(persona)
    both = {"state": ["approved", "submitted"]}
    listed = api.get(STATISTICS_URL, **auth)
    if REGION_COUNTED[persona] is None:
        assert listed.status_code == 403
        assert api.get(f"{STATISTICS_URL}key_figures/", **auth).status_code == 403
        return
    assert listed.status_code == 200
    if persona not in ADDS_SUBMITTED:
        assert api.get(f"{STATISTICS_URL}key_figures/", both, **auth).status_code == 400
    states = both if persona in ADDS_SUBMITTED else {}
    for panel in listed.json():
        response = api.get(f"{STATISTICS_URL}{panel['key']}/", states, **auth)
        assert response.status_code == 200, (persona, panel["key"])
        assert not re.findall(rb"ISO-[A-Z]{2}-[A-Z]+", response.content), (persona, panel["key"])
    figures = api.get(f"{STATISTICS_URL}key_figures/", states, **auth).json()
    reports = next(row["value"] for row in figures["rows"] if row["figure"] == "reports")
    assert reports == (REGION_COUNTED[persona] if persona in ADDS_SUBMITTED else REGION_APPROVED[persona])
