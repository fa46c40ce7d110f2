"""Vocabulary terms, HS codes and joint operations as an upload's check looks them up: once per distinct value
for the whole upload (in each process that checks it), not once per cell."""

from __future__ import annotations

from collections.abc import Mapping
from difflib import SequenceMatcher
from typing import Any

from django.db.models import Model

from apps.reference.models import HSCode
from apps.reports import catalogue
from apps.reports.models import Operation
from apps.reports.validation import normalise_hs_code

# The kinds of fields whose values are looked up.
LOOKED_UP = frozenset({"term", "terms", "hs_code", "operation"})
_UNSEEN = object()


class Terms:
    """Vocabulary terms, HS codes and joint operations looked up once per distinct value for the whole upload.

    An active term found is handed to the validator as the term itself; anything else (unknown, no longer in
    use, ambiguous) as typed, so the validator says what is wrong in its own words."""

    def __init__(self) -> None:
        # What was found, by the field's key (its kind and vocabulary) and the value as compared (whitespace collapsed,
        # lowercased); and the same by the value as typed, looked at first (most values recur as typed).
        self._found: dict[tuple[str, str], Any] = {}
        self._typed: dict[tuple[str, str], Any] = {}
        self._active_terms: dict[type[Model], list[tuple[str, str]]] = {}
        # Per part: the fields whose values are looked up, each with its spec, its key, and whether it holds
        # several terms.
        self._fields = {
            part: [
                (spec.name, spec, f"{spec.kind}:{getattr(spec.vocabulary, '__name__', '')}", spec.kind == "terms")
                for spec in catalogue.fields(part)
                if spec.kind in LOOKED_UP
            ]
            for part in ("report", *catalogue.ROW_PARTS)
        }

    def resolve(self, part: str, values: Mapping[str, Any]) -> dict[str, Any]:
        resolved = dict(values)
        for name, spec, key, several in self._fields[part]:
            value = resolved.get(name)
            if value is None or value == "":
                continue
            if several:
                typed = value if isinstance(value, list | tuple) else [v for v in str(value).split(";") if v.strip()]
                resolved[name] = [self._one(spec, key, item) for item in typed]
            else:
                resolved[name] = self._one(spec, key, value)
        return resolved

    def _one(self, spec: catalogue.Field, key: str, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        typed = (key, value)
        found = self._typed.get(typed, _UNSEEN)
        if found is _UNSEEN:
            compared = (key, " ".join(value.split()).lower())
            if compared not in self._found:
                self._found[compared] = self._lookup(spec, value)
            found = self._typed[typed] = self._found[compared]
        return value if found is None else found

    @staticmethod
    def _lookup(spec: catalogue.Field, value: str) -> Any:
        if spec.kind == "hs_code":
            return HSCode.objects.filter(code=normalise_hs_code(value)).first()
        if spec.kind == "operation":
            return Operation.objects.filter(code__iexact=value.strip()).first()
        assert spec.vocabulary is not None  # noqa: S101 (the catalogue declares it for terms)
        term = spec.vocabulary.objects.resolve(value)  # type: ignore[attr-defined]
        return term if term is not None and term.active else None

    def choices(self, spec: catalogue.Field, typed: str) -> str:
        """The active codes of the field's vocabulary closest to what was typed (else its first few), for a
        message that says what to use instead."""
        model = spec.vocabulary
        if model is None:
            return ""
        if model not in self._active_terms:
            terms = model.objects.filter(active=True).order_by("code")  # type: ignore[attr-defined]
            # In the reader's language: the label they would recognise, and what they most likely typed.
            self._active_terms[model] = [(str(term.code), term.localized_label) for term in terms]
        active = self._active_terms[model]
        wanted = typed.strip().lower()

        def closeness(term: tuple[str, str]) -> float:
            code, label = term[0].lower(), term[1].lower()
            return max(SequenceMatcher(None, wanted, code).ratio(), SequenceMatcher(None, wanted, label).ratio())

        close = [term for term in sorted(active, key=closeness, reverse=True)[:3] if closeness(term) >= 0.5]
        shown = close or active[:5]
        return ", ".join(f"{code} ({label})" for code, label in shown) + (", …" if len(active) > len(shown) else "")
