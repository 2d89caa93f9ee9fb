"""Time-to-live caches: catalog reads and query results.

The clock is injectable so tests move time instead of sleeping.
"""

from __future__ import annotations

from sqltest_core.cache._query import QueryCache, normalise_sql
from sqltest_core.cache._ttl import CacheStats, TTLCache

__all__ = ["CacheStats", "QueryCache", "TTLCache", "normalise_sql"]
