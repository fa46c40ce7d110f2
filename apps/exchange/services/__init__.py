"""Writes of the exchange app, one module per section (DESIGN.md section 6):

- :mod:`.outbox` — :func:`outbox_record`, called by the reports workflow in its transaction;
- :mod:`.fan_out` — one delivery per partner for each event (:func:`event_fan_out`, :func:`event_deliver`);
- :mod:`.claims` — leasing due deliveries to a worker (:func:`deliveries_claim`);
- :mod:`.sending` — sending a claimed delivery and recording the attempt (:func:`delivery_send`);
- :mod:`.sweep` — the beat-scheduled safety net (:func:`exchange_sweep`);
- :mod:`.access` — who may manage a partner (:func:`partner_require_manager`);
- :mod:`.partners`, :mod:`.policies`, :mod:`.agreements` — what RILO administrators manage;
- :mod:`.replay` — sending messages again, and what a partner may receive under its current policy
  (:func:`policy_now`, also asked by the pull feed);
- :mod:`.retention` — scrubbing superseded versions (:func:`superseded_scrub`), and redacting them
  in the pull feed (:func:`superseded_at`, :func:`redact_in_feed`).

The SQL the ORM cannot say lives in :mod:`apps.exchange.sql`. The names below are the public
operations: callers import them from this package, never from its modules. Every other name in
these modules starts with ``_``: private to the package, shared by its modules only. The reads
(agreements, policies, partners) are in :mod:`apps.exchange.selectors`.
"""

from .access import partner_require_manager
from .agreements import agreement_approve, agreement_refuse, agreement_request, agreement_revoke
from .claims import Claim, deliveries_claim
from .fan_out import event_deliver, event_fan_out, feed_number_due
from .outbox import outbox_record
from .partners import (
    partner_account_token_issue,
    partner_create,
    partner_secret_rotate,
    partner_state_set,
    partner_update,
)
from .policies import partner_policy_create
from .replay import ReplayResult, delivery_replay, partner_deliveries_replay_since, policy_now
from .retention import redact_in_feed, superseded_at, superseded_scrub
from .sending import deliveries_send_due, delivery_send, delivery_send_one, retry_delay
from .sweep import exchange_sweep

__all__ = [
    "Claim",
    "ReplayResult",
    "agreement_approve",
    "agreement_refuse",
    "agreement_request",
    "agreement_revoke",
    "deliveries_claim",
    "deliveries_send_due",
    "delivery_replay",
    "delivery_send",
    "delivery_send_one",
    "event_deliver",
    "event_fan_out",
    "exchange_sweep",
    "feed_number_due",
    "outbox_record",
    "partner_account_token_issue",
    "partner_create",
    "partner_deliveries_replay_since",
    "partner_policy_create",
    "partner_require_manager",
    "partner_secret_rotate",
    "partner_state_set",
    "partner_update",
    "policy_now",
    "redact_in_feed",
    "retry_delay",
    "superseded_at",
    "superseded_scrub",
]
