"""The last check before a message leaves for a partner that may not receive personal data.

Whatever the policy and renderer did, :func:`scan` reads the rendered bytes again and reports:

- any key the reports app's catalogue marks personal (``parties.family_name``,
  ``conveyances.identifier``, ``report.modus_operandi``…), wherever it appears, except free text
  a reviewer can clear (descriptions, brands…: the renderer sends it only once checked);
- in every string value, things that look like personal data typed into free text: e-mail
  addresses, passport-like numbers, IBAN-like numbers (checksum verified) and phone numbers;
- the same in every key (:func:`scan_keys`): commodity attributes are named by whoever typed them.

Findings name the kind and the place (a JSON path), never the value itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings

from apps.core.caches import process_cache_register

from .reasons import Part, english, part
from .snapshot import SECTION_FIELDS, is_never_shared_without_personal_data

# Every pattern below runs in linear time: each starts only where its first characters and its
# lookbehind allow (a lookbehind after a literal first character lets the engine skip ahead), so a
# long run of one class is not re-entered at every position; its repetitions are bounded or
# possessive, so a failed match never re-splits what it consumed.
# E-mail: only the existence of "x@label.(label.)*xx" matters, so one local-part character
# before the "@" is enough; each domain label is taken whole (possessive) with its dot.
EMAIL = re.compile(r"[A-Za-z0-9._%+-]@(?:[A-Za-z0-9-]++\.)+[A-Za-z]{2}")
# ICAO-like document numbers: one or two letters then 6-8 digits (AB1234567), or 12AB34567.
PASSPORT = re.compile(r"(?<![A-Za-z0-9])(?:[A-Z]{1,2}[0-9]{6,8}|[0-9]{2}[A-Z]{2}[0-9]{5})(?![A-Za-z0-9])")
IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]){11,30}+(?![A-Za-z0-9])")
PHONE_INTERNATIONAL = re.compile(
    r"(?:\+(?<![\w+]\+)|00(?<![\w+]00))[1-9][0-9]{0,2}(?>[ .\-]?\(?[0-9]{1,4}\)?){2,6}+(?![\w])"
)
# Identifiers we mint (report and event UUIDs, STIX ids) are never personal; their digit runs
# could look like phone numbers, so they are blanked before the patterns run.
UUID = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
PHONE_NATIONAL = re.compile(r"0(?<![\w.\-]0)[1-9](?:[ .\-]?[0-9]{2}){4}(?![\w])")
TOO_LONG = "text too long to check"
_DIGIT = re.compile(r"[0-9]")

# Keys whose values are identifiers or timestamps we generate; they cannot hold typed text.
STRUCTURAL_KEYS = frozenset(
    {
        "id",
        "uuid",
        "report_uuid",
        "event_id",
        "event_at",
        "created",
        "modified",
        "published",
        "spec_version",
        "type",
        "x_rilo_report_uuid",
        "x_rilo_event_id",
    }
)


@dataclass(frozen=True)
class Finding:
    """One thing that looks personal, and where."""

    kind: str
    where: str

    def __str__(self) -> str:
        return f"{self.kind} at {self.where}"


@cache
def _personal_keys() -> tuple[frozenset[tuple[str, str]], frozenset[str]]:
    personal = is_never_shared_without_personal_data
    pairs = {(section, key) for section, keys in SECTION_FIELDS.items() for key in keys if personal(section, key)}
    # A key name that is personal in one section and nowhere used otherwise is personal anywhere.
    other_keys = {key for section, keys in SECTION_FIELDS.items() for key in keys if not personal(section, key)}
    anywhere = {key for _, key in pairs if key not in other_keys}
    return frozenset(pairs), frozenset(anywhere)


process_cache_register("exchange.scanner.personal_keys", _personal_keys.cache_clear)


def _iban_checksum_ok(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def _phone_ok(candidate: str) -> bool:
    digits = sum(ch.isdigit() for ch in candidate)
    return 8 <= digits <= 15


def max_text_chars() -> int:
    """The longest string the scanner reads (``RILO_SCANNER_MAX_CHARS``); longer ones are refused unread."""
    return int(settings.RILO_SCANNER_MAX_CHARS)


def scan_text(text: str, *, limit: int | None = -1) -> list[str]:
    """The kinds of personal-looking things in one string.

    A string longer than ``limit`` characters (by default ``RILO_SCANNER_MAX_CHARS``; ``None``: no
    limit) is not read: it is reported as too long to check, so the message needs a person's attention.
    """
    bound = max_text_chars() if limit == -1 else limit
    if bound is not None and len(text) > bound:
        return [f"{TOO_LONG} ({len(text)} characters, limit {bound})"]
    kinds = []
    if "@" in text and EMAIL.search(text):
        kinds.append("e-mail address")
    if not _DIGIT.search(text):
        return kinds  # every other kind holds digits
    if "-" in text:
        text = UUID.sub(" ", text)
    if PASSPORT.search(text):
        kinds.append("passport-like number")
    if any(_iban_checksum_ok(m.group(0)) for m in IBAN.finditer(text)):
        kinds.append("IBAN-like number")
    if any(_phone_ok(m.group(0)) for m in PHONE_INTERNATIONAL.finditer(text)) or PHONE_NATIONAL.search(text):
        kinds.append("phone number")
    return kinds


def _walk(
    value: Any, path: str, section: str | None, key: str | None
) -> Iterator[tuple[str, str | None, str | None, Any]]:
    """Every dict entry of a JSON tree: (path, enclosing section, key, value); list items keep their key."""
    if isinstance(value, dict):
        for child_key, child in value.items():
            child_path = f"{path}.{child_key}" if path else child_key
            child_section = child_key if child_key in SECTION_FIELDS else section
            yield child_path, section, child_key, child
            yield from _walk(child, child_path, child_section, child_key)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            child_path = f"{path}[{index}]"
            if not isinstance(child, dict | list):
                yield child_path, section, key, child
            yield from _walk(child, child_path, section, key)


def scan(payload: bytes) -> list[Finding]:
    """Everything personal-looking in a rendered JSON message (webhook body or STIX bundle)."""
    try:
        document = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return [Finding("unreadable payload (not JSON)", "$")]
    pairs, anywhere = _personal_keys()
    findings: list[Finding] = []
    for path, section, key, value in _walk(document, "", None, None):
        if key is None:
            continue
        direct = not path.endswith("]")
        if direct and (key in anywhere or (section, key) in pairs):
            findings.append(Finding(f"personal field {section + '.' if section else ''}{key}", path))
            continue
        if isinstance(value, str) and key not in STRUCTURAL_KEYS and not key.endswith(("_ref", "_refs")):
            findings.extend(Finding(kind, path) for kind in scan_text(value))
    findings.extend(scan_keys(document))
    return findings


def scan_keys(document: Any) -> list[Finding]:
    """Personal-looking things in the keys of a JSON tree (an attribute named with an e-mail address…)."""
    findings: list[Finding] = []
    pending: list[tuple[Any, str]] = [(document, "")]
    while pending:
        value, path = pending.pop()
        if isinstance(value, dict):
            for key, child in value.items():
                kinds = scan_text(str(key))
                findings.extend(Finding(f"{kind} in a key", path or "$") for kind in kinds)
                shown = "(a key)" if kinds else str(key)  # a finding never shows the value, keys included
                pending.append((child, f"{path}.{shown}" if path else shown))
        elif isinstance(value, list):
            pending.extend((child, f"{path}[{index}]") for index, child in enumerate(value))
    return sorted(findings, key=lambda finding: (finding.where, finding.kind))


def refusal_part(payload: bytes) -> Part | None:
    """Why ``payload`` may not go to a non-personal partner (as a reason part), or None if it is clean."""
    findings = scan(payload)
    if not findings:
        return None
    shown = "; ".join(str(f) for f in findings[:5])
    more = f" and {len(findings) - 5} more" if len(findings) > 5 else ""
    key = "unchecked" if any(f.kind.startswith(TOO_LONG) for f in findings) else "personal_data"
    return part(key, findings=shown + more)


def refusal_reason(payload: bytes) -> str:
    """A human reason (English) to refuse sending ``payload`` to a non-personal partner, or "" if it is clean."""
    refusal = refusal_part(payload)
    return english([refusal]) if refusal else ""
