"""A typed TTL cache over :mod:`cachetools` with statistics and invalidation."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

import cachetools

__all__ = ["CacheStats", "TTLCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_MISSING = object()


@dataclass(frozen=True, slots=True)
class CacheStats:
    """Counters of a cache since it was made."""

    hits: int
    misses: int
    size: int


class TTLCache(Generic[K, V]):
    """Entries live ``ttl`` seconds; at most ``maxsize`` are kept (LRU beyond that).

    >>> now = [0.0]
    >>> cache: TTLCache[str, int] = TTLCache(ttl=10, clock=lambda: now[0])
    >>> cache.set("a", 1); cache.get("a")
    1
    >>> now[0] = 11; cache.get("a") is None
    True
    """

    def __init__(
        self,
        *,
        ttl: float,
        maxsize: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self._data: cachetools.TTLCache[K, V] = cachetools.TTLCache(
            maxsize, ttl, timer=clock
        )
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    def get(self, key: K) -> V | None:
        """The live value for ``key``, or ``None``."""
        with self._lock:
            value = self._data.get(key, _MISSING)
            if value is _MISSING:
                self._misses += 1
                return None
            self._hits += 1
            return value  # type: ignore[return-value]

    def set(self, key: K, value: V) -> None:
        """Store ``value`` for ``ttl`` seconds (nothing is stored when ``ttl`` is 0)."""
        if self.ttl <= 0:
            return
        with self._lock:
            self._data[key] = value

    def invalidate(self, predicate: Callable[[K], bool] | None = None) -> int:
        """Drop every entry, or those whose key matches; return how many went."""
        with self._lock:
            keys = [k for k in self._data if predicate is None or predicate(k)]
            for key in keys:
                self._data.pop(key, None)
            return len(keys)

    @property
    def stats(self) -> CacheStats:
        """Hits, misses and live size."""
        with self._lock:
            self._data.expire()
            return CacheStats(self._hits, self._misses, len(self._data))
