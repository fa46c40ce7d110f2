"""The administration site.

- Everyone's session must be verified with a two-factor code (django-otp's ``OTPAdminSite``), and
  the admin keeps no login form of its own: signing in and verifying happen on the account pages.
- RILO administrators use it for reference data without being Django staff: the site lets in staff
  and active RILO administrators, and each page still checks the model permissions their role
  holds. Models of other apps stay reserved to staff, whatever permissions a RILO administrator's
  role grants on them elsewhere in the application.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.db.models.base import ModelBase
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

from apps.core.actor import Actor

from .middleware import two_factor_step
from .roles import Role


def is_reference_administrator(user: Actor) -> bool:
    """An active RILO administrator: may use the admin for reference data without being staff."""
    return bool(user.is_authenticated and user.is_active and user.role == Role.RILO_ADMINISTRATOR)


class StaffOnlyAdminMixin:
    """Keeps a model's admin for staff users, whatever model permissions other users hold."""

    def _staff(self, request: HttpRequest) -> bool:
        return bool(getattr(request.user, "is_staff", False))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._staff(request) and super().has_module_permission(request)  # type: ignore[misc]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._staff(request) and super().has_view_permission(request, obj)  # type: ignore[misc]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._staff(request) and super().has_add_permission(request, *args)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._staff(request) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._staff(request) and super().has_delete_permission(request, obj)  # type: ignore[misc]


class RiloAdminSite(OTPAdminSite):
    """The admin site: verified sessions of staff, and of RILO administrators for ``open_app_labels``."""

    site_header = _("RILO administration")
    site_title = _("RILO")
    index_title = _("Reference data and administration")
    # Apps whose models RILO administrators may manage here (with their role's permissions).
    open_app_labels = frozenset({"reference"})

    def has_permission(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return bool(user.is_active and user.is_verified() and (user.is_staff or is_reference_administrator(user)))

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """Send the visitor to the application's sign-in or two-factor page; 403 if the admin is not theirs."""
        index = reverse("admin:index", current_app=self.name)
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or request.POST.get(REDIRECT_FIELD_NAME) or index
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = index
        user: Any = request.user
        if not user.is_authenticated:
            return redirect_to_login(next_url, reverse("accounts:login"))
        if not (user.is_active and (user.is_staff or is_reference_administrator(user))):
            raise PermissionDenied(_("The administration site is reserved to RILO administrators."))
        if not user.is_verified():
            step = two_factor_step(user) or "accounts:otp_setup"
            return redirect(f"{reverse(step)}?{urlencode({'next': next_url})}")
        return redirect(next_url)

    def register(
        self, model_or_iterable: type[Model] | Iterable[type[Model]], admin_class: Any = None, **options: Any
    ) -> None:
        """Register as usual; a model outside ``open_app_labels`` gets a staff-only admin."""
        models = [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else list(model_or_iterable)
        for model in models:
            model_admin = admin_class or admin.ModelAdmin
            if model._meta.app_label not in self.open_app_labels and not issubclass(model_admin, StaffOnlyAdminMixin):
                model_admin = type(model_admin.__name__, (StaffOnlyAdminMixin, model_admin), {})
            super().register(model, model_admin, **options)

    def adopt(self, other: admin.AdminSite) -> None:
        """Register here every model registered on ``other`` (Django's default site) and not yet here."""
        for model, model_admin in other._registry.items():
            if not self.is_registered(model):
                self.register(model, type(model_admin))


rilo_admin_site = RiloAdminSite(name="admin")
