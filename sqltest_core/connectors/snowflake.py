"""Snowflake, through the blocking snowflake-connector-python driver.

Every driver call runs in a worker thread (:func:`run_interruptible`), so the event
loop never blocks. Results arrive as the driver's native Arrow batches, re-chunked
to ``batch_size`` and conformed to one schema derived from the result's column
metadata (see ``docs/engines/snowflake.md`` for the type table).

URL forms::

    snowflake://USER:PASSWORD@ACCOUNT/DATABASE/SCHEMA?warehouse=WH&role=ROLE
    snowflake://USER:PASSWORD@HOST:PORT/DATABASE/SCHEMA?account=ACCOUNT&protocol=http

Without an ``account`` parameter the host part is the account identifier (or the
account's full ``*.snowflakecomputing.com`` host name); with one, host and port
are where to connect (an emulator, a proxy). Anything else the driver accepts
(``authenticator``, ``private_key``, ``token``, ``session_parameters``...) goes in
``DataSource.options``, which override the URL and are never logged.

Network waits are bounded: one HTTP attempt by ``socket_timeout`` (default 60 s),
the driver's retries of one request (refused connections, read timeouts, HTTP
5xx/429) by ``retry_timeout`` (default 60 s), after which the statement fails with
a transient :class:`ConnectError` that the pool's retry policy may act on.
"""

from __future__ import annotations

import functools
import json
import math
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import anyio
import anyio.to_thread

from sqltest_core._logging import get_logger
from sqltest_core._secrets import MASK, register_secret
from sqltest_core.connectors._base import (
    BaseConnection,
    BaseConnector,
    Deadline,
    Params,
    ParamStyle,
    import_driver,
)
from sqltest_core.connectors._catalog import Catalog, Column, ForeignKey, Table
from sqltest_core.connectors._threads import run_interruptible
from sqltest_core.errors import (
    ConfigError,
    ConnectError,
    ConnectorError,
    QueryError,
    QueryTimeout,
)

if TYPE_CHECKING:
    import pyarrow as pa

    from sqltest_core.config import DataSource

__all__ = [
    "SnowflakeConnection",
    "SnowflakeConnector",
    "catalog_sql",
    "connect_arguments",
]

_log = get_logger("sqltest_core.connectors.snowflake")

_URL_PARAMETERS: Mapping[str, Callable[[str], object]] = {
    "account": str,
    "warehouse": str,
    "role": str,
    "protocol": str,
    "authenticator": str,
    "application": str,
    "login_timeout": int,
    "network_timeout": int,
    "socket_timeout": int,
}
# Snowflake holds a query request up to ~45 s before answering "still running"
# (then the driver polls), so a socket read timeout must stay above that.
_SOCKET_TIMEOUT = 60
_LOGIN_TIMEOUT = 60
_RETRY_TIMEOUT = 60.0
_FAILED_TO_REQUEST = 250003  # the driver's own errno for a request that gave up
_SECRET_OPTIONS = frozenset(
    {
        "password",
        "passcode",
        "token",
        "private_key",
        "private_key_file_pwd",
        "oauth_client_secret",
    }
)
_OWN_PARAMETERS = ("catalog_keys", "retry_timeout")  # ours, not the driver's
_HOST_SUFFIX = ".snowflakecomputing."

# Snowflake error numbers (driver errno) that decide how an error is classed.
_CANCELLED = 604
_STATEMENT_TIMEOUT = 630
_LOCK_WAIT = frozenset({625})  # lock wait timed out: a retry may well succeed
_SESSION_GONE = frozenset({390104, 390110, 390111, 390112, 390113, 390114, 390115})
_NETWORK = frozenset({250001, 250002, 250003, 250005, 251011, 251012, 252010})
_DML_COLUMNS = frozenset(
    {
        "number of rows updated",
        "number of multi-joined rows updated",
        "number of rows deleted",
    }
)
_ABORT_ATTEMPTS = 10  # an abort that races the query's own start is simply resent


@dataclass(frozen=True, slots=True)
class _Settings:
    kwargs: dict[str, Any]
    catalog_keys: bool
    retry_timeout: float


def _flag(value: object, key: str) -> bool:
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{key} must be true or false, got {value!r}")


def _seconds(value: object, key: str) -> float:
    try:
        seconds = float(str(value))
    except ValueError:
        seconds = math.nan
    if not seconds > 0 or math.isinf(seconds):
        raise ConfigError(f"{key} must be a positive number of seconds, got {value!r}")
    return seconds


def _settings(source: DataSource) -> _Settings:
    url = source.effective_url
    if url.driver:
        raise ConfigError(
            f"snowflake URLs take no '+{url.driver}' driver part", source=source.name
        )
    kwargs: dict[str, Any] = {}
    query = dict(url.query)
    catalog_keys = _flag(query.pop("catalog_keys", "true"), "catalog_keys")
    retry_timeout = _seconds(
        query.pop("retry_timeout", _RETRY_TIMEOUT), "retry_timeout"
    )
    unknown = sorted(set(query) - set(_URL_PARAMETERS))
    if unknown:
        raise ConfigError(
            f"unknown snowflake URL parameter(s) {', '.join(unknown)}; the URL "
            f"takes {', '.join(sorted([*_URL_PARAMETERS, *_OWN_PARAMETERS]))}; pass "
            "other driver arguments in the data source's options",
            source=source.name,
        )
    for key, value in query.items():
        try:
            kwargs[key] = _URL_PARAMETERS[key](value)
        except ValueError:
            raise ConfigError(f"bad value for URL parameter {key}: {value!r}") from None
    if url.host:
        if "account" in kwargs:
            kwargs["host"] = url.host
        elif _HOST_SUFFIX in url.host.lower():
            kwargs["host"] = url.host
            kwargs["account"] = url.host[: url.host.lower().index(_HOST_SUFFIX)]
        else:
            kwargs["account"] = url.host
    if url.port is not None:
        kwargs["port"] = url.port
    if url.username:
        kwargs["user"] = url.username
    if url.password is not None:
        kwargs["password"] = url.password.reveal()
    if url.database:
        parts = url.database.strip("/").split("/")
        if len(parts) > 2 or not all(parts):
            raise ConfigError(
                "expected /DATABASE or /DATABASE/SCHEMA in a snowflake URL, "
                f"got /{url.database}",
                source=source.name,
            )
        kwargs["database"] = parts[0]
        if len(parts) == 2:
            kwargs["schema"] = parts[1]
    options = dict(source.options)
    if "catalog_keys" in options:
        catalog_keys = _flag(options.pop("catalog_keys"), "catalog_keys")
    if "retry_timeout" in options:
        retry_timeout = _seconds(options.pop("retry_timeout"), "retry_timeout")
    for key in _SECRET_OPTIONS & options.keys():
        if isinstance(options[key], str):
            register_secret(options[key])
    session = {
        **kwargs.pop("session_parameters", {}),
        **options.pop("session_parameters", {}),
    }
    kwargs.update(options)
    if session:
        kwargs["session_parameters"] = session
    # network_timeout is left unset on purpose: the driver also aborts every
    # statement that runs longer than it (the "timebomb" in cursor.execute).
    kwargs.setdefault("socket_timeout", _SOCKET_TIMEOUT)
    kwargs.setdefault("login_timeout", _LOGIN_TIMEOUT)
    if kwargs.setdefault("paramstyle", "qmark") != "qmark":
        raise ConfigError(
            "the snowflake connector binds parameters as qmark ('?') only"
        )
    if not kwargs.setdefault("arrow_number_to_decimal", True):
        raise ConfigError(
            "arrow_number_to_decimal=False would turn NUMBER(p,s) into floats"
        )
    if not kwargs.get("account"):
        raise ConfigError(
            "a snowflake URL needs an account: "
            "snowflake://USER@ACCOUNT/DATABASE/SCHEMA "
            "(or ?account=... with an explicit host)",
            source=source.name,
        )
    return _Settings(kwargs, catalog_keys, retry_timeout)


def _bounded_backoff(
    policy: Callable[[], Iterator[int]],
    budget: float,
    error: Callable[[str], Exception],
) -> Callable[[], Iterator[int]]:
    """Wrap a driver backoff policy so that retrying one request stops after ``budget``.

    The driver asks a fresh generator for its first delay as each HTTP request
    starts and for the next one after each failed attempt; with no
    ``network_timeout`` it would otherwise retry forever (a stalled server, an
    endless run of HTTP 503). Raising here ends that loop and reaches the caller.
    """

    def generator() -> Iterator[int]:
        started = time.monotonic()
        for delay in policy():
            elapsed = time.monotonic() - started
            if elapsed >= budget:
                raise error(
                    f"no answer from Snowflake after retrying a request for "
                    f"{elapsed:.0f}s (retry_timeout={budget:g}s)"
                )
            yield max(0, min(delay, math.ceil(budget - elapsed)))

    return generator


def connect_arguments(source: DataSource) -> dict[str, Any]:
    """The keyword arguments for ``snowflake.connector.connect`` (password masked).

    >>> from sqltest_core.config import DataSource
    >>> ds = DataSource(url="snowflake://me:pw123@xy12345.eu-west-1/SALES/PUBLIC?warehouse=WH")
    >>> sorted(connect_arguments(ds).items())  # doctest: +NORMALIZE_WHITESPACE
    [('account', 'xy12345.eu-west-1'), ('arrow_number_to_decimal', True),
     ('database', 'SALES'), ('login_timeout', 60), ('paramstyle', 'qmark'),
     ('password', '***'), ('schema', 'PUBLIC'), ('socket_timeout', 60),
     ('user', 'me'), ('warehouse', 'WH')]
    """
    masked = dict(_settings(source).kwargs)
    for key in _SECRET_OPTIONS & masked.keys():
        masked[key] = MASK
    return masked


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_string(text: str) -> str:
    # Snowflake string literals treat backslash as an escape character too.
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def catalog_sql(schema: str | None, *, keys: bool = True) -> str:
    """The one statement that reads a schema's catalog (``None``: the current schema).

    Columns, tables and views come from ``INFORMATION_SCHEMA``, which has no key
    columns; with ``keys`` the primary and foreign keys come from ``SHOW PRIMARY
    KEYS`` and ``SHOW IMPORTED KEYS``, chained into the same statement with the
    pipe operator ``->>`` (``$1`` is the statement just before, ``$2`` the one
    before that). Each row has a ``KIND``: ``column``, ``pk`` or ``fk``.
    """
    where = "CURRENT_SCHEMA()" if schema is None else _quote_string(schema)
    scope = "" if schema is None else " " + _quote_identifier(schema)
    columns = f"""SELECT 'column' AS kind, c.table_name, COALESCE(t.table_type,
    CASE WHEN v.table_name IS NOT NULL THEN 'VIEW' END) AS table_type,
  t.row_count, c.column_name, c.data_type, c.is_nullable, c.ordinal_position,
  c.character_maximum_length, c.numeric_precision, c.numeric_scale,
  NULL AS key_name, NULL AS ref_schema, NULL AS ref_table, NULL AS ref_column
FROM information_schema.columns AS c
LEFT JOIN information_schema.tables AS t
  ON t.table_schema = c.table_schema AND t.table_name = c.table_name
LEFT JOIN information_schema.views AS v
  ON v.table_schema = c.table_schema AND v.table_name = c.table_name
WHERE c.table_schema = {where}"""
    if not keys:
        return columns
    return f"""SHOW PRIMARY KEYS IN SCHEMA{scope}
->> SHOW IMPORTED KEYS IN SCHEMA{scope}
->> {columns}
UNION ALL
SELECT 'pk', pk."table_name", NULL, NULL, pk."column_name", NULL, NULL,
  pk."key_sequence", NULL, NULL, NULL, pk."constraint_name", NULL, NULL, NULL
FROM $2 AS pk
UNION ALL
SELECT 'fk', fk."fk_table_name", NULL, NULL, fk."fk_column_name", NULL, NULL,
  fk."key_sequence", NULL, NULL, NULL, fk."fk_name",
  fk."pk_schema_name", fk."pk_table_name", fk."pk_column_name"
FROM $1 AS fk"""


def _type_name(data_type: str, length: Any, precision: Any, scale: Any) -> str:
    kind = data_type.lower()
    if kind == "number" and precision is not None:
        return f"number({int(precision)},{int(scale or 0)})"
    if kind == "text":
        return f"varchar({int(length)})" if length is not None else "varchar"
    if kind == "binary" and length is not None:
        return f"binary({int(length)})"
    return kind


def _build_catalog(schema: str, rows: Sequence[Mapping[str, Any]]) -> Catalog:
    """Assemble a catalog from the rows of :func:`catalog_sql` (names upper-cased)."""
    columns: dict[str, dict[str, Column]] = {}
    kinds: dict[str, str] = {}
    estimates: dict[str, int | None] = {}
    pks: dict[str, list[tuple[int, str]]] = {}
    fks: dict[tuple[str, str], list[tuple[int, str, str, str, str]]] = {}
    for row in rows:
        table = str(row["TABLE_NAME"])
        if row["KIND"] == "column":
            kind = str(row["TABLE_TYPE"] or "VIEW").upper()
            kinds[table] = "view" if kind.endswith("VIEW") else "table"
            count = row["ROW_COUNT"]
            estimates[table] = (
                None if count is None or kinds[table] == "view" else int(count)
            )
            name = str(row["COLUMN_NAME"])
            columns.setdefault(table, {})[name] = Column(
                name=name,
                data_type=_type_name(
                    str(row["DATA_TYPE"]),
                    row["CHARACTER_MAXIMUM_LENGTH"],
                    row["NUMERIC_PRECISION"],
                    row["NUMERIC_SCALE"],
                ),
                nullable=str(row["IS_NULLABLE"]).upper() == "YES",
                position=int(row["ORDINAL_POSITION"]),
            )
        elif row["KIND"] == "pk":
            pks.setdefault(table, []).append(
                (int(row["ORDINAL_POSITION"]), str(row["COLUMN_NAME"]))
            )
        else:
            fks.setdefault((table, str(row["KEY_NAME"])), []).append(
                (
                    int(row["ORDINAL_POSITION"]),
                    str(row["COLUMN_NAME"]),
                    str(row["REF_SCHEMA"]),
                    str(row["REF_TABLE"]),
                    str(row["REF_COLUMN"]),
                )
            )
    foreign: dict[str, list[ForeignKey]] = {}
    for (table, name), parts in sorted(fks.items()):
        parts.sort()
        foreign.setdefault(table, []).append(
            ForeignKey(
                name=name,
                columns=tuple(p[1] for p in parts),
                referred_schema=parts[0][2],
                referred_table=parts[0][3],
                referred_columns=tuple(p[4] for p in parts),
            )
        )
    tables = [
        Table(
            schema=schema,
            name=table,
            kind="view" if kinds[table] == "view" else "table",
            columns=tuple(sorted(cols.values(), key=lambda c: c.position)),
            primary_key=tuple(name for _, name in sorted(pks.get(table, []))),
            foreign_keys=tuple(foreign.get(table, [])),
            row_estimate=estimates[table],
        )
        for table, cols in columns.items()
    ]
    return Catalog.of(schema, tables)


# -- Arrow types ---------------------------------------------------------------------

_TEXT_TYPES = frozenset(
    {
        "TEXT",
        "VARIANT",
        "OBJECT",
        "ARRAY",
        "MAP",
        "VECTOR",
        "GEOGRAPHY",
        "GEOMETRY",
        "FILE",
    }
)


def _arrow_type(
    type_name: str, precision: int | None, scale: int | None
) -> pa.DataType:
    """The Arrow type of one result column, from the driver's column metadata."""
    import pyarrow as pa

    if type_name == "FIXED":
        p, s = precision or 38, scale or 0
        if s == 0 and p <= 18:
            return pa.int64()  # every NUMBER(p<=18, 0) value fits
        return pa.decimal128(p, s)
    simple: dict[str, pa.DataType] = {
        "REAL": pa.float64(),
        "BOOLEAN": pa.bool_(),
        "DATE": pa.date32(),
        "TIME": pa.time64("us"),
        "TIMESTAMP_NTZ": pa.timestamp("us"),
        "TIMESTAMP_LTZ": pa.timestamp("us", tz="UTC"),
        "TIMESTAMP_TZ": pa.timestamp("us", tz="UTC"),
        "BINARY": pa.binary(),
        "INTERVAL_DAY_TIME": pa.duration("us"),
        "INTERVAL_YEAR_MONTH": pa.month_day_nano_interval(),
    }
    return simple.get(type_name, pa.string())  # text, semi-structured and the unknown


def _result_schema(description: Sequence[Any]) -> pa.Schema:
    import pyarrow as pa
    from snowflake.connector.constants import FIELD_ID_TO_NAME

    return pa.schema(
        [
            pa.field(
                col.name,
                _arrow_type(FIELD_ID_TO_NAME[col.type_code], col.precision, col.scale),
            )
            for col in description
        ]
    )


def _json_default(value: object) -> str:
    return str(value)


def _conform_column(array: pa.Array, field: pa.Field) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc

    target = field.type
    if array.type == target:
        return array
    try:
        if pa.types.is_string(target) and pa.types.is_nested(array.type):
            # Structured OBJECT/ARRAY/MAP and VECTOR arrive typed; keep them as JSON
            # text like their semi-structured siblings, so the schema never varies.
            texts = [
                None
                if v is None
                else json.dumps(v, default=_json_default, separators=(",", ":"))
                for v in array.to_pylist()
            ]
            return pa.array(texts, type=target)
        if pa.types.is_interval(target):
            months = pc.cast(array, pa.int64()).to_pylist()
            return pa.array(
                [None if m is None else (m, 0, 0) for m in months], type=target
            )
        if pa.types.is_temporal(target):
            # Snowflake keeps nanoseconds; Arrow here carries microseconds, so the
            # sub-microsecond digits are cut (unsafe cast = truncation, not error).
            return pc.cast(array, target, safe=False)
        return pc.cast(array, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise QueryError(
            f"column {field.name!r}: cannot represent Arrow {array.type} "
            f"as {target}: {exc}"
            + (
                "; cast wide integers to VARCHAR in SQL"
                if pa.types.is_integer(target)
                else ""
            )
        ) from exc


def _conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    import pyarrow as pa

    arrays = [_conform_column(batch.column(i), field) for i, field in enumerate(schema)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


class _Batches:
    """Pulls the driver's Arrow tables one at a time (each call in a worker thread)."""

    def __init__(self, cursor: Any, schema: pa.Schema, batch_size: int) -> None:
        self._cursor = cursor
        self._schema = schema
        self._batch_size = batch_size
        self._tables: Iterator[pa.Table] | None = None

    def next(self) -> list[pa.RecordBatch] | None:
        """The next table's batches (maybe none), or ``None`` at the end."""
        if self._tables is None:
            from snowflake.connector.errors import NotSupportedError

            try:
                self._tables = iter(self._cursor.fetch_arrow_batches())
            except NotSupportedError:
                # The server answered in JSON (DML counts, some SHOW output).
                self._tables = self._json_tables()
        table = next(self._tables, None)
        if table is None:
            return None
        return [
            _conform(b, self._schema)
            for b in table.to_batches(max_chunksize=self._batch_size)
            if b.num_rows
        ]

    def _json_tables(self) -> Iterator[pa.Table]:
        import pyarrow as pa

        while rows := self._cursor.fetchmany(self._batch_size):
            arrays = []
            for i, field in enumerate(self._schema):
                values = [row[i] for row in rows]
                try:
                    arrays.append(pa.array(values, type=field.type))
                except (pa.ArrowInvalid, pa.ArrowTypeError):
                    arrays.append(
                        pa.array([None if v is None else str(v) for v in values])
                    )
            names = [f.name for f in self._schema]
            yield pa.Table.from_arrays(arrays, names=names)


# -- the connection ----------------------------------------------------------------


class SnowflakeConnection(BaseConnection):
    """One Snowflake session. Snowflake has transactions but no savepoints."""

    begin_sql: ClassVar[str] = "BEGIN TRANSACTION"  # bare BEGIN can open a script block
    supports_savepoints: ClassVar[bool] = False

    def __init__(self, source: DataSource, raw: Any, *, catalog_keys: bool) -> None:
        super().__init__(source)
        self._raw = raw
        self._catalog_keys = catalog_keys
        self._server_timeout: float | None = None
        self._bound: tuple[str, ...] = ()

    def _timeout(self, timeout: float | None) -> Deadline:
        # The base asks for the deadline as each statement starts; keep it, so the
        # statement also carries STATEMENT_TIMEOUT_IN_SECONDS as a server-side
        # backstop (it stops the query even if this process dies mid-way).
        deadline = super()._timeout(timeout)
        self._server_timeout = deadline.timeout
        return deadline

    async def _run(self, cursor: Any, sql: str, params: Params) -> None:
        """Execute ``sql``; on cancellation abort it on the server by its request id."""
        request_id = uuid.uuid4()
        # The driver takes a caller-chosen request id through its statement
        # parameters; knowing it up front lets us abort before the query id exists.
        statement: dict[str, Any] = {"requestId": str(request_id)}
        timeout, self._server_timeout = self._server_timeout, None
        if timeout is not None:
            # One second later than the client's deadline, which normally wins.
            statement["STATEMENT_TIMEOUT_IN_SECONDS"] = math.ceil(timeout) + 1
        bound = list(params) if params else None
        self._bound = tuple(
            str(p) for p in params if p is not None and len(str(p)) >= 3
        )
        finished = threading.Event()
        aborting = False

        def call() -> None:
            try:
                cursor.execute(sql, bound, _statement_params=statement)
            finally:
                finished.set()

        def interrupt() -> None:
            # Runs on the event loop, repeated every few milliseconds until the
            # call returns. One abort thread per statement, which resends on its
            # own: a thread and an HTTP request per repeat would flood the server.
            nonlocal aborting
            if aborting:
                return
            aborting = True
            threading.Thread(
                target=self._abort, args=(sql, request_id, finished), daemon=True
            ).start()

        await run_interruptible(call, interrupt=interrupt)

    def _abort(
        self, sql: str, request_id: uuid.UUID, finished: threading.Event
    ) -> None:
        # The driver's own Ctrl-C path: POST /queries/v1/abort-request with the
        # statement's text and request id.
        for _ in range(_ABORT_ATTEMPTS):
            try:
                self._raw._cancel_query(sql, request_id)
            except Exception as exc:  # best effort; the wait below decides
                _log.debug("abort_failed", source=self.name, error=type(exc).__name__)
            if finished.wait(1.0):
                return
        _log.warning("abort_unanswered", source=self.name, request_id=str(request_id))

    async def _close_cursor(self, cursor: Any) -> None:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(cursor.close)

    async def _stream(
        self, sql: str, params: Params, batch_size: int
    ) -> AsyncIterator[pa.RecordBatch]:
        import pyarrow as pa

        cursor = self._raw.cursor()
        try:
            await self._run(cursor, sql, params)
            schema = _result_schema(cursor.description or ())
            batches = _Batches(cursor, schema, batch_size)
            sent = False
            while (chunk := await run_interruptible(batches.next)) is not None:
                for batch in chunk:
                    sent = True
                    yield batch
            if not sent:
                yield pa.RecordBatch.from_pylist([], schema=schema)
        finally:
            await self._close_cursor(cursor)

    async def _execute(self, sql: str, params: Params) -> int:
        cursor = self._raw.cursor()
        try:
            await self._run(cursor, sql, params)
            names = {col.name for col in cursor.description or ()}
            # The driver's own test for "this was DML" (see SnowflakeCursor).
            if names & _DML_COLUMNS or any(
                n.startswith("number of rows inserted") for n in names
            ):
                return int(cursor.rowcount)
            return -1
        finally:
            await self._close_cursor(cursor)

    async def _rows(self, sql: str) -> list[dict[str, Any]]:
        cursor = self._raw.cursor()
        try:
            await self._run(cursor, sql, ())
            names = [col.name.upper() for col in cursor.description or ()]
            rows = await run_interruptible(cursor.fetchall)
            return [dict(zip(names, row, strict=True)) for row in rows]
        finally:
            await self._close_cursor(cursor)

    async def _ping(self) -> None:
        await self._rows("SELECT 1")

    async def _schemas(self) -> list[str]:
        rows = await self._rows(
            "SELECT schema_name FROM information_schema.schemata ORDER BY schema_name"
        )
        return [str(r["SCHEMA_NAME"]) for r in rows]

    async def _catalog(self, schema: str | None) -> Catalog:
        sql = catalog_sql(schema, keys=self._catalog_keys)
        rows = await self._rows(sql)
        if schema is None:
            schema = str(self._raw.schema or "")
        return _build_catalog(schema, rows)

    async def _close(self) -> None:
        # No retries: a server that cannot be reached expires the session itself.
        await anyio.to_thread.run_sync(functools.partial(self._raw.close, retry=False))

    def _map_error(self, exc: Exception, sql: str | None) -> ConnectorError | None:
        from snowflake.connector import errors as sf

        if isinstance(exc, TimeoutError):
            return None  # the base's own deadline (TimeoutError is an OSError too)
        if isinstance(exc, OSError):
            return ConnectError(f"network error: {type(exc).__name__}: {exc}", sql=sql)
        if not isinstance(exc, sf.Error):
            return None
        errno, sqlstate = exc.errno, str(exc.sqlstate)
        message = self._scrub(f"{type(exc).__name__}: {exc.msg}")
        if (
            sqlstate == "28000"
            or 390100 <= errno <= 390109
            or 394300 <= errno <= 394399
        ):
            # Rejected credentials: a retry cannot help and may lock the user out.
            return ConnectError(
                f"authentication failed: {message}", sql=sql, transient=False
            )
        if errno in _SESSION_GONE or errno in _NETWORK:
            return ConnectError(message, sql=sql, transient=True)
        if errno == _STATEMENT_TIMEOUT:
            return QueryTimeout(message, sql=sql)
        transport = isinstance(exc, sf.OperationalError | sf.InterfaceError)
        if 390000 <= errno <= 390999 or (sqlstate.startswith("08") and not transport):
            # Login refused for good: unknown role, warehouse or account, MFA...
            return ConnectError(message, sql=sql, transient=False)
        if isinstance(exc, sf.ForbiddenError | sf.BadRequest | sf.MethodNotAllowed):
            return ConnectError(message, sql=sql, transient=False)
        if isinstance(exc, sf.DatabaseError) and not transport:
            # SQL errors: Programming, Integrity, Data, NotSupported, Internal.
            return QueryError(message, sql=sql, transient=errno in _LOCK_WAIT)
        # OperationalError, InterfaceError, HTTP 5xx/429/timeouts after the driver's
        # own retries, expired tokens: the session or the network failed.
        return ConnectError(message, sql=sql, transient=True)

    def _scrub(self, text: str) -> str:
        # Snowflake echoes offending values ("Numeric value 'abc' is not
        # recognized"); a bound value must not reach a message.
        for value in self._bound:
            text = text.replace(value, MASK)
        return text


class SnowflakeConnector(BaseConnector):
    """Opens :class:`SnowflakeConnection` s to one Snowflake account.

    ``paramstyle`` is ``qmark``: values are bound on the server, so they never
    become part of the SQL text, the query history or a compilation error.
    """

    name: ClassVar[str] = "snowflake"
    dialect: ClassVar[str] = "snowflake"
    paramstyle: ClassVar[ParamStyle] = "qmark"

    async def connect(self) -> SnowflakeConnection:
        """Log in (in a worker thread); raise ConnectError when that fails."""
        driver = import_driver(
            "snowflake.connector", extra="snowflake", source=self._source.name
        )
        from snowflake.connector.backoff_policies import exponential_backoff
        from snowflake.connector.errors import OperationalError

        settings = _settings(self._source)
        kwargs = dict(settings.kwargs)

        def gave_up(message: str) -> Exception:
            return OperationalError(msg=message, errno=_FAILED_TO_REQUEST)

        kwargs["backoff_policy"] = _bounded_backoff(
            kwargs.get("backoff_policy") or exponential_backoff(),
            settings.retry_timeout,
            gave_up,
        )
        opened: list[Any] = []

        def login() -> Any:
            raw = driver.connect(**kwargs)
            opened.append(raw)
            return raw

        conn = SnowflakeConnection(
            self._source, None, catalog_keys=settings.catalog_keys
        )
        try:
            with conn.errors():
                conn._raw = await run_interruptible(login)
        except BaseException:
            # Cancelled after the login went through: log out, do not leak a session.
            if opened:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(opened[0].close)
            raise
        return conn
