"""Caches: catalog reads and query results for a while, rendered SQL on disk.

The clock is injectable so tests move time instead of sleeping.
"""

from __future__ import annotations

from sqltest_core.cache._disk import DiskMemo, cache_dir
from sqltest_core.cache._query import QueryCache, normalise_sql
from sqltest_core.cache._ttl import CacheStats, TTLCache

__all__ = [
    "CacheStats",
    "DiskMemo",
    "QueryCache",
    "TTLCache",
    "cache_dir",
    "normalise_sql",
]
