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


def browser_post(page: str, form_id: str, action: str) -> dict[str, list[str]]:
    """What a browser would post from the form ``form_id`` of ``page``, pressing the button ``action``."""
    from html.parser import HTMLParser

    class _Form(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.inside = False
            self.data: dict[str, list[str]] = {}
            self.select: str | None = None
            self.textarea: str | None = None
            self.text = ""

        def add(self, name: str, value: str) -> None:
            self.data.setdefault(name, []).append(value)

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = {k: v or "" for k, v in attrs}
            if tag == "form":
                self.inside = a.get("id") == form_id
            if not self.inside or ("name" not in a and tag not in ("option",)):
                return
            if tag == "input":
                kind = a.get("type", "text")
                if kind in ("checkbox", "radio"):
                    if "checked" in a:
                        self.add(a["name"], a.get("value", "on"))
                elif kind not in ("submit", "button", "file"):
                    self.add(a["name"], a.get("value", ""))
            elif tag == "select":
                self.select = a["name"]
                self.data.setdefault(self.select, [])
            elif tag == "option" and self.select and "selected" in a:
                self.add(self.select, a.get("value", ""))
            elif tag == "textarea":
                self.textarea, self.text = a["name"], ""

        def handle_endtag(self, tag: str) -> None:
            if tag == "form":
                self.inside = False
            elif tag == "select":
                self.select = None
            elif tag == "textarea" and self.textarea:
                self.add(self.textarea, self.text.removeprefix("\n"))
                self.textarea = None

        def handle_data(self, data: str) -> None:
            if self.textarea:
                self.text += data

    parser = _Form()
    parser.feed(page)
    return {**{k: v for k, v in parser.data.items() if v}, "action": [action]}
