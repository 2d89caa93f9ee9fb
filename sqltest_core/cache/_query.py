"""Query results cached for a while, keyed on data source, SQL and parameters."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING

from sqltest_core.cache._ttl import CacheStats, TTLCache

if TYPE_CHECKING:
    from sqltest_core.connectors import Rows

__all__ = ["QueryCache", "normalise_sql"]


def normalise_sql(sql: str) -> tuple[Hashable, ...]:
    """``sql`` as sqlglot tokens: spacing, comments and keyword case do not count.

    String literals and quoted names keep their exact text.

    >>> normalise_sql("select  1 -- one") == normalise_sql("SELECT 1")
    True
    >>> normalise_sql("SELECT 'a  b'") == normalise_sql("SELECT 'a b'")
    False
    """
    from sqlglot.tokens import Tokenizer, TokenType  # type: ignore[attr-defined]

    keep = {TokenType.STRING, TokenType.IDENTIFIER, TokenType.NATIONAL_STRING}
    return tuple(
        (t.token_type.value, t.text if t.token_type in keep else t.text.upper())
        for t in Tokenizer().tokenize(sql)
        if t.token_type is not TokenType.SEMICOLON
    )


class QueryCache:
    """Arrow results of queries, kept ``ttl`` seconds (LRU beyond ``maxsize``).

    Pass one to :func:`~sqltest_core.scheduler.run_rules` (or
    :func:`~sqltest_core.rules.evaluate`) to reuse results across runs in a
    long-lived process, such as a notebook re-running a suite: a rule whose
    queries all came from the cache reports ``cache_hit``. A rule opts out with
    ``cache: false``. Keys are the data source's name, the SQL as tokens
    (:func:`normalise_sql`) and the parameters.

    >>> from sqltest_core.connectors import Rows
    >>> now = [0.0]
    >>> cache = QueryCache(ttl=60, clock=lambda: now[0])
    >>> cache.set("wh", "SELECT 1", (), Rows(("x",), [(1,)]))
    >>> cache.get("wh", "select 1") is not None, cache.get("other", "SELECT 1")
    (True, None)
    >>> now[0] = 61; cache.get("wh", "SELECT 1") is None
    True
    """

    def __init__(
        self,
        *,
        ttl: float = 300,
        maxsize: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cache: TTLCache[tuple[Hashable, ...], Rows] = TTLCache(
            ttl=ttl, maxsize=maxsize, clock=clock
        )

    @staticmethod
    def key(
        source: str, sql: str, params: Sequence[object] = ()
    ) -> tuple[Hashable, ...]:
        """The cache key of a query."""
        return (source, normalise_sql(sql), tuple(repr(p) for p in params))

    def get(self, source: str, sql: str, params: Sequence[object] = ()) -> Rows | None:
        """The cached result, or ``None``."""
        return self._cache.get(self.key(source, sql, params))

    def set(
        self, source: str, sql: str, params: Sequence[object], result: Rows
    ) -> None:
        """Keep ``result`` for ``ttl`` seconds."""
        self._cache.set(self.key(source, sql, params), result)

    def invalidate(self, source: str | None = None) -> int:
        """Forget every result, or one data source's; return how many went."""
        return self._cache.invalidate(
            None if source is None else (lambda key: key[0] == source)
        )

    @property
    def stats(self) -> CacheStats:
        """Hits, misses and live size."""
        return self._cache.stats
