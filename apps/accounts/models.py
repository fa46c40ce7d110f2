"""User accounts: a person or system attached to one administration or one RILO."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.languages import LANGUAGE_CODE_MAX_LENGTH
from apps.tenancy.models import Administration, Region

from .querysets import ApiTokenQuerySet, UserManager
from .roles import ADMINISTRATION_ROLES, RILO_ROLES, TWO_FACTOR_REQUIRED, Role

# Which fields hold personal data: read by the exchange layer.
PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    "User": frozenset({"username", "first_name", "last_name", "email", "phone"}),
    "ApiToken": frozenset({"name"}),  # free text
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
    # The language the user chose (not personal data): pages and e-mails use it; blank until a choice is
    # made, when pages follow the browser and e-mails the site's default. No choices on the column: the offered
    # languages are settings.LANGUAGES, checked where a choice is saved (user_set_language), and a stored code
    # no longer offered is ignored where it is read, so adding or removing a language needs no migration.
    language = models.CharField(_("language"), max_length=LANGUAGE_CODE_MAX_LENGTH, blank=True)

    objects = UserManager()  # type: ignore[misc]

    # The API token this request authenticated with (set by ApiTokenAuthentication on the user it
    # loads for the request); None for a web session. Audit events of personal-data reads name it.
    authenticated_token: ApiToken | None = None

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
                violation_error_message=_("The role does not match the administration or region."),
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


class ApiToken(models.Model):
    """A credential with which one account uses the API (``Authorization: Bearer rilo_<prefix>_<secret>``).

    Only the SHA-256 of the token is stored; the plaintext is shown once, when issued. ``prefix``
    identifies the token in lists and finds its row. ``scopes`` narrow what the token may do
    (read, write, review); the account's role and scope still decide the rest. A token stops
    working when it expires or is revoked; ``last_used_at`` is refreshed at most once a minute.
    """

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Write")
        REVIEW = "review", _("Review")

    PLAINTEXT_TAG = "rilo"
    PREFIX_LENGTH = 8

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text=_("What the token is for, e.g. 'nCEN import'."))
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False, help_text=_("SHA-256 (hex) of the whole token."))
    scopes = ArrayField(models.CharField(max_length=16, choices=Scope.choices))
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(name="api_token_has_scopes", condition=Q(scopes__len__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix})"

    @property
    def administration(self) -> Administration | None:
        """The holder's administration: the audit events of the token go to its region's auditors."""
        return self.user.administration

    @property
    def scope_labels(self) -> str:
        """The scopes as the reader's language names them."""
        return ", ".join(str(self.Scope(scope).label) for scope in self.scopes)

    @property
    def display_prefix(self) -> str:
        return f"{self.PLAINTEXT_TAG}_{self.prefix}"

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at <= (now or timezone.now())

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_usable(self, now: datetime | None = None) -> bool:
        return not self.is_revoked and not self.is_expired(now)

    @property
    def status(self) -> str:
        if self.is_revoked:
            return "revoked"
        return "expired" if self.is_expired() else "active"

    @property
    def status_label(self) -> str:
        """The status as the token list shows it, in the user's language."""
        return str({"revoked": _("Revoked"), "expired": _("Expired"), "active": _("Active")}[self.status])
