"""The shape of a connector, and the code every connection shares.

A *connector* (one per data source) opens *connections*; the pool hands each
connection to one task at a time. Engines implement :class:`BaseConnection`'s
small set of ``_``-methods; timing, logging, timeouts, error translation and
transactions are done here once for all of them.
"""

from __future__ import annotations

import contextlib
import importlib
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from types import ModuleType
from typing import (
    TYPE_CHECKING,
    ClassVar,
    Literal,
    Protocol,
    TypeVar,
    runtime_checkable,
)

import anyio

from sqltest_core._logging import get_logger
from sqltest_core.connectors._catalog import Catalog
from sqltest_core.connectors._rows import Rows
from sqltest_core.errors import (
    ConnectError,
    ConnectorError,
    MissingDriver,
    QueryTimeout,
    UnsupportedFeature,
)

if TYPE_CHECKING:
    import pyarrow as pa

    from sqltest_core.config import DataSource

__all__ = [
    "BaseConnection",
    "BaseConnector",
    "Connection",
    "Connector",
    "Deadline",
    "ParamStyle",
    "Params",
    "import_driver",
    "placeholder",
]

Params = Sequence[object]
ParamStyle = Literal["numeric", "qmark", "format"]
T = TypeVar("T")

_log = get_logger("sqltest_core.connectors")


@runtime_checkable
class Connection(Protocol):
    """One open session. Not for concurrent use: the pool lends it to one task."""

    @property
    def is_closed(self) -> bool:
        """True once closed, or once the session is known to be broken."""
        ...

    def stream(
        self,
        sql: str,
        params: Params = (),
        *,
        batch_size: int | None = None,
        timeout: float | None = None,
    ) -> AsyncIterator[pa.RecordBatch]:
        """Run a query; yield its rows as record batches (at least one, maybe empty)."""
        ...

    async def execute(
        self, sql: str, params: Params = (), *, timeout: float | None = None
    ) -> int:
        """Run a statement; return the rows it affected (-1 when unknown)."""
        ...

    async def fetch_rows(
        self, sql: str, params: Params = (), *, timeout: float | None = None
    ) -> Rows:
        """Run a query; return all its rows as Python tuples (for small results)."""
        ...

    def transaction(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Begin a transaction, or a savepoint inside one; commit unless it raises."""
        ...

    async def ping(self) -> None:
        """Raise :class:`~sqltest_core.ConnectError` unless the session answers."""
        ...

    async def schemas(self) -> list[str]:
        """Names of the schemas (databases on MySQL) the session can read."""
        ...

    async def catalog(self, schema: str | None = None) -> Catalog:
        """Tables, views, columns and keys of one schema, in one catalog query."""
        ...

    async def aclose(self) -> None:
        """Close the session; closing twice is harmless."""
        ...


@runtime_checkable
class Connector(Protocol):
    """Opens connections to one data source. Registered under an entry point.

    A connector class is called with the :class:`~sqltest_core.DataSource`; it
    must import its driver lazily (in :meth:`connect`), so that ``import
    sqltest_core`` works without the driver installed.
    """

    name: ClassVar[str]
    """Registry name, also the URL scheme (``postgres``)."""
    dialect: ClassVar[str]
    """sqlglot dialect the engine speaks (``postgres``, ``mysql``, ``duckdb``, ...)."""
    paramstyle: ClassVar[ParamStyle]
    """How bound parameters are written: ``$1`` (numeric), ``?`` (qmark), ``%s``."""

    @property
    def source(self) -> DataSource:
        """The data source this connector opens connections to."""
        ...

    async def connect(self) -> Connection:
        """Open a new session; raise ConnectError (transient when worth a retry)."""
        ...


class BaseConnector:
    """Holds the data source; the built-in connectors derive from it."""

    def __init__(self, source: DataSource) -> None:
        self._source = source

    @property
    def source(self) -> DataSource:
        """The data source this connector opens connections to."""
        return self._source


def placeholder(style: ParamStyle, index: int) -> str:
    """The text of the ``index``-th (0-based) bound parameter in ``style``.

    >>> placeholder("numeric", 0), placeholder("qmark", 0), placeholder("format", 1)
    ('$1', '?', '%s')
    """
    return {"numeric": f"${index + 1}", "qmark": "?", "format": "%s"}[style]


class Deadline:
    """A point in time by which a statement must finish (``None``: no limit)."""

    __slots__ = ("at", "timeout")

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout
        self.at = None if timeout is None else time.monotonic() + timeout

    @contextlib.contextmanager
    def scope(self) -> Iterator[anyio.CancelScope]:
        """Cancel the awaits inside once the deadline passes (TimeoutError after)."""
        if self.at is None:
            with anyio.CancelScope() as scope:
                yield scope
        else:
            with anyio.fail_after(max(0.0, self.at - time.monotonic())) as scope:
                yield scope


class BaseConnection(ABC):
    """Shared behaviour of every built-in connection.

    Subclasses implement ``_stream``, ``_execute``, ``_ping``, ``_schemas``,
    ``_catalog``, ``_close`` and ``_map_error``, and may override ``_fetch_rows``.
    Cancelling any of their awaits must stop the statement on the server (asyncpg
    does it by itself; thread-bound drivers interrupt; MySQL kills the query from
    a second connection). A connection that cannot be trusted afterwards sets
    :attr:`broken`.
    """

    begin_sql: ClassVar[str] = "BEGIN"
    commit_sql: ClassVar[str] = "COMMIT"
    rollback_sql: ClassVar[str] = "ROLLBACK"
    supports_savepoints: ClassVar[bool] = True

    def __init__(self, source: DataSource) -> None:
        self.source = source
        self.broken = False
        self._closed = False
        self._depth = 0
        self._savepoints = 0

    # -- what engines implement -------------------------------------------------

    @abstractmethod
    def _stream(
        self, sql: str, params: Params, batch_size: int
    ) -> AsyncIterator[pa.RecordBatch]:
        """Yield the result as batches of at most ``batch_size`` rows, at least one."""

    @abstractmethod
    async def _execute(self, sql: str, params: Params) -> int:
        """Run one statement; return affected rows or -1."""

    async def _fetch_rows(self, sql: str, params: Params) -> Rows:
        """The whole result as rows; by default gathered from :meth:`_stream`.

        Engines override it with a path that skips Arrow, giving the same values.
        """
        batches = self._stream(sql, params, self.source.batch_size)
        try:
            gathered = [batch async for batch in batches]
        finally:
            # As in stream(): the engine's generator cleans up even when cancelled.
            with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                await batches.aclose()  # type: ignore[attr-defined]
        columns = tuple(gathered[0].schema.names) if gathered else ()
        rows: list[tuple[object, ...]] = []
        for batch in gathered:
            values = [column.to_pylist() for column in batch.columns]
            rows.extend(zip(*values, strict=True))
        return Rows(columns, rows)

    @abstractmethod
    async def _ping(self) -> None:
        """A cheap round trip."""

    @abstractmethod
    async def _schemas(self) -> list[str]:
        """Schema names."""

    @abstractmethod
    async def _catalog(self, schema: str | None) -> Catalog:
        """One schema's catalog in one query (``None``: the current schema)."""

    @abstractmethod
    async def _close(self) -> None:
        """Release the driver connection."""

    @abstractmethod
    def _map_error(self, exc: Exception, sql: str | None) -> ConnectorError | None:
        """Translate a driver exception; ``None`` when it is not the driver's."""

    # -- shared behaviour ---------------------------------------------------------

    @property
    def name(self) -> str:
        """The data source's name."""
        return self.source.name

    @property
    def is_closed(self) -> bool:
        return self._closed or self.broken

    @property
    def in_transaction(self) -> bool:
        """True inside :meth:`transaction`."""
        return self._depth > 0

    @contextlib.contextmanager
    def errors(self, sql: str | None = None) -> Iterator[None]:
        """Translate driver errors into sqltest_core errors, chained to the original."""
        try:
            yield
        except ConnectorError:
            raise
        except Exception as exc:
            mapped = self._map_error(exc, sql)
            if mapped is None:
                raise
            if mapped.source is None:
                mapped.source = self.name
            if isinstance(mapped, ConnectError):
                self.broken = True
            raise mapped from exc

    def _timeout(self, timeout: float | None) -> Deadline:
        return Deadline(
            timeout if timeout is not None else self.source.statement_timeout
        )

    def _timed_out(self, deadline: Deadline, sql: str) -> QueryTimeout:
        return QueryTimeout(
            f"statement cancelled after {deadline.timeout}s timeout",
            source=self.name,
            sql=sql,
        )

    async def stream(
        self,
        sql: str,
        params: Params = (),
        *,
        batch_size: int | None = None,
        timeout: float | None = None,
    ) -> AsyncIterator[pa.RecordBatch]:
        deadline = self._timeout(timeout)
        started = time.perf_counter()
        rows = 0
        batches = self._stream(sql, params, batch_size or self.source.batch_size)
        finished = False
        try:
            while True:
                try:
                    with deadline.scope(), self.errors(sql):
                        batch = await anext(batches)
                except StopAsyncIteration:
                    finished = True
                    break
                except QueryTimeout:
                    raise  # the server's own timeout, already translated
                except TimeoutError:
                    raise self._timed_out(deadline, sql) from None
                rows += batch.num_rows
                yield batch
        finally:
            if not finished:
                # Consumer stopped early, a timeout or an error: the engine's
                # generator cleans up (cancels, drains or marks itself broken).
                with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                    await batches.aclose()  # type: ignore[attr-defined]
            self._log("stream", sql, started, rows, finished)

    async def execute(
        self, sql: str, params: Params = (), *, timeout: float | None = None
    ) -> int:
        return await self._bounded(
            "execute", sql, timeout, lambda: self._execute(sql, params), int
        )

    async def fetch_rows(
        self, sql: str, params: Params = (), *, timeout: float | None = None
    ) -> Rows:
        """Run a query; return all its rows as Python tuples (for small results)."""
        return await self._bounded(
            "rows", sql, timeout, lambda: self._fetch_rows(sql, params), len
        )

    async def _bounded(
        self,
        kind: str,
        sql: str,
        timeout: float | None,
        call: Callable[[], Awaitable[T]],
        size: Callable[[T], int],
    ) -> T:
        """Await ``call()`` within the statement timeout, errors translated, logged."""
        deadline = self._timeout(timeout)
        started = time.perf_counter()
        try:
            with deadline.scope(), self.errors(sql):
                result = await call()
        except QueryTimeout:
            raise
        except TimeoutError:
            raise self._timed_out(deadline, sql) from None
        self._log(kind, sql, started, size(result), True)
        return result

    def _log(
        self, kind: str, sql: str, started: float, rows: int, finished: bool
    ) -> None:
        _log.info(
            "query",
            source=self.name,
            kind=kind,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            rows=rows,
            complete=finished,
        )
        _log.debug("query_sql", source=self.name, sql=sql)

    async def ping(self) -> None:
        with self.errors("ping"):
            await self._ping()

    async def schemas(self) -> list[str]:
        with self.errors():
            return await self._schemas()

    async def catalog(self, schema: str | None = None) -> Catalog:
        with self.errors():
            return await self._catalog(schema)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """A transaction; nested calls make savepoints. Rolls back on any exception.

        The rollback runs shielded, so a cancelled task still leaves the session
        clean for the next borrower.
        """
        if self._depth == 0:
            begin, commit, rollback = self.begin_sql, self.commit_sql, self.rollback_sql
        else:
            if not self.supports_savepoints:
                raise UnsupportedFeature(
                    f"{type(self).__name__} does not support savepoints "
                    "(nested transactions)",
                    source=self.name,
                )
            self._savepoints += 1
            sp = f"sqltest_sp_{self._savepoints}"
            begin = f"SAVEPOINT {sp}"
            commit = f"RELEASE SAVEPOINT {sp}"
            rollback = f"ROLLBACK TO SAVEPOINT {sp}"
        await self.execute(begin)
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            with anyio.CancelScope(shield=True):
                try:
                    await self.execute(rollback)
                except ConnectorError:
                    self.broken = True  # cannot vouch for the session any more
            raise
        self._depth -= 1
        await self.execute(commit)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
            await self._close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "broken" if self.broken else "open"
        return f"<{type(self).__name__} source={self.name!r} {state}>"


def import_driver(module: str, *, extra: str, source: str | None = None) -> ModuleType:
    """Import a driver module, or raise :class:`MissingDriver` naming the extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDriver(
            f"the {module} driver is not installed: "
            f'pip install "sqltest_core[{extra}]"',
            source=source,
        ) from exc
