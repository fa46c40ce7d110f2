"""Read-only API of the reference vocabularies and of ISO 3166 countries.

One viewset class serves every vocabulary model; :func:`vocabulary_viewset` configures it per
model and :func:`vocabulary_endpoints` lists every concrete :class:`Vocabulary` model, so a
vocabulary added to apps/reference/models.py gets its endpoint without code here.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.apps import apps
from django.db.models import QuerySet
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.conditional import ETagRetrieveMixin, conditional_response, with_etag
from apps.core.api.pagination import StandardPageNumberPagination
from apps.core.api.permissions import ModelCapabilityPermission, RequiredScopeMixin
from apps.core.caches import process_cache_register

from ..models import Vocabulary
from .filtersets import vocabulary_filterset
from .serializers import CountrySerializer, type_specific_fields, vocabulary_serializer


class VocabularyViewSet(RequiredScopeMixin, ETagRetrieveMixin, mixins.ListModelMixin, viewsets.GenericViewSet[Any]):
    """Terms of one vocabulary: list (filter by ``active``, ``parent``, ``search``) and lookup by code."""

    model: type[Vocabulary]
    permission_classes = [*APIView.permission_classes, ModelCapabilityPermission]
    pagination_class = StandardPageNumberPagination
    lookup_field = "code"
    lookup_value_regex = r"[^/]+"

    def get_queryset(self) -> QuerySet[Any]:
        related = ["parent", *(field.name for field in type_specific_fields(self.model) if field.is_relation)]
        return self.model.objects.select_related(*related).order_by(*(self.model._meta.ordering or []), "pk")

    def get_object(self) -> Any:
        """The term with this code; a case-insensitive match when no exact one exists."""
        code = self.kwargs[self.lookup_field]
        terms = self.get_queryset()
        term = terms.filter(code=code).first() or terms.filter(code__iexact=code).first()
        if term is None:
            raise NotFound(
                _("No %(verbose_name)s has the code '%(code)s'.")
                % {"verbose_name": self.model._meta.verbose_name, "code": code}
            )
        return term


@cache
def vocabulary_viewset(model: type[Vocabulary]) -> type[VocabularyViewSet]:
    """:class:`VocabularyViewSet` configured for one model."""
    name = model._meta.verbose_name_plural
    attrs = {
        "model": model,
        "queryset": model.objects.all(),
        "serializer_class": vocabulary_serializer(model),
        "filterset_class": vocabulary_filterset(model),
        "__doc__": f"Reference vocabulary: {name}.",
    }
    viewset = type(f"{model.__name__}ViewSet", (VocabularyViewSet,), attrs)
    return extend_schema(tags=["reference"])(viewset)  # type: ignore[no-any-return]


process_cache_register("reference.api.views.vocabulary_viewset", vocabulary_viewset.cache_clear)


def vocabulary_models() -> list[type[Vocabulary]]:
    """Every concrete vocabulary model of the reference app."""
    return [
        model
        for model in apps.get_app_config("reference").get_models()
        if issubclass(model, Vocabulary) and not model._meta.abstract
    ]


def vocabulary_endpoints() -> list[tuple[str, type[VocabularyViewSet]]]:
    """(URL segment, viewset) per vocabulary, e.g. ``("commodity-types", CommodityTypeViewSet)``: the English
    name whatever language is active when the URLs are first read (a Russian name would slug to nothing)."""
    with translation.override("en"):
        return [
            (slugify(str(model._meta.verbose_name_plural)), vocabulary_viewset(model)) for model in vocabulary_models()
        ]


def _country(code: str, name: str, position: int) -> dict[str, Any]:
    return {
        "code": code,
        "label": str(name),
        "translations": {},
        "parent": None,
        "active": True,
        "sort_order": position,
        "cen_code": "",
        "cis_code": "",
        "alpha3": countries.alpha3(code),
        "numeric": countries.numeric(code, padded=True) or "",
    }


def _all_countries() -> list[dict[str, Any]]:
    return [_country(code, name, position) for position, (code, name) in enumerate(countries)]


_ACTIVE = OpenApiParameter(
    "active",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    enum=["true", "false"],
    description=_("Only active (true) or retired (false) terms."),
)
_SEARCH = OpenApiParameter(
    "search", OpenApiTypes.STR, OpenApiParameter.QUERY, description=_("Code or English name contains this.")
)
_CODE = OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description=_("ISO 3166-1 alpha-2 code."))


def _boolean_param(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw in ("true", "false"):
        return raw == "true"
    raise ValidationError({name: [_("Enter true or false.")]})


@extend_schema(tags=["reference"])
class CountryViewSet(RequiredScopeMixin, viewsets.ViewSet):
    """ISO 3166-1 countries (django-countries), in the vocabularies' shape."""

    pagination_class = StandardPageNumberPagination
    lookup_field = "code"
    lookup_value_regex = r"[^/]+"

    @extend_schema(parameters=[_ACTIVE, _SEARCH], responses=CountrySerializer(many=True))
    def list(self, request: Request) -> Response:
        rows = _all_countries()
        active = _boolean_param(request, "active")
        if active is not None:
            rows = [row for row in rows if row["active"] is active]
        search = (request.query_params.get("search") or "").casefold()
        if search:
            rows = [row for row in rows if search in row["code"].casefold() or search in row["label"].casefold()]
        paginator = self.pagination_class()
        page: list[dict[str, Any]] = paginator.paginate_queryset(rows, request, view=self) or []  # type: ignore[arg-type]
        return paginator.get_paginated_response(CountrySerializer(page, many=True).data)

    @extend_schema(parameters=[_CODE], responses=CountrySerializer)
    @with_etag
    def retrieve(self, request: Request, code: str) -> Response:
        try:
            alpha2 = countries.alpha2(code)
        except ValueError:  # a "digit" int() cannot read, such as "²", taken for a numeric code
            alpha2 = ""
        if not alpha2:
            raise NotFound(_("No country has the code '%(code)s'.") % {"code": code})
        position = next(i for i, (known, _) in enumerate(countries) if known == alpha2)
        data = CountrySerializer(_country(alpha2, countries.name(alpha2), position)).data
        return conditional_response(request, data)
