"""Sharing policies: validating a version, deciding whether a report goes to a partner, and what of it.

Everything here is pure (a snapshot and a policy in, a decision or a document out) except the
validation of codes against the vocabularies. The same document feeds every adapter and, later,
the pull feed, so push and pull always agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from apps.reference.models import CommodityCategory, CommodityType, Unit
from apps.reports.choices import ReportKind
from apps.tenancy.models import Administration, Region

from .choices import DeliveryMode, DeliveryState, EventType, Generalisation, PartnerState
from .models import PartnerSystem, SharingPolicy
from .reasons import Part, english, part
from .snapshot import SECTION_FIELDS, field_catalogue

ANY = "*"
MAX_EMBARGO = dt.timedelta(days=365)
THRESHOLD_DIMENSIONS = frozenset(d.value for d in Unit.Dimension if d != Unit.Dimension.OTHER)


# --- validation of a new version -------------------------------------------------------------


def _codes(errors: dict[str, list[str]], name: str, values: Any, known: Iterable[str] | None) -> list[str]:
    """The codes listed for the policy field ``name`` (its messages are shown beside it: they need not name it)."""
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        errors.setdefault(name, []).append(_('List the codes (or "*" for all).'))
        return []
    if ANY in values and len(values) > 1:
        errors.setdefault(name, []).append(_('"*" already means all of them; list nothing beside it.'))
    if known is not None:
        known_set = set(known)
        for value in values:
            if value != ANY and value not in known_set:
                errors.setdefault(name, []).append(_("Unknown code %(code)s.") % {"code": repr(value)})
    return values


def validate_policy(
    *,
    partner: PartnerSystem,
    receivable: Mapping[str, bool],
    personal_data: bool,
    regions: Any,
    administrations: Any,
    commodity_categories: Any,
    report_kinds: Any,
    thresholds: Any,
    embargo: dt.timedelta,
    fields: Any,
    generalisations: Any,
) -> None:
    """Raise a ``ValidationError`` keyed by policy field, naming every problem, or return quietly.

    Regions and administrations are those the partner may receive (``receivable``, by region code:
    its own RILO's and those of agreements in force): "*" means all of them.
    """
    errors: dict[str, list[str]] = {}
    if personal_data and not partner.personal_data_allowed:
        errors["personal_data"] = [
            _("%(partner)s may not receive personal data; this policy cannot include it.") % {"partner": partner.name}
        ]
    known_regions = set(Region.objects.values_list("code", flat=True))
    for code in _codes(errors, "regions", regions, known_regions):
        if code != ANY and code in known_regions and code not in receivable:
            errors.setdefault("regions", []).append(
                _(
                    "%(partner)s may not receive reports of region %(region)s: it needs an agreement approved "
                    "by that region's administrators."
                )
                % {"partner": partner.name, "region": code}
            )
    known_administrations = dict(Administration.objects.values_list("code", "region__code"))
    for code in _codes(errors, "administrations", administrations, known_administrations):
        if code != ANY and code in known_administrations and known_administrations[code] not in receivable:
            errors.setdefault("administrations", []).append(
                _(
                    "%(partner)s may not receive reports of administration %(administration)s (region %(region)s): "
                    "it needs an agreement approved by that region's administrators."
                )
                % {"partner": partner.name, "administration": code, "region": known_administrations[code]}
            )
    _codes(
        errors,
        "commodity_categories",
        commodity_categories,
        CommodityCategory.objects.values_list("code", flat=True),
    )
    _codes(errors, "report_kinds", report_kinds, [k.value for k in ReportKind])

    if not isinstance(thresholds, list):
        errors["thresholds"] = [_("Thresholds are a list.")]
    else:
        commodities = set(CommodityCategory.objects.values_list("code", flat=True)) | set(
            CommodityType.objects.values_list("code", flat=True)
        )
        for number, threshold in enumerate(thresholds, start=1):
            if not isinstance(threshold, dict):
                errors.setdefault("thresholds", []).append(
                    _("Threshold %(number)d is not an object.") % {"number": number}
                )
                continue
            if threshold.get("commodity") not in commodities:
                errors.setdefault("thresholds", []).append(
                    _("Threshold %(number)d: unknown commodity category or type %(commodity)s.")
                    % {"number": number, "commodity": repr(threshold.get("commodity"))}
                )
            if threshold.get("dimension") not in THRESHOLD_DIMENSIONS:
                errors.setdefault("thresholds", []).append(
                    _("Threshold %(number)d: the dimension must be one of %(dimensions)s.")
                    % {"number": number, "dimensions": ", ".join(sorted(THRESHOLD_DIMENSIONS))}
                )
            try:
                minimum = Decimal(str(threshold.get("min")))
                if minimum <= 0:
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                errors.setdefault("thresholds", []).append(
                    _("Threshold %(number)d: min must be a positive number.") % {"number": number}
                )

    if not isinstance(embargo, dt.timedelta) or embargo < dt.timedelta(0) or embargo > MAX_EMBARGO:
        errors["embargo"] = [_("The embargo is a duration between 0 and 365 days.")]

    catalogue = field_catalogue()
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        errors["fields"] = [_('List the field paths to share, e.g. "report.seizure_date".')]
        fields = []
    for path in fields:
        info = catalogue.get(path)
        if info is None:
            errors.setdefault("fields", []).append(_("Unknown field %(path)s.") % {"path": repr(path)})
        elif not personal_data and not info.shareable_without_personal_data:
            errors.setdefault("fields", []).append(
                _("%(path)s is personal data; a policy without personal data cannot keep it.") % {"path": path}
            )

    if not isinstance(generalisations, dict):
        errors["generalisations"] = [_("Generalisations map a field path to month, country or bucket.")]
    else:
        for path, method in generalisations.items():
            info = catalogue.get(path)
            if path not in fields:
                errors.setdefault("generalisations", []).append(
                    _("%(path)s is generalised but not in the shared fields.") % {"path": path}
                )
            elif info is not None and method not in info.generalisations:
                possible = ", ".join(sorted(info.generalisations)) or _("none")
                errors.setdefault("generalisations", []).append(
                    _("%(path)s cannot be generalised to %(method)s (possible: %(possible)s).")
                    % {"path": path, "method": repr(method), "possible": possible}
                )
    if errors:
        raise ValidationError(errors)


# --- deciding ----------------------------------------------------------------------------------


@dataclass
class Decision:
    """What fan-out does for one partner: the delivery's first state, its mode and the reason why."""

    state: str
    mode: str = DeliveryMode.REPORT
    reason: str = ""
    not_before: dt.datetime | None = None
    kept_items: list[int] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)  # the reason, to say again in a reader's language


def _decision(state: str, *parts: Part, mode: str = DeliveryMode.REPORT) -> Decision:
    return Decision(state, mode=mode, reason=english(parts), parts=list(parts))


def _listed(values: list[str], value: str | None) -> bool:
    return ANY in values or (value is not None and value in values)


def _number(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 100000, 2.5."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def select_items(snapshot: Mapping[str, Any], policy: SharingPolicy) -> tuple[list[int], list[Part]]:
    """Indexes of the items the policy lets through, and why the others were left out."""
    categories = list(policy.commodity_categories)
    items = list(snapshot.get("items") or [])
    kept = [i for i, item in enumerate(items) if _listed(categories, item.get("commodity_category"))]
    reasons: list[Part] = []
    refused = sorted({str(items[i].get("commodity_category")) for i in range(len(items)) if i not in kept})
    if refused:
        key = "categories_not_in_policy" if len(refused) > 1 else "category_not_in_policy"
        reasons.append(part(key, categories=", ".join(refused), version=policy.version))
    for threshold in policy.thresholds:
        commodity = threshold["commodity"]
        dimension = threshold["dimension"]
        minimum = Decimal(str(threshold["min"]))
        matching = [
            i for i in kept if commodity in (items[i].get("commodity_type"), items[i].get("commodity_category"))
        ]
        if not matching:
            continue
        total = Decimal(0)
        for i in matching:
            quantity = items[i].get("normalised_quantity")
            if quantity is not None and items[i].get("normalised_dimension") == dimension:
                total += Decimal(str(quantity))
        if total < minimum:
            kept = [i for i in kept if i not in matching]
            reasons.append(
                part(
                    "below_threshold",
                    minimum=_number(minimum),
                    dimension=dimension,
                    commodity=commodity,
                    total=_number(total),
                )
            )
    return kept, reasons


def report_filter_reasons(snapshot: Mapping[str, Any], policy: SharingPolicy) -> tuple[list[int], list[Part]]:
    """The kept items and every reason the policy refuses the report (none: it passes)."""
    report = snapshot["report"]
    version = policy.version
    reasons = []
    if not _listed(list(policy.regions), report.get("region")):
        reasons.append(part("region_not_in_policy", region=str(report.get("region")), version=version))
    if not _listed(list(policy.administrations), report.get("administration")):
        reasons.append(
            part("administration_not_in_policy", administration=str(report.get("administration")), version=version)
        )
    if not _listed(list(policy.report_kinds), report.get("kind")):
        reasons.append(part("kind_not_in_policy", kind=str(report.get("kind")), version=version))
    kept, item_reasons = select_items(snapshot, policy)
    if not kept and snapshot.get("items"):
        reasons.extend(item_reasons)
    elif not snapshot.get("items") and ANY not in policy.commodity_categories:
        reasons.append(part("no_items", version=version))
    return kept, reasons


def region_reason(
    snapshot: Mapping[str, Any], partner: PartnerSystem, policy: SharingPolicy | None, receivable: Mapping[str, bool]
) -> str:
    """Why the partner may not receive a report of the snapshot's region at all ("" if it may), in English."""
    refusal = region_refusal(snapshot, partner, policy, receivable)
    return english([refusal]) if refusal else ""


def region_refusal(
    snapshot: Mapping[str, Any], partner: PartnerSystem, policy: SharingPolicy | None, receivable: Mapping[str, bool]
) -> Part | None:
    """Why the partner may not receive a report of the snapshot's region at all (None if it may).

    ``receivable`` maps the region codes the partner may receive (its own RILO's, and those of
    agreements in force) to whether personal data may come too. Whatever the policy lists, a report
    of any other region never passes: ``"*"`` in a policy means "every region it may receive".
    """
    region = snapshot["report"].get("region")
    if region not in receivable:
        return part("region_not_partners", region=str(region), partner=partner.name)
    if partner.personal_data_allowed and policy is not None and policy.personal_data and not receivable[region]:
        return part("region_no_personal", region=str(region), version=policy.version)
    return None


def decide(
    *,
    snapshot: Mapping[str, Any],
    partner: PartnerSystem,
    policy: SharingPolicy | None,
    previously_reached: bool,
    receivable: Mapping[str, bool],
    currently_duplicate: bool = False,
) -> Decision:
    """Deliver (which items, from when) or skip (why) one event for one partner.

    ``receivable``: the regions the partner may receive (see :func:`region_reason`).
    """
    if partner.state == PartnerState.DISABLED:
        if said := partner.state_reason.rstrip(": "):
            return _decision(DeliveryState.PARTNER_DISABLED, part("partner_disabled", reason=said))
        return _decision(DeliveryState.PARTNER_DISABLED, part("partner_disabled_plain"))
    if snapshot.get("source_partner_id") == partner.pk:
        # Nothing about a report ever goes back to the partner it came from, not even a tombstone.
        return _decision(DeliveryState.SKIPPED_BY_POLICY, part("received_from_partner"))
    event_type = snapshot["event"]["type"]
    if event_type == EventType.WITHDRAWN:
        if previously_reached:
            return _decision(DeliveryState.PENDING, part("withdrawal_sent"), mode=DeliveryMode.TOMBSTONE)
        return _decision(DeliveryState.SKIPPED_BY_POLICY, part("withdrawn_never_sent"))

    reasons: list[Part] = []
    kept: list[int] = []
    if snapshot.get("duplicate_of") or currently_duplicate:
        reasons.append(part("duplicate"))
    elif refusal := region_refusal(snapshot, partner, policy, receivable):
        reasons.append(refusal)
    elif policy is None:
        reasons.append(part("no_policy"))
    else:
        kept, reasons = report_filter_reasons(snapshot, policy)

    if reasons:
        if previously_reached:
            # The partner holds an earlier version that may no longer be shared: retract it.
            return _decision(
                DeliveryState.PENDING, part("no_longer_shared", reasons=reasons), mode=DeliveryMode.TOMBSTONE
            )
        return _decision(DeliveryState.SKIPPED_BY_POLICY, *reasons)

    assert policy is not None  # noqa: S101 (narrowing: no reasons means a policy decided)
    decision = Decision(DeliveryState.PENDING, kept_items=kept)
    if policy.embargo:
        approved_at = snapshot["report"].get("approved_at") or snapshot["event"]["at"]
        decision.not_before = dt.datetime.fromisoformat(approved_at) + policy.embargo
        decision.parts = [part("embargo", until=decision.not_before.isoformat(timespec="seconds"))]
        decision.reason = english(decision.parts)
    return decision


# --- rendering ---------------------------------------------------------------------------------


def _month(value: Any) -> Any:
    return value[:7] if isinstance(value, str) and len(value) >= 7 else value


def _bucket(value: Any) -> Any:
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    if number <= 0:
        return {"gte": "0", "lt": "1"}
    exponent = number.adjusted()
    return {"gte": _number(Decimal(10) ** exponent), "lt": _number(Decimal(10) ** (exponent + 1))}


def _generalise(
    section: str, key: str, value: Any, method: str, row: Mapping[str, Any], report: Mapping[str, Any]
) -> Any:
    if method == Generalisation.MONTH:
        return _month(value)
    if method == Generalisation.BUCKET:
        return _bucket(value)
    if method == Generalisation.COUNTRY:
        return row.get("country") if section == "route" else report.get("country_of_seizure")
    return value


def withheld_free_text(snapshot: Mapping[str, Any], policy: SharingPolicy, *, personal_allowed: bool) -> list[str]:
    """The free-text fields ``policy`` names but a message about ``snapshot`` leaves out, because the policy
    carries no personal data and the analyst approving this version did not check the free text.

    A place forced to its country is not withheld (its country is sent). Empty for a personal policy.
    """
    if (personal_allowed and policy.personal_data) or snapshot.get("free_text_checked") is True:
        return []
    catalogue = field_catalogue()
    return [
        path
        for path in policy.fields
        if path in catalogue and catalogue[path].reviewable and not catalogue[path].forced
    ]


def render_document(
    snapshot: Mapping[str, Any],
    policy: SharingPolicy | None,
    *,
    mode: str,
    personal_allowed: bool,
) -> dict[str, Any]:
    """The policy-filtered message about one event: the same for every adapter and the pull feed.

    A tombstone carries identifiers only. Otherwise only allowed fields appear, generalised as the
    policy says, only kept items; personal fields never appear unless both the partner and the
    policy version allow them. Without personal data, reviewable free text (descriptions, brands,
    attributes, customs office) appears only if the snapshot says the approving analyst checked it,
    and a place always goes out as its country.
    """
    event = snapshot["event"]
    document: dict[str, Any] = {
        "report_uuid": snapshot["report_uuid"],
        "version": snapshot["version"],
        "event": event["type"],
        "event_id": event["uuid"],
        "event_at": event["at"],
        "policy_version": policy.version if policy is not None else None,
    }
    if mode == DeliveryMode.TOMBSTONE:
        document["withdrawn"] = True
        if event["type"] != EventType.WITHDRAWN:
            document["reason"] = "no_longer_shared"
        elif snapshot.get("duplicate_of"):
            document["reason"] = "duplicate"
            document["duplicate_of"] = snapshot["duplicate_of"]
        else:
            document["reason"] = "withdrawn"
        return document
    if policy is None:
        raise ValueError("A report message needs a policy.")
    personal = personal_allowed and policy.personal_data
    catalogue = field_catalogue()
    withheld = set(withheld_free_text(snapshot, policy, personal_allowed=personal_allowed))
    allowed = {
        path
        for path in policy.fields
        if path in catalogue
        and path not in withheld
        and (personal or not catalogue[path].personal or catalogue[path].reviewable)
    }
    generalisations: dict[str, str] = dict(policy.generalisations)
    if not personal:
        generalisations.update({path: catalogue[path].forced for path in allowed if catalogue[path].forced})
    kept, _ = report_filter_reasons(snapshot, policy)
    report = snapshot["report"]

    def project(section: str, row: Mapping[str, Any]) -> dict[str, Any]:
        out = {}
        for key in SECTION_FIELDS[section]:
            path = f"{section}.{key}"
            if path not in allowed:
                continue
            value = row.get(key)
            if path in generalisations:
                value = _generalise(section, key, value, generalisations[path], row, report)
            out[key] = value
        return out

    report_part = project("report", report)
    if report_part:
        document["report"] = report_part
    rows_by_section = {
        "items": [snapshot["items"][i] for i in kept],
        "route": snapshot.get("route") or [],
        "conveyances": snapshot.get("conveyances") or [],
        "parties": snapshot.get("parties") or [],
    }
    for section, rows in rows_by_section.items():
        if any(path.startswith(section + ".") for path in allowed):
            document[section] = [project(section, row) for row in rows]
    return document
