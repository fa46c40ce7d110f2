"""The demo partner: "Demo CEN", a webhook receiver on loopback whose page shows what RILO sent it.

``make demo`` registers it (:func:`seed_demo_partner`, from ``seed_demo --partner-url``: a partner system of
the demo's Western Europe RILO with a policy that shares no personal data, created once, its endpoint kept
up to date) and runs it beside web, worker and beat (``manage.py demo_partner``). A newcomer who approves
a report sees the message arrive on the receiver's page within seconds.

The receiver is the loopback partner the exchange tests and the benchmark use (:mod:`bench.partners`):
it verifies every signature with the partner's signing secret, read from the database, and answers 401
to a message it cannot verify. Its page is plain escaped HTML that reloads itself (no script at all).
"""

from __future__ import annotations

import datetime as dt
import json
from html import escape
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.exchange.choices import AdapterKind
from apps.exchange.models import PartnerSystem
from apps.exchange.selectors import partner_current_policy
from apps.exchange.services import partner_create, partner_policy_create, partner_update
from apps.exchange.snapshot import field_catalogue
from bench.partners import Received, WebhookHandler, WebhookPartner
from demo.accounts import REGIONS

DEMO_PARTNER_NAME = "Demo CEN"
PAGE_MESSAGES = 50  # the most recent messages the page shows


def demo_partner_url(port: int) -> str:
    """The endpoint RILO posts to (the receiver's page is the same host's ``/``)."""
    return f"http://127.0.0.1:{port}/hooks/rilo"


def _administrator() -> User:
    """The RILO administrator of the first demo region: the demo partner is registered in their name."""
    _code, _name, prefix, _members = REGIONS[0]
    return User.objects.get(username=f"{prefix}.admin", role=Role.RILO_ADMINISTRATOR)


@transaction.atomic
def seed_demo_partner(*, endpoint_url: str) -> PartnerSystem:
    """Register "Demo CEN" at ``endpoint_url`` with a policy sharing every report without personal data, or bring
    the existing registration to that endpoint and policy (idempotent). Needs the demo accounts."""
    actor = _administrator()
    partner = PartnerSystem.objects.restrict(actor, "view").filter(name=DEMO_PARTNER_NAME).first()
    if partner is None:
        partner, _secret = partner_create(
            actor=actor,
            name=DEMO_PARTNER_NAME,
            adapter=AdapterKind.WEBHOOK,
            endpoint_url=endpoint_url,
            contact_email="cen@demo.rilo.invalid",
        )
    elif partner.endpoint_url != endpoint_url:
        partner, _secret = partner_update(actor=actor, partner=partner, endpoint_url=endpoint_url)
    if partner_current_policy(partner=partner) is None:
        fields = [path for path, info in field_catalogue().items() if not info.personal]
        everything = ["*"]
        spec: dict[str, Any] = {
            "personal_data": False,
            "regions": everything,
            "administrations": everything,
            "commodity_categories": everything,
            "report_kinds": everything,
            "fields": fields,
            "note": "Demo: every report, no personal data.",
        }
        partner_policy_create(actor=actor, partner=partner, spec=spec, base_version=None)
    return partner


def demo_partner_secrets() -> list[str]:
    """The signing secrets RILO signs the demo partner's messages with now (the receiver verifies with them)."""
    partner = PartnerSystem.objects.get(name=DEMO_PARTNER_NAME)
    return partner.signing_secrets()


# --- the receiver's page -----------------------------------------------------------------------


def _row(received: Received) -> str:
    body = received.body or {}
    data: dict[str, Any] = body["data"] if isinstance(body.get("data"), dict) else {}
    at = dt.datetime.fromtimestamp(received.at, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    cells = (
        at,
        str(body.get("type", "")),
        str(data.get("report_uuid", "")),
        str(data.get("version", "")),
        str(received.status) + ("" if received.verified else " " + _("(signature not verified)")),
    )
    document = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)
    return (
        "<tr>"
        + "".join(f"<td>{escape(cell)}</td>" for cell in cells)
        + f"<td><details><summary>{escape(_('Message'))}</summary><pre>{escape(document)}</pre></details></td>"
        + "</tr>"
    )


def render_page(requests: list[Received]) -> str:
    """The receiver's page: the most recent messages first, every value escaped; reloads every 3 seconds."""
    recent = list(reversed(requests))[:PAGE_MESSAGES]
    headings = (_("Received"), _("Event"), _("Report"), _("Version"), _("Answer"), _("Content"))
    rows = "".join(_row(received) for received in recent)
    empty = f"<p>{escape(_('Nothing received yet: approve a report in RILO and watch it arrive here.'))}</p>"
    title = escape(_("%(name)s: messages received from RILO") % {"name": DEMO_PARTNER_NAME})
    count = escape(_("%(count)s message(s) received; this page reloads every 3 seconds.") % {"count": len(requests)})
    table = (
        "<table><thead><tr>"
        + "".join(f"<th>{escape(heading)}</th>" for heading in headings)
        + f"</tr></thead><tbody>{rows}</tbody></table>"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="refresh" content="3">'
        f"<title>{title}</title></head><body><h1>{title}</h1><p>{count}</p>"
        f"{table if recent else empty}</body></html>"
    )


class DemoPartnerHandler(WebhookHandler):
    """The webhook receiver, plus its page at ``/`` (GET)."""

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] != "/":
            self.send_error(404)
            return
        requests, _receipts = self.server.partner.snapshot()
        body = render_page(requests).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        # Nothing but the page itself: no script, style or frame may load.
        self.send_header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)


class DemoPartner(WebhookPartner):
    """The demo partner's receiver on ``127.0.0.1:port`` (``0``: any free port)."""

    def __init__(self, secret: str = "", *, port: int = 0) -> None:
        super().__init__(secret, port=port, handler=DemoPartnerHandler)

    @property
    def page_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"
