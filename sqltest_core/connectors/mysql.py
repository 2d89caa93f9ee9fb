"""MySQL and MariaDB through asyncmy (the default) or aiomysql.

Both drivers descend from PyMySQL and differ in a handful of names, gathered in
:class:`_Driver`; everything else is written once. Results stream through
unbuffered (server-side) cursors, so memory stays one batch deep, and become
Arrow batches column-wise through one struct conversion per batch. The schema
comes from the result's column descriptors (type code, flags, character set,
length and scale), not from the values.

MySQL has no protocol-level cancel: a cancelled await kills the statement with
``KILL QUERY <thread id>`` from a short-lived side connection and drops the
session. A stream the consumer leaves early is killed the same way and then
drained to the end-of-result packet, after which the session is clean and stays
in the pool.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Final

import anyio

from sqltest_core._logging import get_logger
from sqltest_core.connectors._base import (
    BaseConnection,
    BaseConnector,
    Params,
    ParamStyle,
    import_driver,
)
from sqltest_core.connectors._catalog import Catalog, Column, ForeignKey, Table
from sqltest_core.errors import (
    ConfigError,
    ConnectError,
    ConnectorError,
    MissingDriver,
    QueryError,
    QueryTimeout,
)

if TYPE_CHECKING:
    import pyarrow as pa

    from sqltest_core.config import DataSource

__all__ = ["MySQLConnection", "MySQLConnector"]

_log = get_logger("sqltest_core.connectors.mysql")

# Column type codes and flags of the client/server protocol (include/mysql_com.h).
_DECIMAL, _TINY, _SHORT, _LONG, _FLOAT, _DOUBLE, _NULL, _TIMESTAMP = range(8)
_LONGLONG, _INT24, _DATE, _TIME, _DATETIME, _YEAR, _NEWDATE, _VARCHAR, _BIT = range(
    8, 17
)
_JSON, _NEWDECIMAL, _ENUM, _SET = 245, 246, 247, 248
_GEOMETRY = 255
_UNSIGNED_FLAG: Final = 32
_BINARY_CHARSET: Final = 63

# Connection-level failures (client 2xxx codes and server codes that end the
# session): worth a retry on a new connection.
_CONNECT_CODES: Final = frozenset(
    {
        1040,  # too many connections
        1053,  # server shutdown in progress
        1152,  # aborted connection
        1158,  # net read error
        1159,  # net read interrupted
        1160,  # net write error
        1161,  # net write interrupted
        1927,  # connection killed (MariaDB)
        2002,  # can't connect through socket
        2003,  # can't connect to server
        2006,  # server has gone away
        2013,  # lost connection during query
        2014,  # commands out of sync: the session cannot be trusted
        2055,  # lost connection at a system call
        4031,  # disconnected for inactivity (MySQL 8)
    }
)
_AUTH_CODES: Final = frozenset({1044, 1045, 1049, 1251, 1698})
_TRANSIENT_QUERY_CODES: Final = frozenset({1205, 1213})  # lock wait, deadlock
_STATEMENT_TIMEOUT_CODES: Final = frozenset({1969, 3024})  # MariaDB, MySQL
_QUERY_INTERRUPTED: Final = 1317
_UNKNOWN_THREAD: Final = 1094
_SYSTEM_SCHEMAS: Final = ("information_schema", "mysql", "performance_schema", "sys")
_DEFAULT_PORT: Final = 3306
_KILL_TIMEOUT: Final = 5.0
_DRAIN_TIMEOUT: Final = 10.0
_ZERO_DATE: Final = r"^(0000-|\d{4}-00-|\d{4}-\d\d-00)"
_NEAR: Final = re.compile(r"near '.*' at line", re.DOTALL)

# One row per table or view, columns and key parts folded into JSON arrays, so a
# schema costs one statement however many tables it has. ``COALESCE(%s,
# DATABASE())`` stays a constant, so information_schema scans one database.
_CATALOG_SQL: Final = """
SELECT s.name, t.table_name, t.table_type, t.table_rows, c.cols, k.keyparts
FROM (SELECT COALESCE(%s, DATABASE()) AS name) AS s
LEFT JOIN information_schema.tables AS t
  ON t.table_schema = COALESCE(%s, DATABASE())
LEFT JOIN (
  SELECT table_name,
         JSON_ARRAYAGG(JSON_ARRAY(column_name, column_type, is_nullable,
                                  ordinal_position)) AS cols
  FROM information_schema.columns
  WHERE table_schema = COALESCE(%s, DATABASE())
  GROUP BY table_name
) AS c ON c.table_name = t.table_name
LEFT JOIN (
  SELECT table_name,
         JSON_ARRAYAGG(JSON_ARRAY(constraint_name, column_name, ordinal_position,
                                  referenced_table_schema, referenced_table_name,
                                  referenced_column_name)) AS keyparts
  FROM information_schema.key_column_usage
  WHERE table_schema = COALESCE(%s, DATABASE())
    AND (constraint_name = 'PRIMARY' OR referenced_table_name IS NOT NULL)
  GROUP BY table_name
) AS k ON k.table_name = t.table_name
"""

_SCHEMAS_SQL: Final = (
    "SELECT schema_name FROM information_schema.schemata "
    "WHERE schema_name NOT IN (%s, %s, %s, %s) ORDER BY schema_name"
)


# -- the two drivers ---------------------------------------------------------------


def _bit_to_int(value: bytes) -> int:
    return int.from_bytes(value, "big")


@dataclass(frozen=True, slots=True)
class _Driver:
    """What differs between asyncmy and aiomysql; the rest of the API is shared."""

    name: str
    connect: Callable[..., Awaitable[Any]]
    database_keyword: str
    cursor: type  # buffered, for statements
    ss_cursor: type  # unbuffered, for results
    error: type[Exception]
    decoders: Mapping[Any, Any]
    pauses_transport: bool
    """asyncmy's protocol never pauses reading, so a slow consumer would let the
    whole result pile up in its buffer; the stream pauses it between batches.
    aiomysql's StreamReader applies back-pressure by itself."""

    def pause(self, raw: Any) -> None:
        if self.pauses_transport and raw._transport is not None:
            raw._transport.pause_reading()

    def resume(self, raw: Any) -> None:
        if self.pauses_transport and raw._transport is not None:
            raw._transport.resume_reading()


def _decoders(converters: Any) -> dict[Any, Any]:
    # Decimals and dates arrive as text and are parsed by Arrow, column-wise: far
    # cheaper than a Decimal or datetime object per value (see
    # benchmarks/mysql_driver_probe.py). ``through`` must be the driver's own
    # object: both drivers skip the call when they see it.
    conv = dict(converters.conversions)
    for code in (_DECIMAL, _NEWDECIMAL, _DATE, _NEWDATE, _DATETIME, _TIMESTAMP):
        conv[code] = converters.through
    conv[_BIT] = _bit_to_int
    return conv


def _quiet(cursor_cls: type) -> type:
    # Both drivers run SHOW WARNINGS after a statement with warnings (aiomysql
    # even raises them as Python warnings); we log the count instead.
    async def _show_warnings(self: object, conn: object) -> None:
        return None

    return type(
        f"Quiet{cursor_cls.__name__}", (cursor_cls,), {"_show_warnings": _show_warnings}
    )


@functools.cache
def _asyncmy() -> _Driver:
    mod = import_driver("asyncmy", extra="mysql")
    cursors = import_driver("asyncmy.cursors", extra="mysql")
    errors = import_driver("asyncmy.errors", extra="mysql")
    converters = import_driver("asyncmy.converters", extra="mysql")
    return _Driver(
        name="asyncmy",
        connect=mod.connect,
        database_keyword="database",
        cursor=_quiet(cursors.Cursor),
        ss_cursor=cursors.SSCursor,  # not subclassed: its fetchmany has a fast path
        error=errors.Error,
        decoders=_decoders(converters),
        pauses_transport=True,
    )


@functools.cache
def _aiomysql() -> _Driver:
    mod = import_driver("aiomysql", extra="mysql")
    converters = import_driver("pymysql.converters", extra="mysql")
    return _Driver(
        name="aiomysql",
        connect=mod.connect,
        database_keyword="db",
        cursor=_quiet(mod.Cursor),
        ss_cursor=_quiet(mod.SSCursor),
        error=mod.Error,
        decoders=_decoders(converters),
        pauses_transport=False,
    )


_DRIVERS: Final = {"asyncmy": _asyncmy, "aiomysql": _aiomysql}


def load_driver(name: str | None, *, source: str | None = None) -> _Driver:
    """The named driver; with no name asyncmy (faster), else aiomysql if installed."""
    if name is not None:
        if name not in _DRIVERS:
            raise ConfigError(
                f"unknown MySQL driver {name!r}: use mysql+asyncmy:// or "
                "mysql+aiomysql://",
                source=source,
            )
        return _DRIVERS[name]()
    try:
        return _asyncmy()
    except MissingDriver:
        try:
            return _aiomysql()
        except MissingDriver:
            raise MissingDriver(
                'no MySQL driver is installed: pip install "sqltest_core[mysql]"',
                source=source,
            ) from None


# -- result decoding ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Plan:
    """How one result column travels: ``wire`` is what the driver hands over."""

    name: str
    wire: pa.DataType
    final: pa.DataType
    finish: Callable[[pa.Array, pa.DataType], pa.Array] | None = None


def _cast(arr: pa.Array, to: pa.DataType) -> pa.Array:
    return arr.cast(to)


def _temporal(arr: pa.Array, to: pa.DataType) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc

    plain = pa.timestamp("us") if pa.types.is_timestamp(to) else to
    try:
        out = arr.cast(plain)
    except pa.ArrowInvalid:
        # Zero dates ('0000-00-00', '2024-00-00') that non-strict sql_modes
        # allow: no instant corresponds, so they read as NULL.
        zero = pc.match_substring_regex(arr, _ZERO_DATE)
        out = pc.if_else(zero, pa.scalar(None, pa.string()), arr).cast(plain)
    return out.cast(to) if plain != to else out  # naive UTC text -> UTC instant


def _decimal(length: int, scale: int, unsigned: bool) -> pa.DataType:
    import pyarrow as pa

    # The descriptor's length is the display width: digits, plus a point when
    # there is a scale, plus a sign unless unsigned.
    precision = max(length - (1 if scale else 0) - (0 if unsigned else 1), scale, 1)
    if precision <= 38:
        return pa.decimal128(precision, scale)
    return pa.decimal256(precision, scale)


def plan_column(
    name: str, type_code: int, flags: int, charsetnr: int, length: int, scale: int
) -> _Plan:
    """The Arrow type of a result column, from its protocol descriptor.

    >>> plan_column("n", 8, 32, 63, 20, 0).final  # BIGINT UNSIGNED
    DataType(uint64)
    >>> plan_column("amount", 246, 0, 63, 14, 2).final  # DECIMAL(12,2)
    Decimal128Type(decimal128(12, 2))
    """
    import pyarrow as pa

    unsigned = bool(flags & _UNSIGNED_FLAG)
    ints = {
        _TINY: (pa.int8(), pa.uint8()),
        _SHORT: (pa.int16(), pa.uint16()),
        _INT24: (pa.int32(), pa.uint32()),
        _LONG: (pa.int32(), pa.uint32()),
        _LONGLONG: (pa.int64(), pa.uint64()),
    }
    if type_code in ints:
        typ = ints[type_code][unsigned]
        return _Plan(name, typ, typ)
    simple = {
        _YEAR: pa.int16(),
        _FLOAT: pa.float32(),
        _DOUBLE: pa.float64(),
        _BIT: pa.uint64(),
        _TIME: pa.duration("us"),
        _NULL: pa.null(),
        _JSON: pa.string(),
        _ENUM: pa.string(),
        _SET: pa.string(),
        _GEOMETRY: pa.binary(),
    }
    if type_code in simple:
        return _Plan(name, simple[type_code], simple[type_code])
    if type_code in (_DECIMAL, _NEWDECIMAL):
        return _Plan(name, pa.string(), _decimal(length, scale, unsigned), _cast)
    temporal = {
        _DATE: pa.date32(),
        _NEWDATE: pa.date32(),
        _DATETIME: pa.timestamp("us"),
        _TIMESTAMP: pa.timestamp("us", tz="UTC"),
    }
    if type_code in temporal:
        return _Plan(name, pa.string(), temporal[type_code], _temporal)
    # CHAR, VARCHAR, TEXT and BLOB kinds share type codes: the character set
    # tells text from bytes (the BINARY flag only means a binary collation).
    typ = pa.binary() if charsetnr == _BINARY_CHARSET else pa.string()
    return _Plan(name, typ, typ)


class _Decoder:
    """Turns row tuples of one result into record batches of one schema."""

    def __init__(self, plans: list[_Plan]) -> None:
        import pyarrow as pa

        self.plans = plans
        self.schema = pa.schema([pa.field(p.name, p.final) for p in plans])
        self._wire = pa.struct([pa.field(p.name, p.wire) for p in plans])

    @classmethod
    def for_fields(cls, fields: list[Any]) -> _Decoder:
        return cls(
            [
                plan_column(
                    f.name, f.type_code, f.flags, f.charsetnr, f.length, f.scale
                )
                for f in fields
            ]
        )

    def empty(self) -> pa.RecordBatch:
        return _empty_batch(self.schema)

    def batch(self, rows: list[tuple[Any, ...]]) -> pa.RecordBatch:
        import pyarrow as pa

        try:
            # One C-level pass over the row tuples, no per-column Python lists.
            columns = pa.array(rows, type=self._wire).flatten()
            arrays = [
                p.finish(col, p.final) if p.finish else col
                for p, col in zip(self.plans, columns, strict=True)
            ]
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise QueryError(self._explain(rows, exc)) from exc
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def _explain(self, rows: list[tuple[Any, ...]], exc: Exception) -> str:
        import pyarrow as pa

        for i, p in enumerate(self.plans):
            try:
                col = pa.array([r[i] for r in rows], type=p.wire)
                if p.finish:
                    p.finish(col, p.final)
            except (pa.ArrowInvalid, pa.ArrowTypeError) as col_exc:
                return f"column {p.name!r} does not convert to {p.final}: {col_exc}"
        return f"result does not convert to Arrow: {exc}"


def _empty_batch(schema: pa.Schema) -> pa.RecordBatch:
    import pyarrow as pa

    return pa.RecordBatch.from_arrays(
        [pa.array([], type=f.type) for f in schema], schema=schema
    )


# -- connector and connection ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Settings:
    """Connection settings read from the URL and the data source."""

    connect_kwargs: Mapping[str, Any] = field(repr=False)  # holds the password
    session_sql: str
    max_statement_time: float | None


_URL_OPTIONS: Final = frozenset(
    {"charset", "connect_timeout", "net_write_timeout", "max_statement_time"}
)


def _settings(source: DataSource, driver: _Driver) -> _Settings:
    url = source.effective_url
    query = dict(url.query)
    unknown = sorted(set(query) - _URL_OPTIONS)
    if unknown:
        raise ConfigError(
            f"unknown MySQL URL option(s) {', '.join(unknown)}; known: "
            f"{', '.join(sorted(_URL_OPTIONS))} (pass driver arguments in 'options')",
            source=source.name,
        )
    try:
        connect_timeout = float(query.get("connect_timeout", 10))
        net_write_timeout = int(query.get("net_write_timeout", 600))
        guard = query.get("max_statement_time")
        max_statement_time = float(guard) if guard else None
    except ValueError as exc:
        raise ConfigError(f"bad MySQL URL option: {exc}", source=source.name) from None
    kwargs: dict[str, Any] = {
        "host": url.host or "127.0.0.1",
        "port": url.port or _DEFAULT_PORT,
        "user": url.username,
        "password": url.password.reveal() if url.password else "",
        driver.database_keyword: url.database,
        "charset": query.get("charset", "utf8mb4"),
        "autocommit": True,
        "connect_timeout": connect_timeout,
        "conv": dict(driver.decoders),
        "local_infile": False,
        **source.options,
    }
    # TIMESTAMP values are sent in the session time zone: UTC makes the text an
    # instant. A stalled consumer blocks the server's writes; Connector/J's
    # streaming default of 600 s replaces the server's 60 s before it gives up.
    session = f"SET time_zone = '+00:00', net_write_timeout = {net_write_timeout}"
    return _Settings(kwargs, session, max_statement_time)


class MySQLConnector(BaseConnector):
    """Connector for ``mysql://`` and ``mariadb://`` URLs.

    ``mysql+asyncmy://`` and ``mysql+aiomysql://`` pick the driver; without one
    asyncmy is used (about five times faster). URL query options: ``charset``
    (``utf8mb4``), ``connect_timeout`` (10 s), ``net_write_timeout`` (600 s),
    ``max_statement_time`` (seconds; a server-side guard, off by default). The data
    source's ``options`` go to the driver's ``connect`` as they are.
    """

    name: ClassVar[str] = "mysql"
    dialect: ClassVar[str] = "mysql"
    paramstyle: ClassVar[ParamStyle] = "format"

    async def connect(self) -> MySQLConnection:
        """Open a session (autocommit on, time zone UTC)."""
        driver = load_driver(self._source.url.driver, source=self._source.name)
        conn = MySQLConnection(self._source, driver, _settings(self._source, driver))
        await conn.open()
        return conn


class MySQLConnection(BaseConnection):
    """One MySQL/MariaDB session on either driver."""

    def __init__(
        self, source: DataSource, driver: _Driver, settings: _Settings
    ) -> None:
        super().__init__(source)
        self.driver = driver
        self.raw: Any = None  # the driver's connection
        self.thread_id: int | None = None
        self.is_mariadb = False
        self._settings = settings
        self._connecting = False
        self._params: Params = ()
        self._open_cursor: Any = None  # an unbuffered result not yet read to its end

    async def open(self) -> None:
        """Connect and prepare the session; ConnectError when it cannot."""
        self._connecting = True
        try:
            with self.errors():
                self.raw = await self.driver.connect(**self._settings.connect_kwargs)
                self.thread_id = int(self.raw.thread_id())
                self.is_mariadb = "mariadb" in self.raw.get_server_info().lower()
                await self._run(self._session_sql())
        except BaseException:
            if self.raw is not None:
                self.raw.close()
            self._closed = True
            raise
        finally:
            self._connecting = False

    def _session_sql(self) -> str:
        sql = self._settings.session_sql
        guard = self._settings.max_statement_time
        if guard is not None:
            # MariaDB bounds every statement; MySQL only SELECTs, in milliseconds.
            if self.is_mariadb:
                sql += f", max_statement_time = {guard:g}"
            else:
                sql += f", max_execution_time = {round(guard * 1000)}"
        return sql

    # -- statements --------------------------------------------------------------

    async def _ready(self) -> Any:  # Any: the untyped driver connection
        """The driver connection, once any result left unread is settled."""
        with anyio.CancelScope(shield=True):
            await self._settle()
        if self.raw is None or self.broken:
            raise ConnectError(
                "the connection is closed", source=self.name, transient=False
            )
        return self.raw

    async def _run(self, sql: str, params: Params = ()) -> int:
        cursor = self.driver.cursor(self.raw)
        async with self._guard():
            await cursor.execute(sql, tuple(params) if params else None)
            count = cursor.rowcount
            warnings = (
                getattr(cursor._result, "warning_count", 0) if cursor._result else 0
            )
            await cursor.close()
        if warnings:
            _log.warning("server_warnings", source=self.name, count=warnings)
        return count if isinstance(count, int) and 0 <= count < 2**63 else -1

    async def _execute(self, sql: str, params: Params) -> int:
        await self._ready()
        self._params = params
        return await self._run(sql, params)

    async def _stream(
        self, sql: str, params: Params, batch_size: int
    ) -> AsyncIterator[pa.RecordBatch]:
        raw, driver = await self._ready(), self.driver
        self._params = params
        cursor = driver.ss_cursor(raw)
        self._open_cursor = cursor
        try:
            async with self._guard(cursor):
                await cursor.execute(sql, tuple(params) if params else None)
            if not cursor.description:
                # A statement without a result set: one empty, column-less batch.
                self._open_cursor = None
                yield _empty_batch(_Decoder([]).schema)
                return
            decoder = _Decoder.for_fields(cursor._result.fields)
            sent = False
            while True:
                async with self._guard(cursor):
                    rows = await cursor.fetchmany(batch_size)
                if not rows:
                    break
                batch = decoder.batch(rows)
                driver.pause(raw)
                try:
                    yield batch
                finally:
                    driver.resume(raw)
                sent = True
            self._open_cursor = None
            await cursor.close()
            if not sent:
                yield decoder.empty()
        finally:
            if self._open_cursor is cursor:
                # Left early (consumer stopped, error) with rows still coming.
                with anyio.CancelScope(shield=True):
                    await self._settle()

    async def _settle(self) -> None:
        """Finish a result left unread: kill it, read to its end, keep the session.

        Also runs before the next statement, for a stream dropped without
        ``aclose`` whose clean-up the event loop has not run yet.
        """
        cursor, self._open_cursor = self._open_cursor, None
        if cursor is None or self.is_closed:
            return
        result = cursor._result
        if result is None or not result.unbuffered_active:
            with contextlib.suppress(Exception):
                await cursor.close()
            return
        await self._kill_query()
        with anyio.move_on_after(_DRAIN_TIMEOUT):
            try:
                while await cursor.fetchmany(4096):
                    pass
            except self.driver.error as exc:
                if _code(exc) != _QUERY_INTERRUPTED:
                    self._abandon()
                    return
            # The error packet ended the result; tell the driver so it does not
            # wait for an end-of-rows packet that will never come.
            result.unbuffered_active = False
            with contextlib.suppress(Exception):
                await cursor.close()
            return
        self._abandon()  # the drain took too long: the session is unknown

    @contextlib.asynccontextmanager
    async def _guard(self, cursor: Any = None) -> AsyncIterator[None]:
        """On cancellation kill the statement on the server and drop the session.

        The driver may have been cut off mid-packet, so the session cannot be
        trusted afterwards. A server error ends an unbuffered result, which the
        drivers do not note; without it the next command would wait for rows.
        """
        try:
            yield
        except self.driver.error:
            result = getattr(cursor, "_result", None)
            if result is not None:
                result.unbuffered_active = False
            raise
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await self._kill_query()
            self._abandon()
            raise

    async def _kill_query(self) -> None:
        """``KILL QUERY`` this session's statement from a side connection."""
        if self.thread_id is None:
            return
        kwargs = dict(self._settings.connect_kwargs)
        kwargs[self.driver.database_keyword] = None
        kwargs["connect_timeout"] = _KILL_TIMEOUT
        with anyio.move_on_after(_KILL_TIMEOUT) as scope:
            side = None
            try:
                side = await self.driver.connect(**kwargs)
                cursor = self.driver.cursor(side)
                await cursor.execute(f"KILL QUERY {int(self.thread_id)}")
            except self.driver.error as exc:
                if _code(exc) != _UNKNOWN_THREAD:  # already gone: nothing to kill
                    _log.warning(
                        "kill_failed", source=self.name, error=self._describe(exc)
                    )
            except OSError as exc:
                _log.warning("kill_failed", source=self.name, error=str(exc))
            finally:
                if side is not None:
                    with contextlib.suppress(Exception):
                        await side.ensure_closed()
                    side.close()
        if scope.cancelled_caught:
            _log.warning("kill_timed_out", source=self.name, thread_id=self.thread_id)

    def _abandon(self) -> None:
        self.broken = True
        self._open_cursor = None
        if self.raw is not None:
            self.raw.close()

    # -- metadata ------------------------------------------------------------------

    async def _fetch(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        cursor = self.driver.ss_cursor(await self._ready())
        self._params = ()
        async with self._guard(cursor):
            await cursor.execute(sql, tuple(params) if params else None)
            rows: list[tuple[Any, ...]] = list(await cursor.fetchall())
            await cursor.close()
        return rows

    async def _ping(self) -> None:
        raw = await self._ready()
        async with self._guard():
            await raw.ping(reconnect=False)

    async def _schemas(self) -> list[str]:
        return [r[0] for r in await self._fetch(_SCHEMAS_SQL, _SYSTEM_SCHEMAS)]

    async def _catalog(self, schema: str | None) -> Catalog:
        rows = await self._fetch(_CATALOG_SQL, (schema,) * 4)
        name = rows[0][0] if rows else None
        if name is None:
            raise QueryError(
                "no database selected: name a schema or put a database in the URL",
                source=self.name,
            )
        tables = [_table(name, *row[1:]) for row in rows if row[1] is not None]
        return Catalog.of(name, tables)

    async def _close(self) -> None:
        raw, self.raw = self.raw, None
        if raw is None:
            return
        if not self.broken and self._open_cursor is None:
            with anyio.move_on_after(_KILL_TIMEOUT), contextlib.suppress(Exception):
                await raw.ensure_closed()  # a polite QUIT
        raw.close()

    # -- errors ----------------------------------------------------------------------

    def _map_error(self, exc: Exception, sql: str | None) -> ConnectorError | None:
        if isinstance(exc, self.driver.error):
            code = _code(exc)
            message = self._describe(exc)
            if code in _STATEMENT_TIMEOUT_CODES:
                return QueryTimeout(f"server statement timeout: {message}", sql=sql)
            if (
                code in _CONNECT_CODES
                or code == 0
                or (self._connecting and code in _AUTH_CODES)
            ):
                return ConnectError(message, sql=sql, transient=code not in _AUTH_CODES)
            if self._connecting:
                return ConnectError(message, transient=False)
            return QueryError(
                message, sql=sql, transient=code in _TRANSIENT_QUERY_CODES
            )
        if isinstance(exc, TimeoutError):
            return None  # the base's deadline, turned into QueryTimeout there
        if isinstance(exc, OSError | EOFError):
            return ConnectError(f"connection lost: {exc}", sql=sql)
        return None

    def _describe(self, exc: Exception) -> str:
        """``MySQL error N: text``, without the values of bound parameters."""
        code = _code(exc)
        text = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
        if self._params:
            # The drivers interpolate parameters client-side, so the server's
            # text can quote them back (``near '...'``, ``Duplicate entry``).
            text = _NEAR.sub("near <statement with bound parameters> at line", text)
            for value in self._params:
                shown = (
                    value.decode(errors="replace")
                    if isinstance(value, bytes)
                    else value
                )
                if isinstance(shown, str) and len(shown) >= 3:
                    text = text.replace(shown, "<parameter>")
        return f"MySQL error {code}: {text}" if code else text


def _code(exc: BaseException) -> int:
    code = exc.args[0] if exc.args else 0
    return code if isinstance(code, int) else 0


def _table(
    schema: str,
    name: str,
    table_type: str,
    table_rows: int | None,
    cols_json: str | None,
    keys_json: str | None,
) -> Table:
    is_view = table_type in ("VIEW", "SYSTEM VIEW")
    cols = sorted(json.loads(cols_json or "[]"), key=lambda c: c[3])
    keyparts = sorted(json.loads(keys_json or "[]"), key=lambda k: k[2])
    primary = tuple(k[1] for k in keyparts if k[0] == "PRIMARY" and k[4] is None)
    fks: dict[str, list[list[Any]]] = {}
    for part in keyparts:
        if part[4] is not None:
            fks.setdefault(part[0], []).append(part)
    return Table(
        schema=schema,
        name=name,
        kind="view" if is_view else "table",
        columns=tuple(
            Column(name=c[0], data_type=c[1], nullable=c[2] == "YES", position=c[3])
            for c in cols
        ),
        primary_key=primary,
        foreign_keys=tuple(
            ForeignKey(
                name=fk_name,
                columns=tuple(p[1] for p in parts),
                referred_schema=parts[0][3],
                referred_table=parts[0][4],
                referred_columns=tuple(p[5] for p in parts),
            )
            for fk_name, parts in sorted(fks.items())
        ),
        row_estimate=None if is_view or table_rows is None else int(table_rows),
    )
