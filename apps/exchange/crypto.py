"""Encryption at rest of partner credentials and signing secrets (Fernet, key from RILO_SECRETS_KEY).

``RILO_SECRETS_KEY`` may hold several comma-separated keys: the first encrypts, all decrypt, so
the key can be rotated without losing the secrets stored under the previous one.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from apps.core.caches import process_cache_register


def _fernet() -> MultiFernet:
    return _fernet_for(str(settings.RILO_SECRETS_KEY or ""))


@lru_cache(maxsize=4)
def _fernet_for(setting: str) -> MultiFernet:
    keys = [key.strip() for key in setting.split(",") if key.strip()]
    if not keys:
        raise ImproperlyConfigured("RILO_SECRETS_KEY is not set: partner secrets cannot be encrypted or read.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(f"RILO_SECRETS_KEY is not a valid Fernet key: {error}") from error


process_cache_register("exchange.crypto.fernet_for", _fernet_for.cache_clear)


def encrypt(plain: str) -> str:
    """The Fernet token of ``plain``; the empty string stays empty (nothing stored)."""
    if not plain:
        return ""
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    """The plain text of a token made by :func:`encrypt`."""
    if not token:
        return ""
    return _decrypt(str(settings.RILO_SECRETS_KEY or ""), token)


# Every delivery signs with its partner's secret: the few tokens in use are decrypted once per
# process (and again if RILO_SECRETS_KEY changes), not on every message.
@lru_cache(maxsize=256)
def _decrypt(setting: str, token: str) -> str:
    try:
        return _fernet_for(setting).decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "A partner secret cannot be decrypted with RILO_SECRETS_KEY (was the key changed without "
            "keeping the previous one in the list?)."
        ) from error


process_cache_register("exchange.crypto.decrypt", _decrypt.cache_clear)
