"""Why a delivery is in its state: one sentence per reason, kept as English text and as parts.

A delivery's ``reason`` is English text (the API and the logs show it as it is); beside it,
``reason_parts`` keeps the same reason as a list of ``[key, {params}]``, so a page can say it again
in its reader's language. Both are built here from the same parts, so they never disagree. Text
that comes from outside (a partner's error answer, a reason an officer typed) stays data inside a
placeholder; a param that is itself a list of parts is said, joined with "; ", in the same language.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext, gettext_noop

Part = list[Any]  # [key, {params}], as stored in JSON

SENTENCES: Mapping[str, str] = {
    "partner_disabled": gettext_noop("partner disabled: %(reason)s"),
    "partner_disabled_plain": gettext_noop("partner disabled"),
    "received_from_partner": gettext_noop("report was received from this partner"),
    "withdrawal_sent": gettext_noop("withdrawal of a sent report"),
    "withdrawn_never_sent": gettext_noop("withdrawn report was never sent to this partner"),
    "withdrawn_before_sent": gettext_noop("withdrawn before it was sent"),
    "duplicate": gettext_noop("report is marked as a duplicate and is never forwarded"),
    "no_policy": gettext_noop("no sharing policy (default deny)"),
    "no_longer_shared": gettext_noop("no longer shared: %(reasons)s"),
    "region_not_partners": gettext_noop("region %(region)s is not %(partner)s's and no agreement with it is in force"),
    "region_no_personal": gettext_noop(
        "the agreement with region %(region)s does not cover personal data, and policy v%(version)s carries it"
    ),
    "region_not_in_policy": gettext_noop("region %(region)s not in policy v%(version)s"),
    "administration_not_in_policy": gettext_noop("administration %(administration)s not in policy v%(version)s"),
    "kind_not_in_policy": gettext_noop("report kind %(kind)s not in policy v%(version)s"),
    "category_not_in_policy": gettext_noop("commodity category %(categories)s not in policy v%(version)s"),
    "categories_not_in_policy": gettext_noop("commodity categories %(categories)s not in policy v%(version)s"),
    "no_items": gettext_noop("report has no items and policy v%(version)s shares only some commodity categories"),
    "below_threshold": gettext_noop(
        "below threshold %(minimum)s %(dimension)s for %(commodity)s (%(total)s %(dimension)s)"
    ),
    "embargo": gettext_noop("embargo until %(until)s"),
    "personal_data": gettext_noop("personal data found in the rendered message, not sent: %(findings)s"),
    "unchecked": gettext_noop("not sent: the rendered message could not be checked for personal data: %(findings)s"),
    "replayed": gettext_noop("replayed at %(at)s"),
    "replayed_since": gettext_noop("replayed at %(at)s (everything since %(since)s)"),
    "already_had": gettext_noop("partner already had it"),
    "already_had_error": gettext_noop("partner already had it: %(error)s"),
    "exhausted": gettext_noop("retry schedule exhausted after %(attempts)s attempts; last: %(error)s"),
    "worker_lost": gettext_noop("retry schedule exhausted; last attempt: worker lost"),
    # Why one attempt failed (DeliveryAttempt.error); what came from outside stays in a placeholder.
    "lease_expired": gettext_noop("worker %(worker)s did not finish within its lease"),
    "endpoint_refused": gettext_noop("endpoint refused at send time: %(detail)s"),
    "no_longer_allowed": gettext_noop("no longer allowed: %(reason)s"),
    "timed_out": gettext_noop("timed out: %(kind)s: %(detail)s"),
    "connection_failed": gettext_noop("connection failed: %(detail)s"),
    "gone": gettext_noop("partner answered 410 Gone: %(detail)s"),
    "http_status": gettext_noop("HTTP %(status)s"),
    "http_status_said": gettext_noop("HTTP %(status)s: %(detail)s"),
    "redirect": gettext_noop("HTTP %(status)s redirect to %(location)s not followed; update the endpoint"),
    "partner_refused": gettext_noop("partner refused the message: HTTP %(status)s: %(detail)s"),
    "no_signing_secret": gettext_noop("the partner has no signing secret; rotate one"),
    "proxy_not_allowed": gettext_noop(
        "a proxy (%(proxy)s) is set in the environment for partner traffic and RILO_PARTNER_PROXY_ALLOWED is off; "
        "nothing was sent"
    ),
    "taxii_unusable": gettext_noop("TAXII collection unusable: %(detail)s"),
    "taxii_processing": gettext_noop("TAXII server still processing the objects; pushing again"),
    "taxii_refused": gettext_noop("TAXII server refused %(count)s objects: %(failures)s"),
    "taxii_held": gettext_noop("TAXII server already holds these objects"),
}


def part(key: str, **params: Any) -> Part:
    """One reason: a known sentence and its placeholders' values."""
    if key not in SENTENCES:
        raise KeyError(key)
    return [key, params]


def _say(parts: Iterable[Part], translate: bool) -> str:
    said = []
    for key, params in parts:
        sentence = SENTENCES.get(key)
        if sentence is None:  # a key this version does not know: show its data rather than nothing
            said.append(", ".join(str(value) for value in params.values()))
            continue
        values = {name: _say(value, translate) if isinstance(value, list) else value for name, value in params.items()}
        said.append((gettext(sentence) if translate else sentence) % values)
    return "; ".join(said)


def english(parts: Iterable[Part]) -> str:
    """The reason as English text (what the API, the logs and ``Delivery.reason`` show)."""
    return _say(parts, translate=False)


def shown(parts: Iterable[Part]) -> str:
    """The reason in the active language (for pages)."""
    return _say(parts, translate=True)


def said(parts: Iterable[Part], text: str) -> str:
    """``parts`` in the active language, or ``text`` (what was stored) when there are none."""
    parts = list(parts)
    return shown(parts) if parts else text


def both(*parts: Part) -> dict[str, Any]:
    """``reason`` and ``reason_parts`` for a delivery's update or creation."""
    return {"reason": english(parts)[:500], "reason_parts": list(parts)}
