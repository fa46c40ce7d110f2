"""What the report page shows of an item beyond its fields."""

from __future__ import annotations

from typing import Any

from django import template

from apps.reference.attribute_texts import attributes_shown

register = template.Library()


@register.filter
def attribute_texts(item: Any) -> list[tuple[str, str]]:
    """The item's attributes as (title, value) in the reader's language, by its commodity type's schema."""
    schema = item.commodity_type.attributes_schema if item.commodity_type_id else None
    return attributes_shown(schema, item.attributes or {})
