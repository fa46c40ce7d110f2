"""Revoke the API tokens that were issued for a person by someone else.

Before tokens spoke for their holder only, a coordinator or RILO administrator could issue a token for
another person (an analyst, an officer, another coordinator) and act as them. Such tokens stay valid
after the code that stopped issuing them is deployed, so this revokes every one still unrevoked: a
token whose issuer (``created_by``) is set and is not its holder, held by a person rather than a system
account. Each revocation is an audit event (no actor: the deployment did it) that the holder's region's
auditors see. Tokens of system accounts, a person's own tokens and those issued from the command line
(no issuer) are left alone. A national system's tokens issued by anyone but a coordinator of its own
administration (a RILO administrator could, before) are revoked as well: only that administration's
coordinators issue them now. Token authentication refuses such a token too
(``apps.accounts.services.token_speaks_for_its_issuer``).
"""

from typing import Any

from django.db import migrations
from django.db.models import F, Q
from django.utils import timezone

# Frozen here, as migrations must not follow later code: apps.accounts.roles.SYSTEM_ROLES today.
SYSTEM_ROLES = ("partner_system",)
COORDINATOR = "national_coordinator"
PLAINTEXT_TAG = "rilo"  # ApiToken.PLAINTEXT_TAG
REASON = "issued for another person"
REASON_NATIONAL_SYSTEM = "national system's token not issued by its administration's coordinator"


def revoke_tokens_issued_for_another_person(apps: Any, schema_editor: Any) -> int:
    """Revoke the tokens issued for a person by someone else, with an audit event each; the number revoked."""
    ApiToken = apps.get_model("accounts", "ApiToken")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    now = timezone.now()
    for_a_person = ~Q(user__role__in=SYSTEM_ROLES)
    national_system_not_by_its_coordinator = Q(user__role__in=SYSTEM_ROLES, user__administration__isnull=False) & ~Q(
        created_by__role=COORDINATOR, created_by__administration_id=F("user__administration_id")
    )
    tokens = (
        ApiToken.objects.filter(revoked_at__isnull=True, created_by__isnull=False)
        .exclude(created_by_id=F("user_id"))
        .filter(for_a_person | national_system_not_by_its_coordinator)
        .select_related("user__administration")
        .order_by("pk")
        .select_for_update(of=("self",))
    )
    revoked = 0
    for token in tokens:
        holder = token.user
        token.revoked_at = now
        token.revoked_by = None
        token.save(update_fields=["revoked_at", "revoked_by"])
        AuditEvent.objects.create(
            at=now,
            actor=None,
            action="accounts.token_revoke",
            object_type="accounts.apitoken",
            object_id=str(token.pk),
            administration_id=holder.administration_id,
            region_id=holder.administration.region_id if holder.administration_id else holder.region_id,
            detail={
                "reason": REASON if holder.role not in SYSTEM_ROLES else REASON_NATIONAL_SYSTEM,
                "token_prefix": f"{PLAINTEXT_TAG}_{token.prefix}",
                "holder": holder.pk,
                "issuer": token.created_by_id,
            },
        )
        revoked += 1
    return revoked


def _forwards(apps: Any, schema_editor: Any) -> None:
    revoke_tokens_issued_for_another_person(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_api_tokens"),
        ("audit", "0001_initial"),
    ]

    # Revoked tokens are not un-revoked: going back leaves them revoked.
    operations = [migrations.RunPython(_forwards, migrations.RunPython.noop)]
