"""One async connection pool per data source, shared by all concurrent work."""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import anyio

from sqltest_core._logging import get_logger
from sqltest_core.cache import TTLCache
from sqltest_core.config import DataSource
from sqltest_core.connectors._arrow import collect, to_polars
from sqltest_core.connectors._base import Connection, Connector, Params
from sqltest_core.connectors._catalog import Catalog
from sqltest_core.connectors._registry import connector_for
from sqltest_core.connectors._rows import Rows
from sqltest_core.errors import ConfigError, ConnectorError, PoolTimeout, SqltestError
from sqltest_core.resilience import CircuitBreaker, RetryPolicy

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

__all__ = ["Pool", "PoolStats", "open_pool"]

T = TypeVar("T")
_log = get_logger("sqltest_core.pool")


@dataclass(frozen=True, slots=True)
class PoolStats:
    """A snapshot of a pool's connections and lifetime counters."""

    size: int
    idle: int
    in_use: int
    opened: int
    closed: int


def open_pool(
    source: DataSource | str,
    *,
    connector: Connector | None = None,
    **settings: Any,
) -> Pool:
    """A pool for ``source`` (a :class:`DataSource` or a URL); use ``async with``.

    Keyword arguments override :class:`DataSource` fields.

    >>> import anyio
    >>> async def main():
    ...     async with open_pool("duckdb://:memory:") as db:
    ...         return (await db.fetch_arrow("select 42 as answer")).to_pylist()
    >>> anyio.run(main)
    [{'answer': 42}]
    """
    if isinstance(source, str) or settings:
        fields = {"url": source} if isinstance(source, str) else dict(source)
        try:
            source = DataSource.model_validate({**fields, **settings})
        except ValueError as exc:
            raise ConfigError(f"bad data source: {exc}") from None
    return Pool(source, connector=connector)


class Pool:
    """Connections to one data source: bounded, health-checked, shared.

    ``async with`` opens ``min_size`` connections and starts the periodic health
    check; leaving closes everything. Operations retry transient failures
    (connection lost, server restarting, deadlock) and go through the data
    source's circuit breaker. Prefer :func:`open_pool` to build one.
    """

    def __init__(
        self,
        source: DataSource,
        *,
        connector: Connector | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self.source = source
        self.connector = connector if connector is not None else connector_for(source)
        self.breaker = CircuitBreaker(
            source.name,
            failure_threshold=source.breaker.failure_threshold,
            cooldown=source.breaker.cooldown,
            clock=clock,
        )
        self.retry = RetryPolicy(
            source.retry, source=source.name, breaker=self.breaker, sleep=sleep
        )
        self._clock = clock
        self._sleep = sleep
        self._slots: anyio.Semaphore | None = None
        self._idle: deque[tuple[Connection, float]] = deque()
        self._all: set[Connection] = set()
        self._opened = 0
        self._closed_count = 0
        self._closing = False
        self._last_check = clock()
        self._catalogs: TTLCache[str | None, Catalog] = TTLCache(
            ttl=source.metadata_ttl, clock=clock
        )
        self._catalog_locks: dict[str | None, anyio.Lock] = {}

    @property
    def name(self) -> str:
        """The data source's name."""
        return self.source.name

    @property
    def dialect(self) -> str:
        """The sqlglot dialect of the engine."""
        return self.connector.dialect

    @property
    def stats(self) -> PoolStats:
        """Connections open, idle and lent out, and lifetime counters."""
        size, idle = len(self._all), len(self._idle)
        return PoolStats(size, idle, size - idle, self._opened, self._closed_count)

    # -- life cycle ---------------------------------------------------------------

    async def open(self) -> Pool:
        """Open ``min_size`` connections (retrying transient failures)."""
        if self._slots is None:
            self._slots = anyio.Semaphore(self.source.pool.max_size)
            _log.info("pool_open", source=self.name, url=str(self.source.url))
            for _ in range(self.source.pool.min_size):
                conn = await self.retry.call(self._connect)
                self._idle.append((conn, self._clock()))
        return self

    async def __aenter__(self) -> Pool:
        return await self.open()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close idle connections now and lent ones as they come back."""
        self._closing = True
        with anyio.CancelScope(shield=True):
            while self._idle:
                conn, _ = self._idle.popleft()
                await self._discard(conn)
            # Optional ability: connectors holding a shared resource release it.
            closer = getattr(self.connector, "aclose", None)
            if closer is not None:
                await closer()
        _log.info("pool_closed", source=self.name, opened=self._opened)

    # -- lending --------------------------------------------------------------------

    def acquire(
        self, *, timeout: float | None = None
    ) -> contextlib.AbstractAsyncContextManager[Connection]:
        """Borrow a connection for the ``async with`` block (retrying the connect)."""
        return self._acquire(timeout=timeout, retry_connect=True)

    @contextlib.asynccontextmanager
    async def _acquire(
        self, *, timeout: float | None, retry_connect: bool
    ) -> AsyncIterator[Connection]:
        slots = self._ready()
        if self._clock() - self._last_check >= self.source.pool.health_check_interval:
            await self.check_health()
        wait = self.source.pool.acquire_timeout if timeout is None else timeout
        try:
            with anyio.fail_after(wait):
                await slots.acquire()
        except TimeoutError:
            raise PoolTimeout(
                f"no connection became free within {wait}s "
                f"(max_size={self.source.pool.max_size}, all in use)",
                source=self.name,
            ) from None
        try:
            conn = await self._checkout(retry_connect)
        except BaseException:
            slots.release()
            raise
        try:
            yield conn
        finally:
            with anyio.CancelScope(shield=True):
                await self._checkin(conn)
            slots.release()

    def _ready(self) -> anyio.Semaphore:
        if self._closing:
            raise ConnectorError("pool is closed", source=self.name)
        if self._slots is None:
            raise ConnectorError(
                "pool is not open: use 'async with open_pool(...)' "
                "or 'await pool.open()'",
                source=self.name,
            )
        return self._slots

    async def _checkout(self, retry_connect: bool) -> Connection:
        while self._idle:
            conn, since = self._idle.pop()  # most recently used: warmest
            if conn.is_closed:
                await self._discard(conn)
                continue
            if self._clock() - since >= self.source.pool.ping_after_idle:
                try:
                    await conn.ping()
                except ConnectorError:
                    await self._discard(conn)
                    continue
            return conn
        if retry_connect:
            return await self.retry.call(self._connect)
        return await self._connect()  # the caller's own retry and breaker cover it

    async def _connect(self) -> Connection:
        conn = await self.connector.connect()
        self._all.add(conn)
        self._opened += 1
        return conn

    async def _checkin(self, conn: Connection) -> None:
        if self._closing or conn.is_closed:
            await self._discard(conn)
        else:
            self._idle.append((conn, self._clock()))

    async def _discard(self, conn: Connection) -> None:
        if conn in self._all:
            self._all.discard(conn)
            self._closed_count += 1
        with anyio.CancelScope(shield=True):
            await conn.aclose()

    async def maintain(self) -> None:
        """Run :meth:`check_health` every ``health_check_interval``, forever.

        Optional: acquiring already runs the check once an interval has passed.
        Start this in your own task group for checks while the pool sits idle.
        """
        while True:
            await self._sleep(self.source.pool.health_check_interval)
            await self.check_health()

    async def check_health(self) -> None:
        """Ping idle connections, replace broken ones, trim long-idle extras."""
        # No background task of its own: a task group held open across
        # __aenter__/__aexit__ breaks when those run in different tasks (as
        # pytest-asyncio fixtures do), so checks ride on acquires or maintain().
        self._last_check = self._clock()
        slots = self._ready()
        settings = self.source.pool
        now = self._clock()
        for _ in range(len(self._idle)):
            try:
                slots.acquire_nowait()  # a slot per checked connection keeps max_size
            except anyio.WouldBlock:
                break
            try:
                conn, since = self._idle.popleft()
                idle_for = now - since
                if (
                    idle_for >= settings.max_idle_time
                    and len(self._all) > settings.min_size
                ):
                    await self._discard(conn)
                    continue
                try:
                    await conn.ping()
                except ConnectorError:
                    _log.warning("pool_dropped_broken", source=self.name)
                    await self._discard(conn)
                    continue
                self._idle.append((conn, since))
            finally:
                slots.release()
        while len(self._all) < settings.min_size:
            try:
                slots.acquire_nowait()
            except anyio.WouldBlock:
                break
            try:
                conn = await self.retry.guarded(self._connect)
                self._idle.append((conn, self._clock()))
            except SqltestError as exc:
                _log.warning("pool_refill_failed", source=self.name, error=str(exc))
                break
            finally:
                slots.release()

    # -- operations -------------------------------------------------------------

    async def _with_connection(self, work: Callable[[Connection], Awaitable[T]]) -> T:
        async def attempt() -> T:
            async with self._acquire(timeout=None, retry_connect=False) as conn:
                return await work(conn)

        return await self.retry.call(attempt)

    async def execute(
        self, sql: str, params: Params = (), *, timeout: float | None = None
    ) -> int:
        """Run one statement on a pooled connection; return the affected row count."""
        return await self._with_connection(
            lambda c: c.execute(sql, params, timeout=timeout)
        )

    async def stream(
        self,
        sql: str,
        params: Params = (),
        *,
        batch_size: int | None = None,
        timeout: float | None = None,
    ) -> AsyncIterator[pa.RecordBatch]:
        """Yield a query's rows as Arrow record batches; memory stays one batch deep.

        The connection is held until the iteration ends. A transient failure before
        the first batch is retried; after it, the error reaches the caller.
        """

        async def start() -> tuple[
            contextlib.AsyncExitStack, AsyncIterator[pa.RecordBatch], pa.RecordBatch
        ]:
            stack = contextlib.AsyncExitStack()
            try:
                conn = await stack.enter_async_context(
                    self._acquire(timeout=None, retry_connect=False)
                )
                batches = conn.stream(
                    sql, params, batch_size=batch_size, timeout=timeout
                )
                stack.push_async_callback(batches.aclose)  # type: ignore[attr-defined]
                first = await anext(batches)
            except BaseException:
                with anyio.CancelScope(shield=True):
                    await stack.aclose()
                raise
            return stack, batches, first

        stack, batches, first = await self.retry.call(start)
        async with stack:
            yield first
            async for batch in batches:
                yield batch

    async def fetch_arrow(
        self, sql: str, params: Params = (), *, timeout: float | None = None
    ) -> pa.Table:
        """Run a query and gather its rows into a ``pyarrow.Table``."""
        return await self._with_connection(
            lambda c: collect(c.stream(sql, params, timeout=timeout))
        )

    async def fetch_polars(
        self, sql: str, params: Params = (), *, timeout: float | None = None
    ) -> pl.DataFrame:
        """Run a query and gather its rows into a ``polars.DataFrame``."""
        return to_polars(await self.fetch_arrow(sql, params, timeout=timeout))

    async def fetch_rows(
        self, sql: str, params: Params = (), *, timeout: float | None = None
    ) -> Rows:
        """Run a query and return its rows as Python tuples; for small results.

        DuckDB and SQLite read them without Arrow (pyarrow is not even imported);
        other engines convert their Arrow batches.

        >>> import anyio
        >>> async def main():
        ...     async with open_pool("duckdb://:memory:") as db:
        ...         return await db.fetch_rows("select 42 as answer, 'a' as b")
        >>> anyio.run(main)
        Rows(columns=('answer', 'b'), rows=[(42, 'a')])
        """
        return await self._with_connection(
            lambda c: c.fetch_rows(sql, params, timeout=timeout)
        )

    async def scalar(
        self, sql: str, params: Params = (), *, timeout: float | None = None
    ) -> Any:
        """The first column of the first row, or ``None`` when there is no row."""
        first = (await self.fetch_rows(sql, params, timeout=timeout)).first()
        return first[0] if first else None

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """Borrow a connection in a transaction, committed unless the block raises."""
        async with self.acquire() as conn, conn.transaction():
            yield conn

    async def schemas(self) -> list[str]:
        """Schema names visible to the data source's user."""
        return await self._with_connection(lambda c: c.schemas())

    async def catalog(self, schema: str | None = None) -> Catalog:
        """One schema's tables, columns and keys; cached ``metadata_ttl`` seconds."""
        cached = self._catalogs.get(schema)
        if cached is not None:
            return cached
        lock = self._catalog_locks.setdefault(schema, anyio.Lock())
        async with lock:  # one introspection per schema, however many ask at once
            cached = self._catalogs.get(schema)
            if cached is None:
                cached = await self._with_connection(lambda c: c.catalog(schema))
                self._catalogs.set(schema, cached)
        return cached

    def invalidate_catalog(
        self, schema: str | None = None, *, all_schemas: bool = False
    ) -> None:
        """Forget cached catalog reads: one schema's, or all with ``all_schemas``."""
        if all_schemas:
            self._catalogs.invalidate()
        else:
            self._catalogs.invalidate(lambda key: key == schema)

    def __repr__(self) -> str:
        s = self.stats
        return f"<Pool {self.name!r} {self.source.url} size={s.size} idle={s.idle}>"
