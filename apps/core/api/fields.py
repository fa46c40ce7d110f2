"""API fields that read a number sent as text by the one rule of :mod:`apps.core.numbers`, as the web forms and
an upload's text cells do: ``"1234,5"`` and ``"1 234,5"`` are 1234.5, ``"1,234"`` is refused as ambiguous with
a message saying how to write it. A JSON number is taken as it is. The OpenAPI type stays DRF's (a decimal as
a string or number, a whole number as an integer); a decimal's document carries no digits pattern, which
would refuse the forms the rule reads (``1 234,5``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.numbers import NumberError, parse_decimal, parse_integer


@extend_schema_field({"type": "string", "format": "decimal"})
class AnyLanguageDecimalField(serializers.DecimalField):
    """:class:`~rest_framework.serializers.DecimalField` reading text by the one number rule."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and data.strip():
            try:
                data = str(parse_decimal(data))
            except NumberError as error:
                raise serializers.ValidationError(error.message, code="invalid") from None
        return super().to_internal_value(data)


class AnyLanguageIntegerField(serializers.IntegerField):
    """:class:`~rest_framework.serializers.IntegerField` reading text by the one number rule."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and data.strip():
            try:
                data = parse_integer(data)
            except NumberError as error:
                raise serializers.ValidationError(error.message, code="invalid") from None
        return super().to_internal_value(data)
