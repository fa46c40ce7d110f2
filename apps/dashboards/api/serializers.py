"""The statistics API's response shapes (documentation: the views return the selectors' JSON as it is)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class PanelSerializer(serializers.Serializer[Any]):
    """One panel of the dashboard."""

    key = serializers.CharField(help_text="The panel's key: GET /api/v1/statistics/{key}/ gives its figures.")
    title = serializers.CharField()
    description = serializers.CharField()
    chart = serializers.ChoiceField(
        choices=["figures", "line", "bar", "stacked", "pie", "map", "flows", "table", "heatmap"],
        help_text="How the page draws it.",
    )
    personal = serializers.BooleanField(help_text="Derived from persons: small cells are shown as '< 3'.")


class ColumnSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="The key of this column's value in each row.")
    label = serializers.CharField()
    unit = serializers.CharField(help_text="reports, items, kg, l, sticks, pieces, a currency code, %, days...")


class PanelDataSerializer(serializers.Serializer[Any]):
    """A panel's figures under the given filters, as the user's scope allows."""

    key = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    chart = serializers.CharField()
    columns = ColumnSerializer(many=True)
    rows = serializers.ListField(
        child=serializers.DictField(),
        help_text="One object per row, keyed by the columns' keys; 'drill' (when present) is the report list's "
        "URL filtered to the row.",
    )
    source = serializers.ChoiceField(
        choices=["summary", "base"], help_text="Counted from the summary tables, or from the reports themselves."
    )
    as_of = serializers.DateTimeField(help_text="The figures include every change made before this instant.")
    notes = serializers.ListField(child=serializers.CharField())
