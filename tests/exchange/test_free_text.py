"""Free text reaches a partner without personal data only once the approving analyst checked it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from apps.exchange.adapters import adapter_for
from apps.exchange.adapters.base import encode
from apps.exchange.dryrun import policy_dry_run
from apps.exchange.models import OutboxEvent, PartnerSystem, SharingPolicy
from apps.exchange.operations import report_timeline
from apps.exchange.scanner import refusal_reason, scan
from apps.reports.models import Report
from apps.tenancy.models import Administration
from tests.builders import (
    NON_PERSONAL_FIELDS,
    analyst,
    approve,
    build_report,
    correct,
    policy_version,
    webhook_partner,
)

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:9/hooks"  # never contacted: these tests only render
FREE_TEXT = ["report.customs_office", "items.brand", "items.attributes", "route.place"]


def with_free_text(report: Report) -> Report:
    """Give the report's item a brand and attributes (as an officer might type them)."""
    report.items.update(brand="Marlboro", attributes={"sticks_count": 200000})
    return report


def render(partner: PartnerSystem, policy: SharingPolicy, event: OutboxEvent) -> dict[str, Any]:
    payload = adapter_for(partner).render(
        event.snapshot, policy, mode="report", personal_allowed=partner.personal_data_allowed
    )
    return json.loads(payload)["data"]


def test_a_non_personal_partner_receives_no_free_text_unless_the_approving_analyst_checked_it(
    france: Administration,
) -> None:
    cen, _, policy = webhook_partner("CEN", URL, fields=[*NON_PERSONAL_FIELDS, *FREE_TEXT])

    unchecked = render(cen, policy, approve(with_free_text(build_report(by=france, reference="FR-1"))))
    assert set(unchecked["report"]) >= {"kind", "country_of_seizure"}
    assert "customs_office" not in unchecked["report"] and "modus_operandi" not in unchecked["report"]
    for item in unchecked["items"]:
        assert not {"description", "brand", "attributes"} & set(item), item
    assert unchecked["items"][0]["quantity"] == "200000.000"

    checked_event = approve(with_free_text(build_report(by=france, reference="FR-2")), free_text_checked=True)
    assert checked_event.snapshot["free_text_checked"] is True
    checked = render(cen, policy, checked_event)
    assert checked["report"]["customs_office"] == "Le Havre port office"
    assert checked["items"][0]["description"] == "Cigarettes hidden in a load of furniture"
    assert checked["items"][0]["brand"] == "Marlboro"
    assert checked["items"][0]["attributes"] == {"sticks_count": 200000}
    # What a reviewer's check never clears stays out.
    assert "modus_operandi" not in checked["report"]
    assert "concealment_detail" not in checked["items"][0]
    assert scan(encode(checked)) == []


def test_a_correction_needs_the_free_text_check_again(france: Administration) -> None:
    cen, _, policy = webhook_partner("CEN", URL)
    report = build_report(by=france, reference="FR-1")
    assert "description" in render(cen, policy, approve(report, free_text_checked=True))["items"][0]

    corrected = correct(report, customs_office="Rouen port office")
    assert corrected.snapshot["free_text_checked"] is False
    assert "description" not in render(cen, policy, corrected)["items"][0]

    checked_again = correct(report, customs_office="Rouen", free_text_checked=True)
    assert "description" in render(cen, policy, checked_again)["items"][0]

    # The exchange timeline says, version by version, who checked the free text.
    who = analyst(report)
    timeline = report_timeline(actor=who, report_uuid=report.uuid)
    assert [(e.event.report_version, e.free_text_checked_by) for e in timeline.events] == [
        (1, who.get_full_name() or who.username),
        (2, ""),
        (3, who.get_full_name() or who.username),
    ]


def test_a_personal_partner_receives_free_text_whatever_the_check(france: Administration) -> None:
    national, _, policy = webhook_partner(
        "National system", URL, personal=True, fields=[*NON_PERSONAL_FIELDS, "report.customs_office"]
    )
    data = render(national, policy, approve(build_report(by=france, reference="FR-1")))
    assert data["report"]["place"] == "Port of Le Havre, quay 4"
    assert data["report"]["customs_office"] == "Le Havre port office"
    assert data["items"][0]["description"] == "Cigarettes hidden in a load of furniture"


def test_place_reaches_a_non_personal_partner_only_as_its_country(france: Administration) -> None:
    # The policy asks for the exact places; without personal data they still go out as countries.
    cen, _, policy = webhook_partner("CEN", URL, fields=["report.place", "route.place", "route.country"])
    assert policy.generalisations == {}
    for checked in (False, True):
        event = approve(build_report(by=france, reference=f"FR-{checked}"), free_text_checked=checked)
        data = render(cen, policy, event)
        assert data["report"] == {"place": "FR"}
        assert data["route"] == [{"country": "AE", "place": "AE"}, {"country": "FR", "place": "FR"}]


def test_a_non_personal_policy_may_name_free_text_but_no_other_personal_field(france: Administration) -> None:
    cen, _, _ = webhook_partner("CEN", URL, fields=[*NON_PERSONAL_FIELDS, *FREE_TEXT])
    with pytest.raises(ValidationError) as error:
        policy_version(
            partner=cen,
            regions=["*"],
            fields=["items.description", "report.modus_operandi", "items.concealment_detail"],
        )
    assert error.value.message_dict["fields"] == [
        "report.modus_operandi is personal data; a policy without personal data cannot keep it.",
        "items.concealment_detail is personal data; a policy without personal data cannot keep it.",
    ]


def test_the_dry_run_shows_the_free_text_a_non_personal_policy_leaves_out(france: Administration) -> None:
    cen, _, _ = webhook_partner("CEN", URL, fields=["report.kind"])
    unchecked = build_report(by=france, reference="FR-UNCHECKED")
    approve(unchecked)
    approve(build_report(by=france, reference="FR-CHECKED"), free_text_checked=True)
    spec = {
        "personal_data": False,
        "regions": ["*"],
        "administrations": ["*"],
        "commodity_categories": ["*"],
        "report_kinds": ["*"],
        "thresholds": [],
        "embargo": dt.timedelta(0),
        "fields": ["report.kind", "report.place", "items.description", "items.brand"],
        "generalisations": {},
    }
    result = policy_dry_run(actor=analyst(unchecked), partner=cen, spec=spec)
    assert [(c.national_reference, c.changes) for c in result.free_text_withheld] == [
        ("FR-UNCHECKED", ["items.description", "items.brand"])
    ]
    assert result.forced_generalisations == ["report.place → country"]


def test_attribute_keys_are_scanned_for_personal_data() -> None:
    payload = encode(
        {"data": {"items": [{"attributes": {"paul.martin@example.org": 1, "AB1234567": "yes", "sticks_count": 10}}]}}
    )
    assert [str(f) for f in scan(payload)] == [
        "e-mail address in a key at data.items[0].attributes",
        "passport-like number in a key at data.items[0].attributes",
    ]
    reason = refusal_reason(payload)
    assert "paul" not in reason and "AB1234567" not in reason


def test_coordinates_never_reach_a_partner_without_personal_data(france: Administration) -> None:
    # Exact coordinates can point at a home: personal, and no reviewer's tick clears them.
    cen, _, _ = webhook_partner("CEN", URL, fields=[*NON_PERSONAL_FIELDS, *FREE_TEXT])
    with pytest.raises(ValidationError) as error:
        policy_version(partner=cen, regions=["*"], fields=["report.kind", "report.latitude", "report.longitude"])
    assert error.value.message_dict["fields"] == [
        "report.latitude is personal data; a policy without personal data cannot keep it.",
        "report.longitude is personal data; a policy without personal data cannot keep it.",
    ]
    assert SharingPolicy.objects.filter(partner=cen).count() == 1

    # A version stored before coordinates were personal still renders without them.
    old = SharingPolicy.objects.create(
        partner=cen,
        version=2,
        regions=["*"],
        administrations=["*"],
        commodity_categories=["*"],
        report_kinds=["*"],
        fields=[*NON_PERSONAL_FIELDS, "report.latitude", "report.longitude"],
    )
    report = build_report(by=france, reference="FR-1")
    Report.objects.filter(pk=report.pk).update(latitude="49.493800", longitude="0.107700")
    unchecked = approve(report)
    checked = correct(report, customs_office="Le Havre", free_text_checked=True)
    for event in (unchecked, checked):
        assert event.snapshot["report"]["latitude"] == "49.493800"
        data = render(cen, old, event)
        assert data["report"]["place"] == "FR"
        assert not {"latitude", "longitude"} & set(data["report"]), data["report"]
        assert "49.4938" not in json.dumps(data)

    # A partner allowed personal data still receives them.
    national, _, policy = webhook_partner(
        "National system", URL, personal=True, fields=["report.latitude", "report.longitude"]
    )
    assert render(national, policy, checked)["report"] == {"latitude": "49.493800", "longitude": "0.107700"}
