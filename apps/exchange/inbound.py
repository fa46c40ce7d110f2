"""Reports pushed in by a peer (a peer RILO or a national system): checked, stored once, never echoed back.

A peer is a :class:`PartnerSystem` that names the administration it speaks for
(``source_administration``), holds the secret it signs with (``inbound_secret_encrypted``) and has
an account (``account``) whose API token authenticates its requests. The message is exactly what
this system's own webhook adapter sends (``{"type": "report.<event>", "timestamp", "data":
<rendered document>}``), signed per Standard Webhooks, so two instances can be each other's
partners.

Stored as an APPROVED report of the peer's administration with its :class:`ReportProvenance`;
idempotent by report UUID and version: the same version again changes nothing, an older one is
refused (409, which a sender of this system records as "duplicate acknowledged"), a newer one
updates the report (a correction), a tombstone withdraws it. Each stored change goes through
the outbox like any approval, and fan-out never sends a report back to the partner it came from.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from apps.accounts.roles import Role
from apps.core.actor import Actor
from apps.core.exceptions import ApplicationError, Conflict, NotFound, PermissionDenied
from apps.reports import catalogue
from apps.reports.choices import FormVariant, PartyKind, ReportStatus
from apps.reports.errors import paths_of, wire_key
from apps.reports.models import Conveyance, Party, Report, ReportItem, RouteCountry
from apps.reports.services import report_receive_from_partner
from apps.reports.services.steps import operation_among, operations_attachable
from apps.reports.validation import (
    Errors,
    clean_conveyance,
    clean_item,
    clean_party,
    clean_report_fields,
    clean_route_step,
)

from . import crypto
from .choices import EventType, PartnerState
from .models import PartnerSystem, ReportProvenance
from .services import outbox_record
from .snapshot import DERIVED_NON_PERSONAL

EVENT_TYPES = {f"report.{kind}": kind for kind in EventType.values}
MAX_ROWS = 500  # per section: more items, route steps, conveyances or parties than any seizure has
# Keys of a rendered document that this system derives itself (never input): per section, the fields the
# services keep that the snapshot carries, and the snapshot's derived keys.
DERIVED_KEYS: dict[str, frozenset[str]] = {
    part.wire_key: frozenset(catalogue.names(part.name, editable=False, shared=True))
    | DERIVED_NON_PERSONAL.get(part.wire_key, frozenset())
    for part in catalogue.PARTS.values()
}
PART_MODELS: dict[str, Any] = {
    "items": (ReportItem, clean_item),
    "route": (RouteCountry, clean_route_step),
    "conveyances": (Conveyance, clean_conveyance),
    "parties": (Party, clean_party),
}


class SignatureRejected(ApplicationError):
    """The message's Standard Webhooks signature is missing, wrong or stale (HTTP 401)."""

    status = 401
    code = "invalid_signature"


@dataclass
class InboundMessage:
    """A checked message: which report, which version, and the cleaned values to store."""

    report_uuid: uuid.UUID
    version: int
    event: str
    tombstone: bool
    remote_reference: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    parts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


@dataclass
class InboundResult:
    """What became of a message: ``created``, ``updated``, ``unchanged``, ``withdrawn`` or ``ignored``."""

    outcome: str
    message: str
    report: Report | None
    provenance: ReportProvenance | None
    skipped: list[str] = field(default_factory=list)

    @property
    def created(self) -> bool:
        return self.outcome == "created"


# --- who is pushing, and did they sign it -------------------------------------------------------


def inbound_peer(*, user: Actor) -> PartnerSystem:
    """The peer an authenticated account pushes reports for; refused unless fully configured."""
    if user.role != Role.PARTNER_SYSTEM or not user.has_perm("exchange.add_reportprovenance"):
        raise PermissionDenied(_("Only a partner system's account may push reports in."))
    partner = PartnerSystem.objects.select_related("source_administration").filter(account_id=user.pk).first()
    if partner is None:
        raise PermissionDenied(_("This account is not linked to a partner system."))
    if partner.state == PartnerState.DISABLED:
        raise PermissionDenied(_("%(name)s is disabled.") % {"name": partner.name})
    if partner.source_administration is None or not partner.inbound_secret_encrypted:
        raise PermissionDenied(
            f"{partner.name} is not set up to push reports in: it needs the administration it speaks for "
            "and its signing secret (ask the RILO administrators)."
        )
    return partner


def inbound_verify(*, partner: PartnerSystem, body: bytes, headers: Mapping[str, str]) -> None:
    """Check the Standard Webhooks signature of ``body`` with the peer's secret (5 minutes' tolerance)."""
    secret = crypto.decrypt(partner.inbound_secret_encrypted)
    try:
        Webhook(secret).verify(body, dict(headers), json_parse=False)
    except (WebhookVerificationError, ValueError, UnicodeDecodeError) as error:
        reason = str(error) or error.__class__.__name__
        raise SignatureRejected(
            gettext("The webhook signature is missing, invalid or stale (%(reason)s); nothing was stored.")
            % {"reason": reason}
        ) from error


# --- reading the message -------------------------------------------------------------------------


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return value


def inbound_parse(message: Any, *, partner: PartnerSystem, actor: Actor) -> InboundMessage:
    """Check and clean a message from ``partner`` (``actor``: its account); ``ValidationError`` keyed by the wire
    path of each bad field. A joint operation is one a report of the partner's administration may be attached
    to (or the one the report it sent with this UUID has): any other code is answered as a code that names none,
    so a peer never tells another region's operations from made-up codes."""
    problems: dict[str, list[str]] = {}
    if not isinstance(message, dict):
        raise ValidationError({"non_field_errors": [gettext("The body is a JSON object: {type, timestamp, data}.")]})
    event = EVENT_TYPES.get(message.get("type"))  # type: ignore[arg-type]
    if event is None:
        problems["type"] = [gettext("One of %(types)s.") % {"types": ", ".join(sorted(EVENT_TYPES))}]
    data = message.get("data")
    if not isinstance(data, dict):
        problems["data"] = [gettext("The rendered report: an object.")]
        raise ValidationError(problems)
    try:
        report_uuid = uuid.UUID(str(data.get("report_uuid")))
    except ValueError:
        problems["data.report_uuid"] = [gettext("The report's UUID.")]
    version = _positive_int(data.get("version"))
    if version is None:
        problems["data.version"] = [gettext("The report's version: a whole number of at least 1.")]
    tombstone = bool(data.get("withdrawn")) or event == EventType.WITHDRAWN
    if problems:
        raise ValidationError(problems)
    assert event is not None and version is not None  # noqa: S101 (narrowing: checked above)
    parsed = InboundMessage(report_uuid=report_uuid, version=version, event=event, tombstone=tombstone)
    if tombstone:
        return parsed

    report = data.get("report")
    if not isinstance(report, dict):
        raise ValidationError(
            {"data.report": [gettext("The report's fields: an object (at least seizure_date, country).")]}
        )
    errors = Errors()
    fields = {k: v for k, v in report.items() if k not in DERIVED_KEYS["report"]}
    parsed.remote_reference = str(fields.get("national_reference") or "")[:200]
    for required in ("seizure_date", "country_of_seizure"):
        fields.setdefault(required, None)
    fields.pop("national_reference", None)  # ours is chosen when storing (unique per administration)
    # The report this partner sent with that UUID, if any: the operation it has already stays attachable.
    held = (
        Report.objects.filter(uuid=report_uuid, provenance__source_partner=partner).first()
        if fields.get("operation") not in (None, "")
        else None
    )
    operations = operations_attachable(actor=actor, administration=partner.source_administration, report=held)
    given, operation = operation_among(operations, fields, errors)
    parsed.fields = clean_report_fields(given, errors=errors)
    if operation is not None:
        parsed.fields["operation"] = operation
    for section, (_model, cleaner) in PART_MODELS.items():
        if section not in data:
            continue
        rows = data[section]
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            problems[f"data.{section}"] = ["A list of objects."]
            continue
        if len(rows) > MAX_ROWS:
            problems[f"data.{section}"] = [
                ngettext("At most %(count)d row.", "At most %(count)d rows.", MAX_ROWS) % {"count": MAX_ROWS}
            ]
            continue
        cleaned: list[dict[str, Any]] = []
        for index, row in enumerate(rows):
            values = {k: v for k, v in row.items() if k not in DERIVED_KEYS[section]}
            if section == "parties" and not _identifies(values):
                # A non-personal partner gets role, nationality, age band: not a person we can record.
                parsed.skipped.append(f"data.parties[{index}]: no name, not stored")
                continue
            cleaned.append(cleaner(values, index=len(cleaned), errors=errors))
        parsed.parts[section] = cleaned
    problems.update({wire_key(path): messages for path, messages in errors.paths.items()})
    if problems:
        raise ValidationError(problems)
    parsed.fields.setdefault("form_variant", FormVariant.SIMPLIFIED)
    return parsed


def _identifies(party: Mapping[str, Any]) -> bool:
    if str(party.get("kind") or PartyKind.PERSON).lower() == PartyKind.COMPANY:
        return bool(str(party.get("company_name") or "").strip())
    return bool(str(party.get("family_name") or "").strip() or str(party.get("given_names") or "").strip())


# --- storing -------------------------------------------------------------------------------------


def _lock_report_uuid(report_uuid: uuid.UUID) -> None:
    """Serialise concurrent messages about one report (the row may not exist yet to lock it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"inbound:{report_uuid}"])


def _store(
    *, partner: PartnerSystem, report: Report | None, parsed: InboundMessage, actor: Actor, withdrawn: bool = False
) -> Report:
    """The report written as decided; the domain's refusals (an operation the peer may not attach…) by wire path."""
    try:
        return report_receive_from_partner(
            partner=partner,
            report=report,
            report_uuid=parsed.report_uuid,
            version=parsed.version,
            fields=parsed.fields,
            parts=parsed.parts,
            remote_reference=parsed.remote_reference,
            withdrawn=withdrawn,
            actor=actor,
        )
    except ValidationError as error:
        raise ValidationError({wire_key(path): messages for path, messages in paths_of(error).items()}) from error


def _nothing_to_withdraw(parsed: InboundMessage) -> InboundResult:
    message = gettext("No report %(uuid)s here: nothing to withdraw.") % {"uuid": parsed.report_uuid}
    return InboundResult("ignored", message, None, None)


def _ids(report: Report) -> dict[str, object]:
    """What the answers' sentences name a report by (its UUID and version: codes, never its content)."""
    return {"uuid": report.uuid, "version": report.version}


@transaction.atomic
def inbound_report_receive(*, partner: PartnerSystem, message: Any, actor: Actor) -> InboundResult:
    """Store a peer's message about one report, idempotently by report UUID and version.

    This decides what the message means (signature and shape were checked, provenance says who may
    update the report, the version says whether it is new); the report itself is written by
    :func:`apps.reports.services.report_receive_from_partner`.

    ``partner`` comes from :func:`inbound_peer` and the signature was checked by
    :func:`inbound_verify`; ``actor`` is the peer's account. The report's administration is the
    one the partner record speaks for, never taken from the message.
    """
    parsed = inbound_parse(message, partner=partner, actor=actor)
    _lock_report_uuid(parsed.report_uuid)
    now = timezone.now()
    report = Report.objects.select_for_update(of=("self",)).filter(uuid=parsed.report_uuid).first()

    if report is None:
        if parsed.tombstone:
            return _nothing_to_withdraw(parsed)
        report = _store(partner=partner, report=None, parsed=parsed, actor=actor)
        provenance = ReportProvenance.objects.create(
            report=report,
            source_partner=partner,
            source_reference=parsed.remote_reference,
            source_version=parsed.version,
            received_at=now,
        )
        outbox_record(report=report, event_type=EventType.APPROVED)
        stored = gettext("Stored report %(uuid)s version %(version)s.") % _ids(report)
        return InboundResult("created", stored, report, provenance, skipped=parsed.skipped)

    held_from = ReportProvenance.objects.filter(report=report).first()
    if (held_from is None or held_from.source_partner_id != partner.pk) and not Report.objects.allows(
        actor, "view", report.pk
    ):
        # Held from elsewhere and out of the peer's reach: answered as for a report that is not here, so a
        # peer never learns which uuids other administrations hold.
        if parsed.tombstone:
            return _nothing_to_withdraw(parsed)
        raise NotFound(_("Report not found."))
    if held_from is None or held_from.source_partner_id != partner.pk:
        raise Conflict(
            _("Report %(uuid)s is held here from another source; a partner may only update the reports it sent.")
            % {"uuid": report.uuid},
            code="other_source",
        )
    if parsed.version < report.version:
        raise Conflict(
            gettext("Version %(version)s of report %(uuid)s is older than version %(held)s held here; ignored.")
            % {"version": parsed.version, "uuid": report.uuid, "held": report.version},
            extra={"held_version": report.version},
            code="stale_version",
        )

    if parsed.tombstone:
        if report.status == ReportStatus.WITHDRAWN:
            already = gettext("Report %(uuid)s version %(version)s is withdrawn already.")
            return InboundResult("unchanged", already % _ids(report), report, held_from)
        report = _store(partner=partner, report=report, parsed=parsed, actor=actor, withdrawn=True)
        held_from.source_version, held_from.received_at = parsed.version, now
        held_from.save(update_fields=["source_version", "received_at"])
        outbox_record(report=report, event_type=EventType.WITHDRAWN)
        withdrew = gettext("Withdrew report %(uuid)s version %(version)s.")
        return InboundResult("withdrawn", withdrew % _ids(report), report, held_from)

    if parsed.version == report.version and report.status == ReportStatus.APPROVED:
        held = gettext("Report %(uuid)s version %(version)s is held already; nothing changed.")
        return InboundResult("unchanged", held % _ids(report), report, held_from)
    if parsed.version == report.version:
        raise Conflict(
            _("Report %(uuid)s version %(version)s was withdrawn here; send a newer version to restore it.")
            % {"uuid": report.uuid, "version": report.version},
            extra={"held_version": report.version},
            code="stale_version",
        )

    report = _store(partner=partner, report=report, parsed=parsed, actor=actor)
    held_from.source_version, held_from.received_at = parsed.version, now
    held_from.source_reference = parsed.remote_reference or held_from.source_reference
    held_from.save(update_fields=["source_version", "received_at", "source_reference"])
    outbox_record(report=report, event_type=EventType.CORRECTED)
    updated = gettext("Updated report %(uuid)s to version %(version)s.") % _ids(report)
    return InboundResult("updated", updated, report, held_from, skipped=parsed.skipped)
