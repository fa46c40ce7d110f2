"""Adapters: how a rendered message reaches one kind of partner (DESIGN.md section 6)."""

from __future__ import annotations

from ..choices import AdapterKind
from ..models import PartnerSystem
from .base import Adapter, Outcome
from .taxii import TaxiiAdapter
from .webhook import WebhookAdapter

_ADAPTERS: dict[str, Adapter] = {AdapterKind.WEBHOOK: WebhookAdapter(), AdapterKind.TAXII: TaxiiAdapter()}


def adapter_for(partner: PartnerSystem) -> Adapter:
    """The adapter serving ``partner``."""
    return _ADAPTERS[partner.adapter]


__all__ = ["Adapter", "Outcome", "adapter_for"]
