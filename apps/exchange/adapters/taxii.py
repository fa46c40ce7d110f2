"""STIX 2.1 bundles pushed to a TAXII 2.1 collection (``taxii2-client``).

Ids are deterministic (UUIDv5 of the report UUID and version), timestamps come from the snapshot,
so re-rendering gives the same bytes and a re-push is recognised by the server as already
present, which counts as delivered (duplicate acknowledged). A report version is a STIX
``report`` object carrying the policy-filtered document in ``x_rilo_report``; a withdrawal (or a
report no longer shared) is a revoked version of the report objects the partner may hold.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import requests
from taxii2client.common import TokenAuth, _HTTPConnection
from taxii2client.exceptions import TAXIIServiceException
from taxii2client.v21 import Collection

from apps.core.caches import process_cache_register

from ..choices import AttemptOutcome, DeliveryMode, EventType
from ..policy import render_document
from .base import (
    USER_AGENT,
    Outcome,
    PrivateAddressRefused,
    ProxyRefused,
    ResponseTooLarge,
    TimeoutSession,
    classify,
    classify_exception,
    classify_transport_error,
    configure_from_environment,
    encode,
    excerpt,
    said,
    timeouts,
)

if TYPE_CHECKING:
    from ..models import Delivery, PartnerSystem, SharingPolicy

# Namespace of every STIX id we mint: uuid5(RILO_NAMESPACE, "<report uuid>:<version>").
RILO_NAMESPACE = uuid.UUID("6f1c1d52-2a43-5b1e-9c33-0d7a3c5e8a10")
SENDER_CREATED = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
MEDIA_TYPE_TAXII = "application/taxii+json;version=2.1"


def stix_id(kind: str, *parts: object) -> str:
    """A deterministic STIX identifier, e.g. ``report--<uuid5>``."""
    return f"{kind}--{uuid.uuid5(RILO_NAMESPACE, ':'.join(str(p) for p in parts))}"


def _when(value: str | None, fallback: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value or fallback)


def stix_timestamp(moment: dt.datetime, *, milliseconds: bool = False) -> str:
    """A STIX 2.1 timestamp in UTC, as the ``stix2`` library writes it.

    ``created`` and ``modified`` carry at least milliseconds (``…00.000Z``); other timestamps
    (``published``) carry their fraction of a second only if there is one. Trailing zeros of the
    fraction are dropped either way.
    """
    zoned = moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    fraction = f"{zoned.microsecond:06d}".rstrip("0") if zoned.microsecond else ""
    if milliseconds:
        fraction = fraction.ljust(3, "0")
    return zoned.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


def _sdo(kind: str, object_id: str, created: dt.datetime, modified: dt.datetime, **properties: Any) -> dict[str, Any]:
    """A STIX 2.1 domain object as JSON: the common properties, then the object's own (None left out)."""
    return {
        "type": kind,
        "spec_version": "2.1",
        "id": object_id,
        "created": stix_timestamp(created, milliseconds=True),
        "modified": stix_timestamp(modified, milliseconds=True),
        **{name: value for name, value in properties.items() if value is not None},
    }


SENDER_ID = stix_id("identity", "rilo-exchange")
SENDER = _sdo(
    "identity", SENDER_ID, SENDER_CREATED, SENDER_CREATED, name="RILO exchange", identity_class="organization"
)


def build_bundle(snapshot: Mapping[str, Any], document: Mapping[str, Any], *, mode: str) -> dict[str, Any]:
    """The STIX 2.1 bundle (as a dict) for one message.

    Written as JSON directly rather than through ``stix2`` objects, whose validation on every
    message cost more than the rest of a delivery; the tests parse every kind of bundle with
    ``stix2`` and require it to write the same objects back.
    """
    report_uuid = snapshot["report_uuid"]
    version = int(snapshot["version"])
    event_at = _when(snapshot["event"]["at"], snapshot["event"]["at"])
    version_created = _when(snapshot["report"].get("approved_at"), snapshot["event"]["at"])
    objects: list[dict[str, Any]] = [dict(SENDER)]
    custom = {"x_rilo_report_uuid": report_uuid, "x_rilo_version": version, "x_rilo_report": dict(document)}
    if mode == DeliveryMode.TOMBSTONE:
        # Revoke every version the partner may hold (a withdrawal covers the current one too).
        last = version if snapshot["event"]["type"] == EventType.WITHDRAWN else version - 1
        created = min(version_created, event_at)
        for held in range(1, max(last, 1) + 1):
            objects.append(
                _sdo(
                    "report",
                    stix_id("report", report_uuid, held),
                    created,
                    event_at,
                    created_by_ref=SENDER_ID,
                    name=f"Seizure report {report_uuid} v{held}",
                    report_types=["observed-data"],
                    published=stix_timestamp(created),
                    object_refs=[SENDER_ID],
                    revoked=True,
                    **{**custom, "x_rilo_version": held},
                )
            )
    else:
        refs = [SENDER_ID]
        country = (document.get("report") or {}).get("country_of_seizure")
        if country:
            location_id = stix_id("location", report_uuid, version, "seizure")
            objects.append(
                _sdo(
                    "location",
                    location_id,
                    version_created,
                    version_created,
                    created_by_ref=SENDER_ID,
                    country=country,
                )
            )
            refs = [location_id]
        objects.append(
            _sdo(
                "report",
                stix_id("report", report_uuid, version),
                version_created,
                version_created,
                created_by_ref=SENDER_ID,
                name=f"Seizure report {report_uuid} v{version}",
                report_types=["observed-data"],
                published=stix_timestamp(version_created),
                object_refs=refs,
                **custom,
            )
        )
    return {
        "type": "bundle",
        "id": stix_id("bundle", report_uuid, version, mode, snapshot["event"]["type"]),
        "objects": objects,
    }


_local = threading.local()


def _forget_all() -> None:
    """Drop this thread's collection clients (their sessions are made again when next needed)."""
    vars(_local).pop("collections", None)


process_cache_register("exchange.adapters.taxii.collections", _forget_all)


def _collection(partner: PartnerSystem) -> Collection:
    """A TAXII collection client per partner and thread, on a session with explicit timeouts."""
    cache: dict[tuple[int, str, str], Collection] = getattr(_local, "collections", None) or {}
    _local.collections = cache
    key = (partner.pk, partner.endpoint_url, partner.credentials_encrypted)  # new credentials: new session
    collection = cache.get(key)
    if collection is None:
        credentials = partner.credentials
        connection = _HTTPConnection(version="2.1", user_agent=USER_AGENT)
        session = TimeoutSession()
        configure_from_environment(session, partner.endpoint_url)
        if credentials.get("token"):
            session.auth = TokenAuth(credentials["token"])
        elif credentials.get("username"):
            session.auth = requests.auth.HTTPBasicAuth(credentials["username"], credentials.get("password", ""))
        connection.session = session
        collection = Collection(partner.endpoint_url, conn=connection)
        cache[key] = collection
    return collection


def _forget(partner: PartnerSystem) -> None:
    cache = getattr(_local, "collections", None) or {}
    cache.pop((partner.pk, partner.endpoint_url, partner.credentials_encrypted), None)


def _already_present(collection: Collection, failure: Mapping[str, Any]) -> bool:
    """Whether the server already holds the object version a failure is about."""
    object_id = failure.get("id")
    if not object_id:
        return False
    if object_id == SENDER_ID:
        return True  # our identity never changes: every bundle after the first repeats it
    try:
        versions = collection.object_versions(object_id).get("versions", [])
    except (requests.RequestException, TAXIIServiceException, PrivateAddressRefused):
        return False
    wanted = failure.get("version")
    return wanted is None or wanted in versions


class TaxiiAdapter:
    """Pushes a STIX 2.1 bundle's objects to the partner's TAXII 2.1 collection (``endpoint_url``)."""

    content_type = "application/stix+json;version=2.1"

    def render(
        self, snapshot: Mapping[str, Any], policy: SharingPolicy | None, *, mode: str, personal_allowed: bool
    ) -> bytes:
        document = render_document(snapshot, policy, mode=mode, personal_allowed=personal_allowed)
        return encode(build_bundle(snapshot, document, mode=mode))

    def send(self, payload: bytes, delivery: Delivery) -> Outcome:
        partner = delivery.partner
        bundle = json.loads(payload)
        envelope = encode({"objects": bundle["objects"]})
        collection = _collection(partner)
        try:
            status = collection.add_objects(
                envelope, wait_for_completion=False, accept=MEDIA_TYPE_TAXII, content_type=MEDIA_TYPE_TAXII
            )
            deadline = time.monotonic() + timeouts()[1]
            while status.status != "complete" and time.monotonic() < deadline:
                time.sleep(0.2)
                status.refresh()
        except PrivateAddressRefused as error:
            _forget(partner)
            return classify_transport_error(error)
        except ProxyRefused as error:
            _forget(partner)
            return Outcome(AttemptOutcome.REFUSED, None, str(error), parts=(error.part,))
        except ResponseTooLarge as error:
            _forget(partner)
            return Outcome(AttemptOutcome.NEEDS_ATTENTION, None, str(error))
        except requests.HTTPError as error:
            _forget(partner)
            response = error.response
            if response is None:
                return classify_exception(error)
            return classify(response.status_code, response.headers, response.text)
        except requests.RequestException as error:
            _forget(partner)
            return classify_exception(error)
        except (TAXIIServiceException, ValueError) as error:
            _forget(partner)
            return said(AttemptOutcome.NEEDS_ATTENTION, None, "taxii_unusable", detail=excerpt(str(error)))
        if status.status != "complete":
            return said(AttemptOutcome.RETRY, 202, "taxii_processing")
        if not status.failure_count:
            return Outcome(AttemptOutcome.SUCCEEDED, 202)
        failures = list(status.failures or [])
        missing = [f for f in failures if not _already_present(collection, f)]
        if missing:
            messages = "; ".join(f"{f.get('id')}: {f.get('message', 'refused')}" for f in missing[:3])
            return said(AttemptOutcome.NEEDS_ATTENTION, 202, "taxii_refused", count=len(missing), failures=messages)
        if status.success_count:
            return Outcome(AttemptOutcome.SUCCEEDED, 202)
        return said(AttemptOutcome.DUPLICATE, 202, "taxii_held")
