"""What a browser posts from the report entry form, for the tests."""

from __future__ import annotations

from typing import Any

PARTS = ("items", "route", "conveyances", "parties")


def management(part: str, total: int, initial: int = 0) -> dict[str, str]:
    return {
        f"{part}-TOTAL_FORMS": str(total),
        f"{part}-INITIAL_FORMS": str(initial),
        f"{part}-MIN_NUM_FORMS": "0",
        f"{part}-MAX_NUM_FORMS": "200",
    }


def entry_post(action: str = "draft", *, variant: str = "full", **overrides: Any) -> dict[str, Any]:
    """A complete full-form POST of one cigarette seizure at Le Havre; ``overrides`` replace single values."""
    data: dict[str, Any] = {
        "action": action,
        "form_variant": variant,
        "kind": "seizure",
        "national_reference": "FR-2025-0001",
        "seizure_date": "2025-03-14",
        "seizure_time": "10:30",
        "country_of_seizure": "FR",
        "customs_office": "Le Havre port",
        "place": "Le Havre",
        "location_type": "seaport",
        "direction": "import",
        "transport_mode": "1",
        "detection_methods": ["xray"],
        "modus_operandi": "Hidden behind furniture",
        "legal_follow_up": "unknown",
        **management("items", 1),
        "items-0-commodity_category": "tobacco",
        "items-0-commodity_type": "cigarettes",
        "items-0-hs_code": "240220",
        "items-0-description": "Cigarettes in master cases",
        "items-0-quantity": "200000",
        "items-0-unit": "STK",
        "items-0-brand": "Marlboro",
        "items-0-genuineness": "counterfeit",
        "items-0-country_of_manufacture": "AE",
        **management("route", 2),
        "route-0-role": "origin",
        "route-0-country": "AE",
        "route-1-role": "destination",
        "route-1-country": "GB",
        **management("conveyances", 1),
        "conveyances-0-transport_mode": "1",
        "conveyances-0-identifier_type": "container",
        "conveyances-0-identifier": "MSCU1234565",
        "conveyances-0-flag_country": "PA",
        **management("parties", 1),
        "parties-0-kind": "person",
        "parties-0-role": "courier",
        "parties-0-family_name": "Dupont",
        "parties-0-given_names": "Jean",
        "parties-0-nationality": "FR",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
