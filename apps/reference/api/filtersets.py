"""Filters of the vocabulary lists: ``?active=``, ``?parent=<code>``, ``?search=``."""

from __future__ import annotations

from functools import cache
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from apps.core.caches import process_cache_register

from ..models import Vocabulary


class VocabularyFilterSet(django_filters.FilterSet):
    """Filters shared by every vocabulary."""

    # A choice rather than a BooleanFilter, which silently ignores values it does not know.
    active = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_active",
        help_text=_("Only active (true) or retired (false) terms."),
    )
    parent = django_filters.CharFilter(field_name="parent__code", help_text=_("Only the children of this code."))
    search = django_filters.CharFilter(method="filter_search", help_text=_("Code or English label contains this."))

    def filter_active(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(active=value == "true")

    def filter_search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(Q(code__icontains=value) | Q(label__icontains=value))


@cache
def vocabulary_filterset(model: type[Vocabulary]) -> type[VocabularyFilterSet]:
    meta = type("Meta", (), {"model": model, "fields": ["active", "parent", "search"]})
    return type(f"{model.__name__}FilterSet", (VocabularyFilterSet,), {"Meta": meta})


process_cache_register("reference.api.filtersets.vocabulary_filterset", vocabulary_filterset.cache_clear)
