"""Process caches: the one registry of what a process keeps between requests or tasks.

Anything kept for the life of a worker process (compiled SQL, immutable rows read once) is made
here, so it has a name, an optional size limit, and is emptied by :func:`process_caches_clear`,
which the autouse test fixture calls between tests (no test sees another's leftovers).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_clearers: dict[str, Callable[[], None]] = {}


class ProcessCache(Generic[K, V]):
    """A named mapping kept for the life of the process; emptied whole when it would pass ``limit``."""

    def __init__(self, name: str, *, limit: int | None = None) -> None:
        self.name = name
        self.limit = limit
        self._values: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        return self._values.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __getitem__(self, key: K) -> V:
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def put(self, key: K, value: V) -> V:
        if self.limit is not None and len(self._values) >= self.limit:
            self._values.clear()
        self._values[key] = value
        return value

    def clear(self) -> None:
        self._values.clear()


def process_cache(name: str, *, limit: int | None = None) -> ProcessCache[K, V]:
    """A new process cache, registered under ``name`` (one per name)."""
    if name in _clearers:
        raise ValueError(f"A process cache named {name!r} exists already.")
    cache: ProcessCache[K, V] = ProcessCache(name, limit=limit)
    _clearers[name] = cache.clear
    return cache


def process_cache_register(name: str, clear: Callable[[], None]) -> None:
    """Register another kind of process cache (a ``functools.cache``'s ``cache_clear``) under ``name``."""
    if name in _clearers:
        raise ValueError(f"A process cache named {name!r} exists already.")
    _clearers[name] = clear


def process_caches() -> list[str]:
    """The names of every registered process cache."""
    return sorted(_clearers)


def process_caches_clear() -> None:
    """Empty every process cache (tests call this between tests)."""
    for clear in _clearers.values():
        clear()
