"""Lookups shared by every vocabulary."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q


class VocabularyQuerySet(models.QuerySet[Any]):
    def active(self) -> VocabularyQuerySet:
        return self.filter(active=True)

    def resolve(self, value: str) -> Any | None:
        """The term whose code, or English label, matches ``value`` case-insensitively."""
        value = (value or "").strip()
        if not value:
            return None
        return self.filter(Q(code__iexact=value) | Q(label__iexact=value)).order_by("-active", "pk").first()
