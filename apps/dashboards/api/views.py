"""The statistics API: the dashboard's panels and each panel's figures, under /api/v1/statistics/.

The same selectors as the dashboard page, with the same filters and scope: every user of a region (RILO staff,
and the officers and coordinators of its administrations) sees the figures of the whole region, counted from its
approved reports that are not duplicates; only the region's RILO staff may add submitted reports (anyone else
asking for them gets a 400). Rows naming one report (the largest seizures) are listed only for reports the user
may open. Person-derived panels exist only for the region's staff holding the personal-data capability (otherwise
404), and are answered only for coarse filters (whole months, the region or one administration).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.permissions import RequiredScopeMixin
from apps.core.api.schema import error_response
from apps.core.request_actor import request_actor

from ..filtersets import StatisticsFilterForm, StatisticsFilters
from ..panels import panel_data, panels_for
from ..selectors import StatisticsScope, statistics_administrations, statistics_scope
from .serializers import PanelDataSerializer, PanelListSerializer


def _parameters() -> list[OpenApiParameter]:
    """One query parameter per filter, from the filters' form (the page's filters, the same names)."""
    form = StatisticsFilterForm(submitted=True)  # every value some reader may send (the region's RILO staff)
    many = {"administration", "state"}
    return [
        OpenApiParameter(
            name,
            OpenApiTypes.INT
            if name == "administration"
            else OpenApiTypes.DATE
            if name.startswith("date_")
            else OpenApiTypes.STR,
            many=name in many,
            description=str(field.label),
            enum=[value for value, _label in getattr(field, "choices", [])]
            if name not in {"country", "administration"} and getattr(field, "choices", None)
            else None,
        )
        for name, field in form.fields.items()
    ]


class StatisticsViewSet(RequiredScopeMixin, viewsets.ViewSet):
    """The regional dashboard's figures, panel by panel."""

    lookup_field = "key"
    lookup_value_regex = r"[a-z_]+"

    def _scope(self, request: Request) -> StatisticsScope:
        scope = statistics_scope(user=request_actor(request))
        if scope is None:
            raise exceptions.PermissionDenied(_("Statistics are for the staff of a region or of its administrations."))
        return scope

    @extend_schema(
        summary="The dashboard's panels",
        responses={200: PanelListSerializer, 403: error_response("permission_denied")},
    )
    def list(self, request: Request) -> Response:
        scope = self._scope(request)
        panels = [
            {
                "key": p.key,
                "title": str(p.title),
                "description": str(p.description),
                "chart": p.chart,
                "personal": p.personal,
            }
            for p in panels_for(scope=scope)
        ]
        return Response(panels)

    @extend_schema(
        summary="One panel's figures",
        parameters=_parameters(),
        responses={
            200: PanelDataSerializer,
            400: error_response("invalid"),
            403: error_response("permission_denied"),
            404: error_response("not_found"),
            503: error_response("statistics_timeout", "The filters need the reports themselves and took too long."),
        },
    )
    def retrieve(self, request: Request, key: str) -> Response:
        scope = self._scope(request)
        filters = StatisticsFilters.from_query(
            request.query_params,
            administrations=statistics_administrations(scope=scope),
            submitted=scope.submitted,
        )
        return Response(panel_data(user=request_actor(request), scope=scope, key=key, filters=filters))
