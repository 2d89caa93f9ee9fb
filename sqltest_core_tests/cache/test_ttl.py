from __future__ import annotations

from sqltest_core.cache import TTLCache


def test_entries_expire_and_stats_count() -> None:
    now = [0.0]
    cache: TTLCache[str, int] = TTLCache(ttl=5, clock=lambda: now[0])
    cache.set("a", 1)
    assert cache.get("a") == 1
    assert cache.get("b") is None
    now[0] = 5.1
    assert cache.get("a") is None
    stats = cache.stats
    assert (stats.hits, stats.misses, stats.size) == (1, 2, 0)


def test_invalidate_by_predicate() -> None:
    cache: TTLCache[tuple[str, str], int] = TTLCache(ttl=60)
    cache.set(("pg", "public"), 1)
    cache.set(("pg", "sales"), 2)
    cache.set(("my", "test"), 3)
    assert cache.invalidate(lambda k: k[0] == "pg") == 2
    assert cache.get(("my", "test")) == 3
    assert cache.invalidate() == 1


def test_zero_ttl_disables_caching() -> None:
    cache: TTLCache[str, int] = TTLCache(ttl=0)
    cache.set("a", 1)
    assert cache.get("a") is None


def test_maxsize_evicts_least_recently_used() -> None:
    cache: TTLCache[int, int] = TTLCache(ttl=60, maxsize=2)
    for i in range(3):
        cache.set(i, i)
    assert cache.get(0) is None
    assert cache.get(2) == 2
