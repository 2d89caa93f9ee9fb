"""Time-to-live caches: catalog reads now, query results later.

The clock is injectable so tests move time instead of sleeping.
"""

from __future__ import annotations

from sqltest_core.cache._ttl import CacheStats, TTLCache

__all__ = ["CacheStats", "TTLCache"]
