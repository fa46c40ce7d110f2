"""Form fields choosing vocabulary terms, offered in the reader's order (:func:`~.selectors.in_reading_order`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import django_filters
from django import forms
from django.forms.models import ModelChoiceIterator
from django_filters.fields import ModelChoiceField as FilterModelChoiceField
from django_filters.fields import ModelChoiceIterator as FilterModelChoiceIterator

from .selectors import in_reading_order


class ReadingOrderIterator(ModelChoiceIterator):
    """The field's terms sorted when the field is rendered, so in the language of the page that shows them."""

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for term in in_reading_order(self.queryset.all()):
            yield self.choice(term)


class TermChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """One term of a vocabulary."""

    iterator = ReadingOrderIterator


class TermMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Several terms of a vocabulary."""

    iterator = ReadingOrderIterator


class _FilterReadingOrderIterator(FilterModelChoiceIterator, ReadingOrderIterator):
    """django-filter's iterator (its "None" choice after the empty one) over the terms in reading order."""


class TermFilterField(FilterModelChoiceField):
    """One term of a vocabulary, as a filter's field."""

    iterator = _FilterReadingOrderIterator


class TermFilter(django_filters.ModelChoiceFilter):
    """A filter by one term of a vocabulary, offered in reading order."""

    field_class = TermFilterField
