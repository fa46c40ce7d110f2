"""The statistics API's response shapes (documentation: the views return the selectors' JSON as it is).

Built with ``inline_serializer``: two of the keys (``label``, ``source``) are names a serializer class keeps for
itself.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from ..panels import CHARTS

PANEL_FIELDS: dict[str, serializers.Field[Any, Any, Any, Any]] = {
    "key": serializers.CharField(help_text=_("The panel's key: GET /api/v1/statistics/{key}/ gives its figures.")),
    "title": serializers.CharField(),
    "description": serializers.CharField(),
    "chart": serializers.ChoiceField(choices=sorted(CHARTS), help_text=_("How the page draws it.")),
    "personal": serializers.BooleanField(help_text=_("Derived from persons: counts below 3 are shown as '< 3'.")),
}
PanelListSerializer = inline_serializer("StatisticsPanel", PANEL_FIELDS, many=True)

COLUMN_FIELDS: dict[str, serializers.Field[Any, Any, Any, Any]] = {
    "key": serializers.CharField(help_text=_("The key of this column's value in each row.")),
    "label": serializers.CharField(),
    "unit": serializers.CharField(
        help_text=_(
            "A stable code: reports, items, administrations, persons, messages, days, currency, kg, l, sticks, "
            "pieces, a currency code, %; '' for a dimension."
        )
    ),
    "unit_label": serializers.CharField(help_text=_("The unit's name in the language of Accept-Language.")),
}

PanelDataSerializer = inline_serializer(
    "StatisticsPanelData",
    {
        "key": serializers.CharField(),
        "title": serializers.CharField(),
        "description": serializers.CharField(),
        "chart": serializers.ChoiceField(choices=sorted(CHARTS)),
        "columns": inline_serializer("StatisticsColumn", COLUMN_FIELDS, many=True),
        "rows": serializers.ListField(
            child=serializers.DictField(),
            help_text=_(
                "One object per row, keyed by the columns' keys; 'drill' (when present) is the report list's "
                "URL filtered to the row (or the report's page)."
            ),
        ),
        "source": serializers.ChoiceField(
            choices=["summary", "base"], help_text=_("Counted from the summary tables, or from the reports themselves.")
        ),
        "as_of": serializers.DateTimeField(help_text=_("The figures include every change made before this instant.")),
        "notes": serializers.ListField(child=serializers.CharField()),
    },
)
