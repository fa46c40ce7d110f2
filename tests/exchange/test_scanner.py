"""The scanner: the last check before a message leaves for a partner that may not receive personal data."""

from __future__ import annotations

import pytest

from apps.exchange.adapters import adapter_for
from apps.exchange.adapters.base import encode
from apps.exchange.choices import DeliveryState
from apps.exchange.models import Delivery
from apps.exchange.scanner import refusal_reason, scan, scan_text
from apps.exchange.services import event_fan_out
from apps.tenancy.models import Administration
from tests.builders import approve, build_report, cigarettes, default_region, partner_system, webhook_partner

URL = "http://127.0.0.1:9/hooks"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("write to paul.martin@example.org for details", "e-mail address"),
        ("passport AB1234567 seen", "passport-like number"),
        ("French passport 12AB34567", "passport-like number"),
        ("paid from FR76 3000 6000 0112 3456 7890 189", "IBAN-like number"),
        ("account GB82WEST12345698765432", "IBAN-like number"),
        ("call +33 6 12 34 56 78", "phone number"),
        ("call 06 12 34 56 78", "phone number"),
        ("call 0044 20 7946 0958", "phone number"),
    ],
)
def test_the_scanner_finds_personal_data_typed_into_free_text(text: str, kind: str) -> None:
    assert kind in scan_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "200000 cigarettes in 40 cartons",
        "2025-03-14",
        "2025-03-14T10:00:00+00:00",
        "FR-2025-000123",
        "HS 2402.20, 12.5 kg",
        "GB82WEST12345698765433",  # IBAN-shaped, wrong checksum
        "Port of Le Havre, quay 4",
        "Seizure report 5f0c2a9e-0012-3456-7890-1a2b3c4d5e6f v1",  # digit-only UUID groups
    ],
)
def test_the_scanner_leaves_ordinary_values_alone(text: str) -> None:
    assert scan_text(text) == []


def test_the_scanner_finds_catalogued_personal_keys_wherever_they_are() -> None:
    payload = encode(
        {
            "data": {
                "parties": [{"role": "offender", "family_name": "Martin"}],
                "conveyances": [{"identifier": "AB-123-CD"}],
            }
        }
    )
    assert [str(f) for f in scan(payload)] == [
        "personal field conveyances.identifier at data.conveyances[0].identifier",
        "personal field parties.family_name at data.parties[0].family_name",
    ]


def test_a_refusal_names_the_kind_and_place_but_never_the_value() -> None:
    reason = refusal_reason(encode({"data": {"items": [{"description": "ask paul@example.org"}]}}))
    assert (
        reason == "personal data found in the rendered message, not sent: e-mail address at data.items[0].description"
    )
    assert "paul" not in reason


@pytest.mark.django_db
def test_clean_messages_of_both_adapters_pass_the_scanner(france: Administration) -> None:
    webhook, _, policy = webhook_partner("CEN", URL)
    taxii, _ = partner_system(region=default_region(), name="TAXII", adapter="taxii", endpoint_url=URL)
    event = approve(build_report(by=france, reference="FR-2025-000123"))
    for partner in (webhook, taxii):
        for mode in ("report", "tombstone"):
            payload = adapter_for(partner).render(event.snapshot, policy, mode=mode, personal_allowed=False)
            assert scan(payload) == [], (partner.adapter, mode)


@pytest.mark.django_db
def test_a_message_with_an_email_in_a_description_is_refused_for_a_non_personal_partner(
    france: Administration,
) -> None:
    webhook_partner("CEN", URL)
    webhook_partner("National system", URL, personal=True)
    report = build_report(
        by=france, reference="FR-1", items=[cigarettes(description="Seller reachable at dealer@example.org")]
    )
    # The analyst ticked "free text checked" by mistake: the scanner still reads every value.
    event = approve(report, free_text_checked=True)
    due = event_fan_out(event_id=event.pk)

    refused = Delivery.objects.get(event=event, partner__name="CEN")
    assert refused.state == DeliveryState.NEEDS_ATTENTION
    assert refused.reason == (
        "personal data found in the rendered message, not sent: e-mail address at data.items[0].description"
    )
    assert refused.next_attempt_at is None and refused.feed_seq is None
    allowed = Delivery.objects.get(event=event, partner__name="National system")
    assert allowed.state == DeliveryState.PENDING
    assert due == [allowed.pk]


# --- linear time, and a bound on what is read ------------------------------------------------------

MEGABYTE = 1_000_000


@pytest.mark.parametrize(
    "text",
    [
        "a" * MEGABYTE,
        "a@" * (MEGABYTE // 2),
        "a." * (MEGABYTE // 2),
        "a@" + "a." * (MEGABYTE // 2),
        "x" * (MEGABYTE // 2) + "@" + "a-" * (MEGABYTE // 4),
        "+1 " * (MEGABYTE // 3),
        "0" * MEGABYTE,
        "AB12" * (MEGABYTE // 4),
        "FR76 " * (MEGABYTE // 5),
    ],
    ids=["a", "a@", "a.", "a@a.", "long-local-part", "+1", "digits", "AB12", "iban-like"],
)
def test_the_scanner_reads_a_megabyte_of_adversarial_text_in_well_under_a_second(text: str) -> None:
    import time

    # CPU time of this process: what the scan costs, not how long other processes held the cores.
    started = time.process_time()
    kinds = scan_text(text, limit=None)  # the patterns themselves, without the length bound
    elapsed = time.process_time() - started
    assert elapsed < 1.0, f"{elapsed:.2f} s of CPU for {len(text)} characters"
    assert "e-mail address" not in kinds


def test_the_linear_patterns_still_find_an_address_after_a_megabyte_of_noise() -> None:
    assert scan_text("a" * MEGABYTE + " write to paul.martin@example.org", limit=None) == ["e-mail address"]
    assert scan_text("a." * 1000 + "@mail.example.org", limit=None) == ["e-mail address"]
    assert scan_text("x@a.b.c.d.e1.org", limit=None) == ["e-mail address"]
    assert scan_text("x@a..org", limit=None) == []
    assert scan_text("x@localhost", limit=None) == []


def test_a_string_longer_than_the_bound_is_refused_unread_with_a_clear_reason() -> None:
    from django.conf import settings

    bound = settings.RILO_SCANNER_MAX_CHARS
    assert scan_text("a" * (bound + 1)) == [f"text too long to check ({bound + 1} characters, limit {bound})"]
    assert scan_text("a" * bound) == []
    reason = refusal_reason(encode({"data": {"items": [{"description": "a" * MEGABYTE}]}}))
    assert reason == (
        "not sent: the rendered message could not be checked for personal data: text too long to check "
        f"({MEGABYTE} characters, limit {bound}) at data.items[0].description"
    )


@pytest.mark.django_db
def test_a_message_with_a_text_too_long_to_check_needs_attention_and_is_not_retried(
    france: Administration, settings: object
) -> None:
    settings.RILO_SCANNER_MAX_CHARS = 500  # type: ignore[attr-defined]
    webhook_partner("CEN", URL)
    # Ticked, so the description goes out and the scanner has to read it.
    event = approve(
        build_report(by=france, reference="FR-1", items=[cigarettes(description="Cigarettes " + "x" * 600)]),
        free_text_checked=True,
    )
    event_fan_out(event_id=event.pk)

    refused = Delivery.objects.get(event=event)
    assert refused.state == DeliveryState.NEEDS_ATTENTION
    assert refused.reason.startswith("not sent: the rendered message could not be checked for personal data")
    assert "too long to check (611 characters, limit 500) at data.items[0].description" in refused.reason
    assert refused.next_attempt_at is None  # needs a person: never retried in a loop
