"""Demo data: two RILOs, their member administrations and one account per role.

Idempotent: running it again updates nothing that exists and creates what is missing.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from django.db import transaction

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import otp_device_ensure, user_create
from apps.tenancy.models import Administration, Region

DEMO_PASSWORD = "rilo-demo-password"  # noqa: S105 - demo accounts only, printed on purpose

REGIONS = [
    (
        "rilo-we",
        "RILO Western Europe",
        "we",
        [
            ("FR", "fr", "French Customs (DGDDI)"),
            ("DE", "de", "German Customs (Zoll)"),
            ("BE", "be", "Belgian Customs"),
            ("NL", "nl", "Netherlands Customs"),
            ("ES", "es", "Spanish Customs (AEAT)"),
        ],
    ),
    (
        "rilo-cis",
        "RILO CIS",
        "cis",
        [
            ("KZ", "kz", "State Revenue Committee of Kazakhstan"),
            ("UZ", "uz", "Customs Committee of Uzbekistan"),
            ("AM", "am", "Customs Service of Armenia"),
        ],
    ),
]
ADMINISTRATION_ACCOUNTS = [("officer", Role.OFFICER), ("coordinator", Role.NATIONAL_COORDINATOR)]
RILO_ACCOUNTS = [("analyst", Role.RILO_ANALYST), ("admin", Role.RILO_ADMINISTRATOR), ("auditor", Role.AUDITOR)]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    scope: str
    totp_secret: str = ""


def demo_totp_key(username: str) -> str:
    """A fixed TOTP key per demo account, so the printed secret stays valid across runs."""
    return hashlib.sha256(f"rilo-demo-totp:{username}".encode()).hexdigest()[:40]


def _ensure_user(username: str, role: Role, **scope: Administration | Region) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        first, _, last = username.partition(".")
        user = user_create(
            actor=None,
            username=username,
            role=role,
            password=DEMO_PASSWORD,
            email=f"{username}@demo.rilo.invalid",
            first_name=first.upper(),
            last_name=last.capitalize(),
            **scope,  # type: ignore[arg-type]
        )
    return user


def _ensure_totp(user: User) -> str:
    key = demo_totp_key(user.username)
    otp_device_ensure(user=user, key_hex=key)
    return base64.b32encode(bytes.fromhex(key)).decode()


@transaction.atomic
def seed_demo_accounts() -> list[DemoAccount]:
    """Create the demo regions, administrations and accounts; return the accounts to print."""
    accounts: list[DemoAccount] = []
    for region_code, region_name, prefix, members in REGIONS:
        region, _ = Region.objects.get_or_create(code=region_code, defaults={"name": region_name})
        for role_suffix, role in RILO_ACCOUNTS:
            user = _ensure_user(f"{prefix}.{role_suffix}", role, region=region)
            accounts.append(DemoAccount(user.username, str(role.label), region.name, _ensure_totp(user)))
        for country, code, name in members:
            administration, _ = Administration.objects.get_or_create(
                country=country, defaults={"region": region, "code": code, "name": name}
            )
            for role_suffix, role in ADMINISTRATION_ACCOUNTS:
                user = _ensure_user(f"{code}.{role_suffix}", role, administration=administration)
                secret = _ensure_totp(user) if user.requires_two_factor else ""
                accounts.append(DemoAccount(user.username, str(role.label), administration.name, secret))
            system = _ensure_user(f"{code}.system", Role.PARTNER_SYSTEM, administration=administration)
            accounts.append(DemoAccount(system.username, "National system (API)", administration.name))
    return accounts
