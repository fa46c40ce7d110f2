"""Regions (RILOs) and their member administrations, the tenants of the system."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from apps.core.models import TimeStampedModel

from .querysets import AdministrationQuerySet, RegionQuerySet

# Which fields hold personal data: read by the exchange layer (tenancy holds none).
PERSONAL_FIELDS: dict[str, frozenset[str]] = {"Region": frozenset(), "Administration": frozenset()}


class Region(TimeStampedModel):
    """A Regional Intelligence Liaison Office and the region it serves."""

    code = models.SlugField(_("code"), max_length=32, unique=True, help_text=_("Short stable code, e.g. 'rilo-we'."))
    name = models.CharField(_("name"), max_length=120, unique=True)
    contact_email = models.EmailField(_("contact e-mail address"), blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Administration(TimeStampedModel):
    """One country's customs administration, member of one region: the tenant."""

    region = models.ForeignKey(Region, verbose_name=_("RILO"), on_delete=models.PROTECT, related_name="administrations")
    country = CountryField(_("country"), unique=True)
    name = models.CharField(_("name"), max_length=160)
    code = models.SlugField(_("code"), max_length=32, unique=True, help_text=_("Short stable code, e.g. 'fr-dgddi'."))
    active = models.BooleanField(_("active"), default=True)

    objects = AdministrationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        permissions = [("manage_users_administration", "Can manage the users of an administration")]

    def __str__(self) -> str:
        return f"{self.name} ({self.country.code})"


class AdministrationUserObjectPermission(UserObjectPermissionBase):
    """A permission on one administration granted to one user (e.g. a coordinator's delegate)."""

    content_object = models.ForeignKey(Administration, on_delete=models.CASCADE)


class AdministrationGroupObjectPermission(GroupObjectPermissionBase):
    """A permission on one administration granted to a group."""

    content_object = models.ForeignKey(Administration, on_delete=models.CASCADE)
