"""User accounts: a person or system attached to one administration or one RILO."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from apps.tenancy.models import Administration, Region

from .querysets import UserManager
from .roles import ADMINISTRATION_ROLES, RILO_ROLES, TWO_FACTOR_REQUIRED, Role

# Which fields hold personal data: read by the exchange layer.
PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    "User": frozenset({"username", "first_name", "last_name", "email", "phone"}),
}


class User(AbstractUser):
    """A user of the system.

    ``role`` decides the user's role group (capabilities); ``administration`` or ``region`` is
    the scope. Officers and coordinators belong to an administration, RILO staff to a region,
    partner systems to neither (or, for a national system, to its administration).
    """

    role = models.CharField(max_length=32, choices=Role.choices, blank=True)
    administration = models.ForeignKey(
        Administration, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="staff")
    phone = models.CharField(max_length=40, blank=True)

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                name="user_role_matches_scope",
                condition=(
                    Q(role__in=sorted(ADMINISTRATION_ROLES), administration__isnull=False, region__isnull=True)
                    | Q(role__in=sorted(RILO_ROLES), region__isnull=False, administration__isnull=True)
                    | Q(role=Role.PARTNER_SYSTEM, region__isnull=True)
                    | Q(role="", administration__isnull=True, region__isnull=True)
                ),
                violation_error_message="The role does not match the administration or region.",
            )
        ]

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username

    @property
    def requires_two_factor(self) -> bool:
        return self.is_superuser or self.role in TWO_FACTOR_REQUIRED

    @property
    def is_rilo_staff(self) -> bool:
        return self.role in RILO_ROLES

    @property
    def tenant_label(self) -> str:
        if self.administration_id:
            return str(self.administration)
        if self.region_id:
            return str(self.region)
        return ""
