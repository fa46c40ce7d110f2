"""Vocabulary terms, HS codes and joint operations as an upload's check looks them up: once per distinct value
for the whole upload (in each process that checks it), not once per cell."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from operator import itemgetter
from typing import Any

from django.db.models import Model

from apps.reference.models import HSCode
from apps.reports import catalogue
from apps.reports.models import Operation
from apps.reports.validation import normalise_hs_code

# The kinds of fields whose values are looked up.
LOOKED_UP = frozenset({"term", "terms", "hs_code", "operation"})
_UNSEEN = object()
# A suggestion is a code or label this close to what was typed (difflib's ratio, 0 to 1).
CLOSE = 0.5
# The distinct values typed for which the closest codes are looked for, per check (each costs a comparison with every
# active code and label of its vocabulary); past them, a message lists the vocabulary's first codes instead.
FUZZY_VALUES = 1_000


@dataclass
class _Vocabulary:
    """A vocabulary's active terms as suggestions are looked for among them: each code and label (lower case) with
    a matcher that holds it, and the longest of them."""

    terms: list[tuple[str, str]]  # (code, label in the reader's language)
    matchers: list[tuple[SequenceMatcher[str], SequenceMatcher[str]]]
    longest: int

    @classmethod
    def of(cls, terms: list[tuple[str, str]]) -> _Vocabulary:
        matchers = [
            (SequenceMatcher(None, "", code.lower()), SequenceMatcher(None, "", label.lower())) for code, label in terms
        ]
        return cls(terms, matchers, max((len(text) for term in terms for text in term), default=0))

    def closest(self, wanted: str) -> list[tuple[str, str]]:
        """The (at most three) terms whose code or label is the closest to ``wanted``, at least :data:`CLOSE`."""
        scored = []
        for term, matchers in zip(self.terms, self.matchers, strict=True):
            best = 0.0
            for matcher in matchers:
                matcher.set_seq1(wanted)
                # Two upper bounds first (as difflib.get_close_matches does): most terms are far from the value.
                if matcher.real_quick_ratio() >= CLOSE and matcher.quick_ratio() >= CLOSE:
                    best = max(best, matcher.ratio())
            if best >= CLOSE:
                scored.append((best, term))
        scored.sort(key=itemgetter(0), reverse=True)  # stable: of equally close terms, the first in code order
        return [term for _closeness, term in scored[:3]]

    def listed(self, close: list[tuple[str, str]]) -> str:
        """The terms ``close`` to what was typed, else the first few, as a message lists them."""
        shown = close or self.terms[:5]
        return ", ".join(f"{code} ({label})" for code, label in shown) + (", …" if len(self.terms) > len(shown) else "")


class Terms:
    """Vocabulary terms, HS codes and joint operations looked up once per distinct value for the whole upload.

    An active term found is handed to the validator as the term itself; anything else (unknown, no longer in
    use, ambiguous) as typed, so the validator says what is wrong in its own words."""

    def __init__(self) -> None:
        # What was found, by the field's key (its kind and vocabulary) and the value as compared (whitespace collapsed,
        # lowercased); and the same by the value as typed, looked at first (most values recur as typed).
        self._found: dict[tuple[str, str], Any] = {}
        self._typed: dict[tuple[str, str], Any] = {}
        self._vocabularies: dict[type[Model], _Vocabulary] = {}
        # What a message says to use instead, by vocabulary and the value as typed (stripped, lower case; None: for
        # any value nothing is looked for); and how many more values may be looked for (:data:`FUZZY_VALUES`).
        self._choices: dict[tuple[type[Model], str | None], str] = {}
        self._fuzzy_left = FUZZY_VALUES
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
        message that says what to use instead. Looked for once per distinct value, for the first
        :data:`FUZZY_VALUES` of them; a value more than three times as long as the vocabulary's longest code or
        label is close to none (difflib's ratio is then under :data:`CLOSE`): nothing is looked for."""
        model = spec.vocabulary
        if model is None:
            return ""
        if model not in self._vocabularies:
            terms = model.objects.filter(active=True).order_by("code")  # type: ignore[attr-defined]
            # In the reader's language: the label they would recognise, and what they most likely typed.
            self._vocabularies[model] = _Vocabulary.of([(str(term.code), term.localized_label) for term in terms])
        vocabulary = self._vocabularies[model]
        stripped = typed.strip()
        wanted = stripped.lower() if len(stripped) <= 3 * vocabulary.longest else None
        if (model, wanted) not in self._choices:
            if wanted is not None and self._fuzzy_left > 0:
                self._fuzzy_left -= 1
                self._choices[(model, wanted)] = vocabulary.listed(vocabulary.closest(wanted))
            else:  # nothing looked for: the first codes
                wanted = None
                self._choices.setdefault((model, None), vocabulary.listed([]))
        return self._choices[(model, wanted)]
