"""Serializers of the reference vocabularies, built per model from one base."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.core.caches import process_cache_register

from ..models import Vocabulary

# Fields every vocabulary has (DESIGN.md 4.3), in the order the API shows them.
COMMON_FIELDS = ("code", "label", "translations", "parent", "active", "sort_order", "cen_code", "cis_code")


class VocabularyTermSerializer(serializers.ModelSerializer[Vocabulary]):
    """A vocabulary term: its code, English label and translations, parent code, state and partner codes."""

    parent: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="code", read_only=True, allow_null=True
    )


def type_specific_fields(model: type[Vocabulary]) -> list[Any]:
    """The model's own columns beyond the common vocabulary ones (e.g. a unit's dimension and factor)."""
    return [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in COMMON_FIELDS and field.name != "id"
    ]


@cache
def vocabulary_serializer(model: type[Vocabulary]) -> type[VocabularyTermSerializer]:
    """The serializer of one vocabulary: common fields, then its own; foreign keys appear as codes."""
    own = type_specific_fields(model)
    attrs: dict[str, Any] = {
        field.name: serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=field.null)
        for field in own
        if field.is_relation
    }
    names = [*COMMON_FIELDS, *(field.name for field in own)]
    attrs["Meta"] = type("Meta", (), {"model": model, "fields": names, "read_only_fields": names})
    attrs["__doc__"] = f"{str(model._meta.verbose_name).capitalize()}: {model.__doc__ or ''}".strip()
    return type(f"{model.__name__}Serializer", (VocabularyTermSerializer,), attrs)


process_cache_register("reference.api.serializers.vocabulary_serializer", vocabulary_serializer.cache_clear)


class CountrySerializer(serializers.Serializer[Any]):
    """An ISO 3166-1 country, in the same shape as the vocabularies."""

    code = serializers.CharField(help_text=_("ISO 3166-1 alpha-2 code."))
    label = serializers.CharField(help_text=_("English name."))  # type: ignore[assignment]
    translations = serializers.DictField(child=serializers.CharField())
    parent = serializers.CharField(allow_null=True)  # type: ignore[assignment]
    active = serializers.BooleanField()
    sort_order = serializers.IntegerField()
    cen_code = serializers.CharField(allow_blank=True)
    cis_code = serializers.CharField(allow_blank=True)
    alpha3 = serializers.CharField(help_text=_("ISO 3166-1 alpha-3 code."))
    numeric = serializers.CharField(help_text=_("ISO 3166-1 numeric code, three digits."))
