"""Lookups shared by every vocabulary."""

from __future__ import annotations

import re
from typing import Any

from django.db import models
from django.db.models import Q

from apps.core.languages import translated_languages


class VocabularyQuerySet(models.QuerySet[Any]):
    # Whether the vocabulary's terms have labels in other languages to look a value up in.
    translated_labels = True

    def active(self) -> VocabularyQuerySet:
        return self.filter(active=True)

    def resolve(self, value: str | None) -> Any:
        """The term named by ``value``: its code, or its label in any of the site's languages, compared
        case-insensitively.

        Uploads and the API accept any of them. A code wins over a label (a label may look like another
        term's code), and the English label over the translations (the indexed lookup, and the one most
        files use). Among terms with the same label an active one wins; when the label still names more
        than one term it is ambiguous and nothing is returned, so the caller asks for the code. Inactive
        terms resolve too: whether they may still be used is the caller's decision.
        """
        value = " ".join((value or "").split())
        if not value:
            return None
        by_code = list(self.filter(code__iexact=value)[:2])
        exact = [term for term in by_code if term.code == value]
        if exact or len(by_code) == 1:
            return (exact or by_code)[0]
        by_label = list(self.filter(label__iexact=value).order_by("-active", "pk")[:3])
        if not by_label and self.translated_labels:
            translated = Q()
            for language in translated_languages():
                translated |= Q(**{f"translations__{language}__iexact": value})
            by_label = list(self.filter(translated).order_by("-active", "pk")[:3]) if translated else []
        if not by_label:
            return None
        preferred = [term for term in by_label if term.active == by_label[0].active]
        return preferred[0] if len(preferred) == 1 else None


class HSCodeQuerySet(VocabularyQuerySet):
    translated_labels = False  # HS descriptions are English only: no licensed translation ships
    _PUNCTUATION = re.compile(r"[\s.]")

    def resolve(self, value: str | None) -> Any:
        """Also accepts HS codes written with dots or spaces (``2402.20``, ``2402 20``)."""
        compact = self._PUNCTUATION.sub("", value or "")
        if compact.isdigit():
            return self.filter(code=compact).first()
        return super().resolve(value)
