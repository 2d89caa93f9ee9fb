"""SQLite through the standard library's ``sqlite3`` module, in worker threads.

Every call runs in a worker thread and is interrupted on cancellation. SQLite is
dynamically typed, so result columns get their Arrow type from the *declared*
type of the column they come from (found with a temporary view, see
:meth:`SQLiteConnection._declared_types`); columns without one, such as
expressions, are typed from the values of the first batch. The schema never
changes within a stream: a later value that does not fit raises a clear
:class:`~sqltest_core.QueryError` instead of being altered. ``docs/engines/sqlite.md``
has the full mapping and its reasons.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import threading
import time as _time
import uuid
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Context, Decimal
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, TypeVar
from urllib.parse import urlencode

import anyio
import anyio.to_thread

from sqltest_core.connectors._base import (
    BaseConnection,
    BaseConnector,
    Params,
    ParamStyle,
)
from sqltest_core.connectors._catalog import Catalog, Column, ForeignKey, Table
from sqltest_core.connectors._rows import Rows
from sqltest_core.connectors._threads import run_interruptible
from sqltest_core.errors import (
    ConfigError,
    ConnectError,
    ConnectorError,
    MissingDriver,
    QueryError,
)

if TYPE_CHECKING:
    import sqlite3

    import pyarrow as pa

    from sqltest_core.config import DataSource

__all__ = ["SQLiteConnection", "SQLiteConnector"]

T = TypeVar("T")

_MEMORY = ":memory:"
# Keys passed through to SQLite as URI parameters (https://sqlite.org/uri.html).
_URI_KEYS = frozenset({"mode", "cache", "immutable", "nolock", "vfs", "psow"})
_OWN_KEYS = frozenset({"timeout", "journal_mode", "foreign_keys"})
_JOURNAL_MODES = frozenset({"delete", "truncate", "persist", "memory", "wal", "off"})
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_INTERRUPT_EVERY = 0.005  # seconds between repeated interrupts of one call
_PROBE = "_sqltest_probe"

# Primary result codes (https://sqlite.org/rescode.html).
_SQLITE_ERROR, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_INTERRUPT = 1, 5, 6, 9

_QUERY_START = re.compile(
    r"(?:\s|--[^\n]*(?:\n|$)|/\*.*?\*/|\()*(select|with|values)\b", re.I | re.S
)
# Strings, quoted identifiers and comments are matched whole so that a ``?`` inside
# them is left alone; only bare ``?``/``?NNN`` placeholders are replaced.
_LEXEMES = re.compile(
    r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`(?:[^`]|``)*`|\[[^\]]*\]"
    r"|--[^\n]*|/\*.*?(?:\*/|$)|\?\d*",
    re.S,
)
_TYPE_HINT = re.compile(r"(.+?)\s+\[([^\]]+)\]")
_DECIMAL = re.compile(r"(?:numeric|decimal|number)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)")
_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME_TEXT = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?")
_DATETIME_TEXT = re.compile(
    r"(?P<local>\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?)"
    r"\s*(?P<zone>[zZ]|[+-]\d{2}:\d{2})?"
)


def _driver() -> ModuleType:
    try:
        import sqlite3
    except ImportError as exc:  # Python built without _sqlite3: no pip extra helps
        raise MissingDriver(
            "this Python has no sqlite3 module (it was built without SQLite); "
            "use a Python build with SQLite, or DuckDB"
        ) from exc
    return sqlite3


# -- settings ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Settings:
    uri: str
    label: str
    """The path (or ``:memory:``) for messages; never holds a credential."""
    memory: bool
    timeout: float
    journal_mode: str | None
    journal_mode_explicit: bool
    foreign_keys: bool


def _settings(source: DataSource) -> _Settings:
    url = source.url

    def bad(message: str) -> NoReturn:
        raise ConfigError(message, source=source.name)

    if url.host or url.username or url.port:
        bad(
            "SQLite URLs take no host: write sqlite:///relative.db, "
            "sqlite:////absolute/path.db or sqlite://:memory:"
        )
    options = {**url.query, **{k: str(v) for k, v in source.options.items()}}
    unknown = sorted(set(options) - _URI_KEYS - _OWN_KEYS)
    if unknown:
        bad(
            f"unknown SQLite option(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(_URI_KEYS | _OWN_KEYS))}"
        )
    uri_params = {k: v for k, v in options.items() if k in _URI_KEYS}
    database = url.database or _MEMORY
    memory = (
        database == _MEMORY
        or uri_params.get("mode") == "memory"
        or uri_params.get("vfs") == "memdb"
    )
    if database == _MEMORY:
        # The memdb VFS shares a database between connections whose name starts
        # with "/" and, unlike cache=shared, uses ordinary locks, so the busy
        # timeout applies instead of instant "table is locked" errors.
        label = _MEMORY
        path = f"/sqltest_{uuid.uuid4().hex}"
        uri_params = {**uri_params, "vfs": "memdb"}
        uri = f"file:{path}"
    else:
        # Resolved once, so a later chdir cannot split the pool between two files.
        label = str(Path(database).absolute())
        uri = Path(label).as_uri()
    if uri_params:
        uri += "?" + urlencode(uri_params)

    try:
        timeout = float(options.get("timeout", "5"))
    except ValueError:
        bad(f"timeout must be a number of seconds, not {options['timeout']!r}")
    if timeout < 0:
        bad("timeout must not be negative")
    foreign_keys = options.get("foreign_keys", "on").lower()
    if foreign_keys not in _TRUE | _FALSE:
        bad(f"foreign_keys must be on or off, not {foreign_keys!r}")
    read_only = uri_params.get("mode") == "ro" or uri_params.get("immutable") in _TRUE
    explicit = options.get("journal_mode")
    if explicit is not None and explicit.lower() not in _JOURNAL_MODES:
        bad(f"journal_mode must be one of {', '.join(sorted(_JOURNAL_MODES))}")
    journal_mode = explicit.lower() if explicit else None
    if journal_mode is None and not memory and not read_only:
        journal_mode = "wal"  # readers and a writer then work side by side
    return _Settings(
        uri=uri,
        label=label,
        memory=memory,
        timeout=timeout,
        journal_mode=journal_mode,
        journal_mode_explicit=explicit is not None,
        foreign_keys=foreign_keys in _TRUE,
    )


def _code(exc: BaseException) -> int:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else 0


def _describe(exc: BaseException) -> str:
    name = getattr(exc, "sqlite_errorname", None)
    return f"{exc} ({name})" if name else str(exc)


# -- connector -----------------------------------------------------------------


class SQLiteConnector(BaseConnector):
    """Connector for ``sqlite:///relative.db``, ``sqlite:////abs.db``, ``sqlite://:memory:``.

    Query parameters (and the data source's ``options``): ``timeout`` (busy timeout
    in seconds, default 5), ``journal_mode`` (default ``wal`` for writable files),
    ``foreign_keys`` (default ``on``), and SQLite's URI parameters ``mode``,
    ``cache``, ``immutable``, ``nolock``, ``vfs``, ``psow``.
    """

    name: ClassVar[str] = "sqlite"
    dialect: ClassVar[str] = "sqlite"
    paramstyle: ClassVar[ParamStyle] = "qmark"

    def __init__(self, source: DataSource) -> None:
        super().__init__(source)
        self._settings = _settings(source)
        self._keeper: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _new_raw(self) -> sqlite3.Connection:
        sqlite = _driver()
        conn: sqlite3.Connection = sqlite.connect(
            self._settings.uri,
            uri=True,
            timeout=self._settings.timeout,
            isolation_level=None,  # autocommit: BaseConnection issues BEGIN itself
            check_same_thread=False,  # calls hop between worker threads, one at a time
        )
        return conn

    def _open(self) -> sqlite3.Connection:
        settings = self._settings
        if settings.memory:
            with self._lock:
                if self._keeper is None:
                    # An in-memory database dies with its last connection; this one
                    # keeps it alive for the connector's life, however the pool
                    # opens and closes the others.
                    self._keeper = self._new_raw()
                    weakref.finalize(self, self._keeper.close)
        conn = self._new_raw()
        try:
            conn.execute(
                f"pragma foreign_keys = {'on' if settings.foreign_keys else 'off'}"
            )
            # Reads the file header: "file is not a database" shows here, not later.
            conn.execute("pragma schema_version").fetchone()
            if settings.journal_mode:
                try:
                    conn.execute(
                        f"pragma journal_mode = {settings.journal_mode}"
                    ).fetchone()
                except _driver().OperationalError as exc:
                    # The implicit WAL switch is a convenience; a file we may only
                    # read keeps its journal mode.
                    if settings.journal_mode_explicit or _code(exc) in (
                        _SQLITE_BUSY,
                        _SQLITE_LOCKED,
                    ):
                        raise
        except BaseException:
            conn.close()
            raise
        return conn

    async def connect(self) -> SQLiteConnection:
        """Open a new connection (in a worker thread)."""
        sqlite = _driver()
        try:
            raw = await run_interruptible(self._open)
        except sqlite.Error as exc:
            transient = _code(exc) in (_SQLITE_BUSY, _SQLITE_LOCKED)
            raise ConnectError(
                f"cannot open SQLite database {self._settings.label}: {_describe(exc)}",
                source=self._source.name,
                transient=transient,
            ) from exc
        return SQLiteConnection(self._source, raw)


# -- connection ----------------------------------------------------------------


class SQLiteConnection(BaseConnection):
    """One SQLite connection; every call runs in a worker thread."""

    def __init__(self, source: DataSource, raw: sqlite3.Connection) -> None:
        super().__init__(source)
        self._raw = raw
        self._calls = 0  # numbers worker calls; the one running, if any
        self._running: int | None = None
        self._lock = threading.Lock()
        self._udf_error: Exception | None = None
        raw.create_function("regexp", 2, self._regexp, deterministic=True)

    # -- worker-thread plumbing --------------------------------------------------

    async def _call(self, func: Callable[[], T]) -> T:
        with self._lock:
            self._calls += 1
            call = self._running = self._calls

        def work() -> T:
            try:
                return func()
            finally:
                with self._lock:
                    self._running = None

        return await run_interruptible(work, interrupt=lambda: self._interrupt(call))

    def _interrupt(self, call: int) -> None:
        if not self._interrupt_if_running(call):
            return
        # sqlite3_interrupt() is forgotten when it lands between two statements
        # (a statement that starts with none active clears it), so it is repeated
        # until the worker call returns. Not a progress handler: that takes the
        # GIL every few VM steps and crawls while other threads run Python.
        threading.Thread(
            target=self._interrupt_until_done,
            args=(call,),
            name="sqltest-sqlite-interrupt",
            daemon=True,
        ).start()

    def _interrupt_until_done(self, call: int) -> None:
        while True:
            _time.sleep(_INTERRUPT_EVERY)
            if not self._interrupt_if_running(call):
                return

    def _interrupt_if_running(self, call: int) -> bool:
        with self._lock:  # never interrupt a later call: only ``call`` itself
            if self._running != call:
                return False
            self._raw.interrupt()
            return True

    def _regexp(self, pattern: object, value: object) -> bool | None:
        try:
            return _regexp(pattern, value)
        except re.error as exc:
            # sqlite3 only reports "user-defined function raised exception".
            self._udf_error = exc
            raise

    # -- engine methods -------------------------------------------------------------

    async def _stream(
        self, sql: str, params: Params, batch_size: int
    ) -> AsyncIterator[pa.RecordBatch]:
        args = tuple(_bind(p) for p in params)
        reader, batch = await self._call(lambda: self._start(sql, args, batch_size))
        try:
            while batch is not None:
                yield batch
                batch = await self._call(reader.next_batch) if reader.open else None
        finally:
            if reader.open:
                # Resetting the statement releases its read lock; shielded because
                # this also runs when the consumer was cancelled.
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(reader.close)

    def _start(
        self, sql: str, args: tuple[object, ...], batch_size: int
    ) -> tuple[_Reader, pa.RecordBatch | None]:
        """Run the query and read its first batch, in one trip to the worker thread."""
        reader = _Reader(*self._run(sql, args), batch_size)
        try:
            return reader, reader.next_batch()  # never None: it carries the schema
        except BaseException:
            reader.close()
            raise

    def _run(
        self, sql: str, args: tuple[object, ...]
    ) -> tuple[sqlite3.Cursor, _Result]:
        """Run the statement; its cursor, and how to type the result's values."""
        declared = self._declared_types(sql)
        cursor = self._raw.execute(sql, args)
        description = cursor.description or ()
        if declared is None or len(declared) != len(description):
            declared = [""] * len(description)
        columns = [_column(d[0], t) for d, t in zip(description, declared, strict=True)]
        return cursor, _Result(columns, source=self.name, sql=sql)

    async def _fetch_rows(self, sql: str, params: Params) -> Rows:
        args = tuple(_bind(p) for p in params)
        batch_size = self.source.batch_size

        def run() -> Rows:
            cursor, result = self._run(sql, args)
            try:
                fetched = cursor.fetchall()
            finally:
                cursor.close()
            # Converted batch by batch, as _stream does: the first batch types the
            # columns without a declared type, and a later misfit fails alike.
            rows: list[tuple[object, ...]] = []
            for start in range(0, len(fetched), batch_size):
                rows.extend(result.convert(fetched[start : start + batch_size]))
            return Rows(tuple(c.name for c in result.columns), rows)

        return await self._call(run)

    def _declared_types(self, sql: str) -> list[str] | None:
        """The declared types of a query's result columns, or None if unknown.

        ``sqlite3`` does not expose ``sqlite3_column_decltype``; a temporary view of
        the query has the same column types, read with ``pragma_table_info``. Views
        take no parameters, so placeholders become NULL (compiled, never run). Any
        statement that is not a plain query falls back to typing by values.
        """
        if not _QUERY_START.match(sql):
            return None
        body = _LEXEMES.sub(lambda m: "NULL" if m[0].startswith("?") else m[0], sql)
        create = f'create temp view "{_PROBE}" as {body}'
        drop = f'drop view if exists temp."{_PROBE}"'
        try:
            try:
                self._raw.execute(create)
            except _driver().OperationalError as exc:
                if "already exists" not in str(exc):
                    raise
                self._raw.execute(drop)  # left by a cancelled probe
                self._raw.execute(create)
        except _driver().Error as exc:
            if _code(exc) in (_SQLITE_INTERRUPT, _SQLITE_BUSY, _SQLITE_LOCKED):
                raise
            return None  # not a query SQLite can make a view of
        try:
            rows = self._raw.execute(
                f"select type from pragma_table_info('{_PROBE}', 'temp') order by cid"
            ).fetchall()
        finally:
            self._raw.execute(drop)
        return [str(r[0] or "") for r in rows]

    async def _execute(self, sql: str, params: Params) -> int:
        args = tuple(_bind(p) for p in params)

        def run() -> int:
            if sql == self.rollback_sql and not self._raw.in_transaction:
                # SQLite already rolled back (an interrupted or failed write can
                # end the transaction); the session is clean, nothing to do.
                return -1
            cursor = self._raw.execute(sql, args)
            try:
                return cursor.rowcount
            finally:
                cursor.close()

        return await self._call(run)

    async def _ping(self) -> None:
        await self._call(lambda: self._raw.execute("select 1").fetchall())

    async def _schemas(self) -> list[str]:
        rows = await self._call(
            lambda: self._raw.execute(
                "select name from pragma_database_list order by seq"
            ).fetchall()
        )
        names = [str(r[0]) for r in rows]
        if "temp" not in names:  # listed only once used, yet always there
            names.insert(1, "temp")
        return names

    async def _catalog(self, schema: str | None) -> Catalog:
        name = schema or "main"
        rows = await self._call(lambda: self._read_catalog(name))
        return Catalog.of(name, _tables(name, rows))

    def _read_catalog(self, schema: str) -> list[tuple[Any, ...]]:
        sqlite = _driver()
        stats, view_columns = True, True
        while True:
            sql = _catalog_sql(schema, stats=stats, view_columns=view_columns)
            try:
                rows = self._raw.execute(sql, {"schema": schema}).fetchall()
                break
            except sqlite.OperationalError as exc:
                if _code(exc) != _SQLITE_ERROR:
                    raise
                if stats and "sqlite_stat1" in str(exc):
                    stats = False  # never ANALYZEd: no estimates
                elif view_columns:
                    view_columns = False  # a view over a dropped table fails the pragma
                else:
                    raise
        if view_columns:
            return rows
        # Degraded path, only for a schema holding a broken view: read each view's
        # columns on its own, so one stale view does not hide the whole catalog.
        fixed = []
        for row in rows:
            if row[1] == "view":
                try:
                    cols = self._raw.execute(
                        _VIEW_COLUMNS_SQL, (row[0], schema)
                    ).fetchone()[0]
                except sqlite.OperationalError:
                    cols = "[]"
                row = (*row[:4], cols, *row[5:])
            fixed.append(row)
        return fixed

    async def _close(self) -> None:
        await anyio.to_thread.run_sync(self._raw.close)

    def _map_error(self, exc: Exception, sql: str | None) -> ConnectorError | None:
        sqlite = _driver()
        if not isinstance(exc, sqlite.Error):
            return None
        code = _code(exc)
        message = _describe(exc)
        if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
            # Another connection holds the lock past the busy timeout: retry may win.
            return QueryError(message, sql=sql, transient=True)
        if isinstance(exc, sqlite.ProgrammingError) and "closed" in str(exc):
            return ConnectError(message, sql=sql)
        udf_error, self._udf_error = self._udf_error, None
        if udf_error is not None and "user-defined function" in message:
            message = f"REGEXP: invalid regular expression: {udf_error}"
        return QueryError(message, sql=sql)


# -- REGEXP --------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _regexp(pattern: object, value: object) -> bool | None:
    """``value REGEXP pattern``: Python ``re.search``; NULL if either side is NULL."""
    if pattern is None or value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return _compiled(str(pattern)).search(str(value)) is not None


# -- parameters ----------------------------------------------------------------


def _bind(value: object) -> object:
    """A parameter as SQLite stores it (what the deprecated sqlite3 adapters did)."""
    if value is None or isinstance(value, int | float | str | bytes):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:  # SQLite's date functions work in UTC
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):  # SQLite has no decimal type: REAL, or INTEGER
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value  # sqlite3 rejects it, naming the parameter's position


# -- result typing -------------------------------------------------------------


class _Kind(Enum):
    INFER = "inferred"
    NULL = "null"
    INTEGER = "integer"
    REAL = "real"
    TEXT = "text"
    BLOB = "blob"
    BOOLEAN = "boolean"
    DATE = "date"
    TIME = "time"
    TIMESTAMP = "timestamp"
    TIMESTAMP_TZ = "timestamp with time zone"
    DECIMAL = "decimal"


_EXACT_KINDS = {
    "boolean": _Kind.BOOLEAN,
    "bool": _Kind.BOOLEAN,
    "date": _Kind.DATE,
    "time": _Kind.TIME,
    "time without time zone": _Kind.TIME,
    "datetime": _Kind.TIMESTAMP,
    "timestamp": _Kind.TIMESTAMP,
    "timestamp without time zone": _Kind.TIMESTAMP,
    "timestamptz": _Kind.TIMESTAMP_TZ,
    "timestamp with time zone": _Kind.TIMESTAMP_TZ,
    # NUMERIC affinity by SQLite's rules, but they hold text.
    "json": _Kind.TEXT,
    "uuid": _Kind.TEXT,
    "string": _Kind.TEXT,
    # Unconstrained numerics: float64 whatever the values, so that the type does
    # not depend on which rows happen to fill the first batch.
    "numeric": _Kind.REAL,
    "decimal": _Kind.REAL,
    "number": _Kind.REAL,
}


@dataclass(slots=True)
class _Column:
    name: str
    declared: str
    kind: _Kind
    precision: int = 0
    scale: int = 0

    def arrow_type(self) -> pa.DataType:
        import pyarrow as pa

        if self.kind is _Kind.DECIMAL:
            factory = pa.decimal128 if self.precision <= 38 else pa.decimal256
            return factory(self.precision, self.scale)
        return {
            _Kind.NULL: pa.null(),
            _Kind.INTEGER: pa.int64(),
            _Kind.REAL: pa.float64(),
            _Kind.TEXT: pa.string(),
            _Kind.BLOB: pa.binary(),
            _Kind.BOOLEAN: pa.bool_(),
            _Kind.DATE: pa.date32(),
            _Kind.TIME: pa.time64("us"),
            _Kind.TIMESTAMP: pa.timestamp("us"),
            _Kind.TIMESTAMP_TZ: pa.timestamp("us", tz="UTC"),
        }[self.kind]


def _column(name: str, declared: str) -> _Column:
    """A result column typed by its declared type (SQLite's affinity rules, refined)."""
    # ``expr AS "total [integer]"`` declares a type, as sqlite3's PARSE_COLNAMES does.
    hint = _TYPE_HINT.fullmatch(name)
    if hint:
        name, declared = hint[1], hint[2]
    text = " ".join(declared.lower().split())
    base = text.split("(")[0].strip()
    if not text:
        return _Column(name, declared, _Kind.INFER)
    if base in _EXACT_KINDS:
        decimal = _DECIMAL.fullmatch(text)
        if decimal:
            precision, scale = int(decimal[1]), int(decimal[2] or 0)
            if 1 <= precision <= 76 and scale <= precision:
                return _Column(name, declared, _Kind.DECIMAL, precision, scale)
        return _Column(name, declared, _EXACT_KINDS[base])
    # https://sqlite.org/datatype3.html#determination_of_column_affinity
    if "int" in text:
        kind = _Kind.INTEGER
    elif any(s in text for s in ("char", "clob", "text")):
        kind = _Kind.TEXT
    elif "blob" in text:
        kind = _Kind.BLOB
    elif any(s in text for s in ("real", "floa", "doub")):
        kind = _Kind.REAL
    else:
        kind = _Kind.INFER  # an unknown name: SQLite stores anything, so do we
    return _Column(name, declared, kind)


class _Reader:
    """A cursor read in batches; closed as soon as a short batch shows the end."""

    def __init__(
        self, cursor: sqlite3.Cursor, result: _Result, batch_size: int
    ) -> None:
        self.cursor = cursor
        self.result = result
        self.batch_size = batch_size
        self.open = True

    def next_batch(self) -> pa.RecordBatch | None:
        rows = self.cursor.fetchmany(self.batch_size)
        if len(rows) < self.batch_size:
            self.close()  # saves the round trip that would fetch nothing
        if rows or self.result.schema is None:
            return self.result.batch(rows)
        return None

    def close(self) -> None:
        self.open = False
        self.cursor.close()


class _Unfit(Exception):
    """A value that the column's Arrow type cannot hold without loss."""


_STORAGE_CLASS = {int: "INTEGER", float: "REAL", str: "TEXT", bytes: "BLOB"}
# Kinds whose values, when all of this storage class, are already what Arrow gives.
_PLAIN: dict[_Kind, type] = {
    _Kind.INTEGER: int,
    _Kind.REAL: float,
    _Kind.TEXT: str,
    _Kind.BLOB: bytes,
}


class _Result:
    """Turns row tuples into record batches of one fixed schema."""

    def __init__(self, columns: list[_Column], *, source: str, sql: str) -> None:
        self.columns = columns
        self.source = source
        self.sql = sql
        self.schema: pa.Schema | None = None
        self.typed = False
        self.rows = 0

    def batch(self, rows: Sequence[tuple[object, ...]]) -> pa.RecordBatch:
        import pyarrow as pa

        values = self._values(rows)
        if self.schema is None:
            self.schema = pa.schema(
                [pa.field(c.name, c.arrow_type()) for c in self.columns]
            )
        arrays = [
            self._array(col, vals, field.type)
            for col, vals, field in zip(self.columns, values, self.schema, strict=True)
        ]
        self.rows += len(rows)
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def convert(self, rows: Sequence[tuple[object, ...]]) -> list[tuple[object, ...]]:
        """The rows with the values :meth:`batch` would give, without Arrow."""
        values = self._values(rows)
        columns: list[Sequence[object]] = []
        for col, vals in zip(self.columns, values, strict=True):
            plain = _PLAIN.get(col.kind)
            if plain is not None and all(v is None or type(v) is plain for v in vals):
                columns.append(vals)  # the common case: nothing to convert
                continue
            convert = _converter(col)
            out: list[object] = []
            for i, value in enumerate(vals):
                try:
                    out.append(None if value is None else convert(value))
                except _Unfit:
                    self._unfit(col, value, i)
            columns.append(out)
        self.rows += len(rows)
        return list(zip(*columns, strict=True)) if rows else []

    def _values(self, rows: Sequence[tuple[object, ...]]) -> list[Sequence[object]]:
        """The rows as columns; the first call types the columns without one."""
        values: list[Sequence[object]] = (
            list(zip(*rows, strict=True)) if rows else [() for _ in self.columns]
        )
        if not self.typed:
            for col, vals in zip(self.columns, values, strict=True):
                if col.kind is _Kind.INFER:
                    col.kind = self._infer(col, vals)
            self.typed = True
        return values

    def _infer(self, col: _Column, values: Sequence[object]) -> _Kind:
        classes = {type(v) for v in values if v is not None}
        if not classes:
            return _Kind.NULL
        if classes == {int}:
            return _Kind.INTEGER
        if classes <= {int, float}:
            return _Kind.REAL
        if bytes not in classes:
            return _Kind.TEXT  # numbers beside text become text, losing nothing
        if classes == {bytes}:
            return _Kind.BLOB
        first = next(
            i for i, v in enumerate(values) if v is not None and type(v) is not bytes
        )
        self._unfit(col, values[first], first, note="beside BLOB values")

    def _array(
        self, col: _Column, values: Sequence[object], arrow_type: pa.DataType
    ) -> pa.Array:
        import pyarrow as pa

        fast = _fast_array(col.kind, values, arrow_type)
        if fast is not None:
            return fast
        convert = _converter(col)
        out: list[object] = []
        for i, value in enumerate(values):
            if value is None:
                out.append(None)
                continue
            try:
                out.append(convert(value))
            except _Unfit:
                self._unfit(col, value, i)
        return pa.array(out, type=arrow_type)

    def _unfit(
        self, col: _Column, value: object, index: int, note: str = ""
    ) -> NoReturn:
        storage = _STORAGE_CLASS.get(type(value), type(value).__name__)
        if col.declared:
            typed = f"declared {col.declared}"
        elif col.kind is _Kind.INFER:
            typed = "typed by its values"
        else:
            typed = f"typed {col.kind.value} from the first batch"
        hint = (
            f'give it a type with an alias such as "{col.name} [text]"'
            if col.kind is _Kind.NULL
            else f'convert it in SQL, for example CAST("{col.name}" AS TEXT)'
        )
        raise QueryError(
            f"result column {col.name!r} ({typed}) holds a {storage} value"
            f"{' ' + note if note else ''} in row {self.rows + index + 1} that its "
            f"Arrow type cannot hold; SQLite does not enforce declared types: {hint}",
            source=self.source,
            sql=self.sql,
        )


def _fast_array(
    kind: _Kind, values: Sequence[object], arrow_type: pa.DataType
) -> pa.Array | None:
    """Arrow's C conversion for the clean, common case; None: check each value."""
    import pyarrow as pa

    if kind in (_Kind.BLOB, _Kind.TIME):
        return None
    try:
        arr = pa.array(values)  # storage classes inferred in C
        if arr.type == pa.null():
            return pa.nulls(len(values), arrow_type)
        if kind is _Kind.INTEGER and arr.type in (pa.int64(), pa.float64()):
            return arr.cast(pa.int64())  # safe cast: a fractional value fails
        if kind is _Kind.REAL and arr.type in (pa.int64(), pa.float64()):
            return arr.cast(pa.float64())  # safe cast: beyond 2**53 fails
        if kind is _Kind.TEXT and arr.type == pa.string():
            return arr
        if kind is _Kind.BOOLEAN and arr.type == pa.int64():
            import pyarrow.compute as pc

            bounds = pc.min_max(arr).as_py()
            if bounds["min"] >= 0 and bounds["max"] <= 1:
                return arr.cast(pa.bool_())
        if kind in (_Kind.DATE, _Kind.TIMESTAMP) and arr.type == pa.string():
            return arr.cast(arrow_type)
        if kind is _Kind.DECIMAL and arr.type in (pa.int64(), pa.float64()):
            import pyarrow.compute as pc

            fitted = arr.cast(arrow_type)  # rounds to the scale; overflow fails
            if (
                arr.type == pa.int64()
                or pc.all(pc.equal(fitted.cast(pa.float64()), arr)).as_py()
            ):
                return fitted
            return None  # some value needs more digits: find which, below
        if kind is _Kind.TIMESTAMP_TZ and arr.type == pa.string():
            return arr.cast(pa.timestamp("us")).cast(arrow_type)  # no offsets: UTC
    except pa.ArrowException:
        pass
    return None


def _converter(col: _Column) -> Callable[[object], object]:
    if col.kind is _Kind.DECIMAL:
        return functools.partial(_to_decimal, precision=col.precision, scale=col.scale)
    return _CONVERTERS[col.kind]


def _to_int(v: object) -> int:
    if type(v) is int:
        return v
    if type(v) is float and v.is_integer() and -(2**63) <= v < 2**63:
        return int(v)
    raise _Unfit


def _to_float(v: object) -> float:
    if type(v) is float:
        return v
    if type(v) is int and int(float(v)) == v:
        return float(v)
    raise _Unfit


def _to_text(v: object) -> str:
    if type(v) is str:
        return v
    if type(v) is int:
        return str(v)
    if type(v) is float:
        return repr(v)  # round-trips exactly (SQLite's CAST keeps 15 digits)
    raise _Unfit


def _to_blob(v: object) -> bytes:
    if type(v) is bytes:
        return v
    raise _Unfit


def _to_bool(v: object) -> bool:
    if type(v) in (int, float) and v in (0, 1):
        return bool(v)
    raise _Unfit


def _to_date(v: object) -> date:
    if type(v) is str and _DATE_TEXT.fullmatch(v):
        try:
            return date.fromisoformat(v)
        except ValueError:
            pass
    raise _Unfit


def _to_time(v: object) -> time:
    if type(v) is str and _TIME_TEXT.fullmatch(v):
        try:
            return time.fromisoformat(v)
        except ValueError:
            pass
    raise _Unfit


def _to_datetime(v: object) -> datetime:
    """The text forms SQLite's date functions read (https://sqlite.org/lang_datefunc.html)."""
    match = _DATETIME_TEXT.fullmatch(v) if type(v) is str else None
    if match is None:
        raise _Unfit
    zone = match["zone"]
    try:
        value = datetime.fromisoformat(match["local"])
        if not zone:
            return value
        if zone in "zZ":
            return value.replace(tzinfo=UTC)
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        return value.replace(tzinfo=timezone(-offset if zone[0] == "-" else offset))
    except ValueError:  # February 30th, an offset of 25 hours
        raise _Unfit from None


def _to_naive_utc(v: object) -> datetime:
    value = _to_datetime(v)
    if value.tzinfo is not None:  # as SQLite's datetime() does: shift to UTC
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _to_aware_utc(v: object) -> datetime:
    value = _to_datetime(v)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_WIDE = Context(prec=200)


def _to_decimal(v: object, *, precision: int, scale: int) -> Decimal:
    """``v`` at ``scale`` digits, if that decimal reads back as the very same number."""
    if type(v) is int:
        exact = Decimal(v)
    elif type(v) is float and math.isfinite(v):
        exact = Decimal(v)  # the double's exact binary value
    else:
        raise _Unfit
    fitted = exact.quantize(Decimal(1).scaleb(-scale), context=_WIDE)
    same = fitted == exact if type(v) is int else float(fitted) == v
    if not same or len(fitted.as_tuple().digits) > precision:
        raise _Unfit
    return fitted


def _to_nothing(v: object) -> NoReturn:
    raise _Unfit


_CONVERTERS: dict[_Kind, Callable[[object], object]] = {
    _Kind.NULL: _to_nothing,
    _Kind.INTEGER: _to_int,
    _Kind.REAL: _to_float,
    _Kind.TEXT: _to_text,
    _Kind.BLOB: _to_blob,
    _Kind.BOOLEAN: _to_bool,
    _Kind.DATE: _to_date,
    _Kind.TIME: _to_time,
    _Kind.TIMESTAMP: _to_naive_utc,
    _Kind.TIMESTAMP_TZ: _to_aware_utc,
}


# -- catalog -------------------------------------------------------------------

_VIEW_COLUMNS_SQL = """
select json_group_array(json_array(c.cid, c.name, c.type, c."notnull", c.pk, c.hidden))
from pragma_table_xinfo(?, ?) c
"""


def _catalog_sql(schema: str, *, stats: bool, view_columns: bool) -> str:
    """One row per table or view; columns and keys aggregated as JSON arrays."""
    quoted = '"' + schema.replace('"', '""') + '"'
    estimate = (
        f"(select max(cast(s.stat as integer)) from {quoted}.sqlite_stat1 s "
        "where s.tbl = m.name)"
        if stats
        else "null"
    )
    columns_of = (
        "m.name" if view_columns else "case when m.type = 'table' then m.name end"
    )
    return f"""
select m.name, m.type, coalesce(l.wr, 0),
       case when m.type = 'table' then {estimate} end,
       (select json_group_array(
                   json_array(c.cid, c.name, c.type, c."notnull", c.pk, c.hidden))
          from pragma_table_xinfo({columns_of}, :schema) c),
       (select json_group_array(json_array(f.id, f.seq, f."table", f."from", f."to"))
          from pragma_foreign_key_list(m.name, :schema) f)
from {quoted}.sqlite_schema m
left join pragma_table_list(m.name) l on l.schema = :schema
where m.type in ('table', 'view')
  and m.name not like 'sqlite\\_%' escape '\\'
  and coalesce(l.type, '') <> 'shadow'
"""


def _tables(schema: str, rows: list[tuple[Any, ...]]) -> list[Table]:
    import json

    parsed = []
    keys: dict[str, tuple[str, ...]] = {}
    for name, kind, without_rowid, estimate, columns_json, fks_json in rows:
        # hidden: 0 normal, 1 virtual-table hidden, 2/3 generated (real columns)
        columns = sorted(c for c in json.loads(columns_json or "[]") if c[5] != 1)
        pk = tuple(
            c[1] for c in sorted((c for c in columns if c[4]), key=lambda c: c[4])
        )
        keys[name] = pk
        # An INTEGER PRIMARY KEY is the rowid and WITHOUT ROWID keys are NOT NULL;
        # other primary key columns of rowid tables accept NULL (a SQLite quirk).
        rowid_alias = len(pk) == 1 and any(
            c[4] and str(c[2]).lower() == "integer" for c in columns
        )
        parsed.append(
            (name, kind, without_rowid, estimate, columns, pk, rowid_alias, fks_json)
        )
    tables = []
    for (
        name,
        kind,
        without_rowid,
        estimate,
        columns,
        pk,
        rowid_alias,
        fks_json,
    ) in parsed:
        non_null_pk = kind == "table" and (bool(without_rowid) or rowid_alias)
        foreign_keys = []
        for _, group in itertools.groupby(
            sorted(json.loads(fks_json or "[]")), key=lambda f: f[0]
        ):
            refs = list(group)
            referred = refs[0][2]
            to = tuple(r[4] for r in refs)
            if any(t is None for t in to):  # REFERENCES parent: its primary key
                to = keys.get(referred, ())
            foreign_keys.append(
                ForeignKey(
                    name=None,  # SQLite keeps no constraint names for foreign keys
                    columns=tuple(r[3] for r in refs),
                    referred_schema=schema,
                    referred_table=referred,
                    referred_columns=to,
                )
            )
        tables.append(
            Table(
                schema=schema,
                name=name,
                kind="view" if kind == "view" else "table",
                columns=tuple(
                    Column(
                        name=c[1],
                        data_type=str(c[2] or "").lower(),
                        nullable=not c[3] and not (c[4] and non_null_pk),
                        position=i,
                    )
                    for i, c in enumerate(columns, start=1)
                ),
                primary_key=pk,
                foreign_keys=tuple(foreign_keys),
                row_estimate=int(estimate) if estimate is not None else None,
            )
        )
    return tables
