"""The administration site, and the admin of every reference vocabulary.

RILO administrators manage reference data in the admin without being Django staff: the site
lets in staff as usual *and* active users whose role is RILO administrator, and each page still
checks the model permissions their role holds. Commodity types, whose attribute schemas every
region shares, are changed by staff only (platform administrators), each schema change audited.
Models of other apps stay reserved to staff, whatever permissions a RILO administrator's role
grants on them elsewhere in the application.

A term in use is never deleted, only deactivated: the delete page and the delete action refuse,
saying where the term is used, and the "Deactivate selected" action retires it.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import model_ngettext, unquote
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.accounts.admin_site import rilo_admin_site
from apps.core.request_actor import request_actor

from .models import (
    CommodityCategory,
    CommodityType,
    ConcealmentMethod,
    ConveyanceType,
    Currency,
    DetectionMethod,
    Direction,
    EnforcementArea,
    HSCode,
    LocationType,
    SelectionBasis,
    TransportMode,
    Unit,
    Vocabulary,
)
from .schemas import schema_problems
from .selectors import term_usages, usage_message
from .services import TermInUse, commodity_type_save, is_platform_administrator, term_delete, term_save, term_set_active


class VocabularyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Shared admin of every vocabulary: list, search, filter by active, deactivate, never delete in use."""

    list_display = ["code", "label", "active", "parent", "cen_code", "cis_code"]
    list_filter = ["active"]
    search_fields = ["code", "label", "cen_code", "cis_code"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    actions = ["deactivate_selected", "activate_selected", "delete_selected"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Codes are stable: reports, uploads and partners refer to them.
        readonly = tuple(super().get_readonly_fields(request, obj))
        return (*readonly, "code") if obj is not None else readonly

    def _change_url(self, term: Vocabulary) -> str:
        opts = self.model._meta
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change", args=[term.pk], current_app=self.admin_site.name
        )

    @admin.action(permissions=["change"], description=_("Deactivate selected %(verbose_name_plural)s"))
    def deactivate_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._set_active(request, queryset, active=False)

    @admin.action(permissions=["change"], description=_("Activate selected %(verbose_name_plural)s"))
    def activate_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._set_active(request, queryset, active=True)

    def _set_active(self, request: HttpRequest, queryset: QuerySet[Any], *, active: bool) -> None:
        changed = term_set_active(terms=queryset, active=active, actor=request_actor(request))
        # As Django's own change messages: stored untranslated, shown in the reader's language by the history page.
        with translation.override(None):
            field = str(cast(Any, self.opts.get_field("active")).verbose_name)
        for term in changed:
            self.log_change(request, term, [{"changed": {"fields": [field]}}])
        count = len(changed)
        values = {"count": count, "terms": model_ngettext(self.opts, count)}
        if active:
            outcome = ngettext(
                "%(count)d %(terms)s activated (offered again for new records).",
                "%(count)d %(terms)s activated (offered again for new records).",
                count,
            )
        else:
            outcome = ngettext(
                "%(count)d %(terms)s deactivated (kept on existing records, no longer offered for new ones).",
                "%(count)d %(terms)s deactivated (kept on existing records, no longer offered for new ones).",
                count,
            )
        self.message_user(request, outcome % values, messages.SUCCESS)

    @admin.action(permissions=["delete"], description=_("Delete selected %(verbose_name_plural)s"))
    def delete_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        """Django's delete action, refused up front when any selected term is in use."""
        usages = term_usages(terms=queryset)
        if usages:
            self.message_user(
                request, _("Nothing was deleted. %(why)s") % {"why": usage_message(usages)}, messages.ERROR
            )
            return None
        try:
            return django_delete_selected(self, request, queryset)
        except TermInUse as exc:
            self.message_user(request, _("Nothing was deleted. %(why)s") % {"why": exc.message}, messages.ERROR)
            return None

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None) -> Any:
        term = self.get_object(request, unquote(object_id))
        if term is not None and self.has_delete_permission(request, term):
            usages = term_usages(terms=[term])
            if usages:
                self.message_user(request, usage_message(usages), messages.ERROR)
                return HttpResponseRedirect(self._change_url(term))
        try:
            return super().delete_view(request, object_id, extra_context)
        except TermInUse as exc:  # became used between the check above and the deletion
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.path)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        term_save(term=obj, actor=request_actor(request))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        term_delete(terms=[obj], actor=request_actor(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        term_delete(terms=queryset, actor=request_actor(request))


def _register(*models: type[Vocabulary]) -> Any:
    return admin.register(*models, site=rilo_admin_site)


@_register(EnforcementArea)
class EnforcementAreaAdmin(VocabularyAdmin):
    pass


@_register(CommodityCategory)
class CommodityCategoryAdmin(VocabularyAdmin):
    list_display = ["code", "label", "enforcement_area", "active", "parent", "cen_code", "cis_code"]
    list_filter = ["active", "enforcement_area"]
    list_select_related = ["parent", "enforcement_area"]


class CommodityTypeForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = CommodityType
        fields = [
            "code",
            "label",
            "category",
            "default_unit",
            "attributes_schema",
            "parent",
            "active",
            "sort_order",
            "cen_code",
            "cis_code",
            "translations",
        ]

    def clean_attributes_schema(self) -> Any:
        schema = self.cleaned_data["attributes_schema"]
        problems = schema_problems(schema)
        if problems:
            raise forms.ValidationError(problems)
        return schema


@_register(CommodityType)
class CommodityTypeAdmin(VocabularyAdmin):
    """Commodity types carry the attribute schemas every region's reports are checked against.

    A region's RILO administrator sees them; only platform administrators (Django staff) add, change or
    delete them (their change page is read-only to others, a POST is refused), and each change of a
    schema is audited (:func:`apps.reference.services.commodity_type_save`).
    """

    form = CommodityTypeForm
    list_display = ["code", "label", "category", "default_unit", "active", "parent", "cen_code", "cis_code"]
    list_filter = ["active", "category"]
    list_select_related = ["parent", "category", "default_unit"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_platform_administrator(request_actor(request)) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_administrator(request_actor(request)) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_administrator(request_actor(request)) and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        commodity_type_save(commodity_type=obj, actor=request_actor(request))


@_register(DetectionMethod)
class DetectionMethodAdmin(VocabularyAdmin):
    pass


@_register(SelectionBasis)
class SelectionBasisAdmin(VocabularyAdmin):
    pass


class IsGroupFilter(admin.SimpleListFilter):
    title = _("level")
    parameter_name = "level"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("group", str(_("Groups"))), ("method", str(_("Methods")))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "group":
            return queryset.filter(parent__isnull=True)
        if self.value() == "method":
            return queryset.filter(parent__isnull=False)
        return queryset


@_register(ConcealmentMethod)
class ConcealmentMethodAdmin(VocabularyAdmin):
    list_filter = ["active", IsGroupFilter, "parent"]


@_register(TransportMode)
class TransportModeAdmin(VocabularyAdmin):
    pass


@_register(ConveyanceType)
class ConveyanceTypeAdmin(VocabularyAdmin):
    list_display = ["code", "label", "transport_mode", "active", "parent", "cen_code", "cis_code"]
    list_filter = ["active", "transport_mode"]
    list_select_related = ["parent", "transport_mode"]


@_register(LocationType)
class LocationTypeAdmin(VocabularyAdmin):
    pass


@_register(Direction)
class DirectionAdmin(VocabularyAdmin):
    pass


@_register(Unit)
class UnitAdmin(VocabularyAdmin):
    list_display = ["code", "label", "symbol", "dimension", "factor", "active", "parent", "cen_code", "cis_code"]
    list_filter = ["active", "dimension"]


@_register(Currency)
class CurrencyAdmin(VocabularyAdmin):
    list_display = ["code", "label", "numeric_code", "minor_units", "active", "parent", "cen_code", "cis_code"]
    search_fields = ["code", "label", "numeric_code", "cen_code", "cis_code"]


@_register(HSCode)
class HSCodeAdmin(VocabularyAdmin):
    list_display = ["code", "label", "level", "section", "active", "parent", "cen_code", "cis_code"]
    list_filter = ["active", "level", "section"]
