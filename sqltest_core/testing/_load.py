"""Bulk-load an Arrow table into a database table, the fastest way each engine has.

- DuckDB: the Arrow table is registered on the connection and inserted by one
  ``INSERT ... SELECT`` (zero-copy scan).
- PostgreSQL: ``COPY ... FROM STDIN (FORMAT csv)`` through asyncpg's
  ``copy_to_table``, the CSV written by Arrow's C++ writer batch by batch
  (quoted ``""`` is an empty string, an unquoted empty field is NULL).
- SQLite: one ``executemany`` inside a transaction.
- MySQL/MariaDB and Snowflake (and any other connector): multi-row ``INSERT
  ... VALUES (...), (...)`` statements of a few thousand values each, every
  value a bound parameter (the driver escapes it), through ``Connection.execute``.

Names are quoted with the rule compiler's helpers, values are always bound or
written by Arrow's CSV writer, so hostile names and values stay inert. The load
joins the caller's transaction when there is one (and otherwise runs in a
transaction of its own), so a test that rolls back removes the rows too. On
MySQL ``CREATE TABLE`` (not ``CREATE TEMPORARY TABLE``) commits implicitly, and
Snowflake commits before any DDL: create real tables before the transaction,
or load into temporary ones.

Column types of a created table come from :func:`sql_type` (``_literals.py``),
refined where an engine has a closer type (``TINYINT`` on DuckDB and MySQL) and,
on SQLite, declared with the names the SQLite connector reads back as typed
columns (``BOOLEAN``, ``DATE``, ``TIMESTAMP``, ``DECIMAL(p, s)``).
"""

from __future__ import annotations

import io
import itertools
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from sqltest_core.connectors._pool import Pool
from sqltest_core.connectors._threads import run_interruptible
from sqltest_core.connectors.duckdb import DuckDBConnection
from sqltest_core.connectors.mysql import MySQLConnection
from sqltest_core.connectors.postgres import PostgresConnection
from sqltest_core.connectors.snowflake import SnowflakeConnection
from sqltest_core.connectors.sqlite import SQLiteConnection
from sqltest_core.errors import ConfigError
from sqltest_core.rules._dialects import identifier, render, table
from sqltest_core.testing._literals import sql_type

if TYPE_CHECKING:
    from sqlglot import exp

    from sqltest_core.connectors._base import Connection

__all__ = ["load_table"]

_CELLS_PER_STATEMENT = 16_000  # bound values per multi-row INSERT
_ROWS_PER_COPY_CHUNK = 65_536
_SERVER_STATUS_IN_TRANS = 1  # MySQL protocol status flag (include/mysql_com.h)
_PLACEHOLDER = {"mysql": "%s", "postgres": "${}", "duckdb": "${}"}
_CONNECTIONS: tuple[tuple[type, str], ...] = (
    (DuckDBConnection, "duckdb"),
    (PostgresConnection, "postgres"),
    (MySQLConnection, "mysql"),
    (SQLiteConnection, "sqlite"),
    (SnowflakeConnection, "snowflake"),
)


async def load_table(
    pool_or_conn: Pool | Connection,
    name: str,
    data: pa.Table,
    *,
    create: bool = True,
    temporary: bool = False,
    dialect: str | None = None,
) -> int:
    """Load ``data`` into table ``name``; return the number of rows loaded.

    Args:
        pool_or_conn: A pool (a connection is borrowed) or a connection (the
            load joins its transaction, if it holds one).
        name: ``table``, ``schema.table`` or ``db.schema.table``, quoted as
            given (on Snowflake a plain lower-case name is folded to upper).
        data: The rows; with ``create`` its schema gives the column types
            and NOT NULL constraints. Without ``create``, the table's columns
            of the same names are filled.
        create: Create the table first (it must not exist).
        temporary: Create a temporary table: needs a connection, not a pool,
            since a temporary table lives on one session.
        dialect: The engine's dialect; found from the pool or the built-in
            connection classes when not given.

    Raises:
        ConfigError: for a bad name, a temporary table on a pool, a type with
            no SQL form.
        QueryError: when the database rejects the table or a row.

    >>> import anyio, pyarrow as pa
    >>> from sqltest_core import open_pool
    >>> async def main():
    ...     async with open_pool("duckdb://:memory:") as db:
    ...         n = await load_table(db, "t", pa.table({"x": [1, 2, None]}))
    ...         return n, (await db.fetch_arrow("select * from t")).to_pylist()
    >>> anyio.run(main)
    (3, [{'x': 1}, {'x': 2}, {'x': None}])
    """
    if isinstance(pool_or_conn, Pool):
        if temporary:
            raise ConfigError(
                "a temporary table lives on one connection: load it through a "
                "connection (async with pool.acquire() as conn), not the pool"
            )
        async with pool_or_conn.acquire() as conn:
            return await _load(
                conn, name, data, create, False, dialect or pool_or_conn.dialect
            )
    return await _load(
        pool_or_conn, name, data, create, temporary, dialect or _dialect(pool_or_conn)
    )


def _dialect(conn: object) -> str:
    for cls, dialect in _CONNECTIONS:
        if isinstance(conn, cls):
            return dialect
    raise ConfigError(f"unknown connection type {type(conn).__name__}: pass dialect=")


async def _load(
    conn: Connection,
    name: str,
    data: pa.Table,
    create: bool,
    temporary: bool,
    dialect: str,
) -> int:
    if not isinstance(data, pa.Table):
        raise ConfigError(f"expected a pyarrow Table, not {type(data).__name__}")
    if not data.num_columns:
        raise ConfigError(f"table {name}: the data has no columns")
    try:
        target = table(name, dialect)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if create:
        await conn.execute(_create_sql(target, data.schema, temporary, dialect))
    if not data.num_rows:
        return 0
    if _in_transaction(conn):
        return await _insert(conn, name, target, data, dialect)
    async with conn.transaction():
        return await _insert(conn, name, target, data, dialect)


def _in_transaction(conn: Connection) -> bool:
    """True when the session is inside a transaction, however it was begun.

    ``BaseConnection.in_transaction`` knows only ``transaction()`` blocks; a
    caller may also have sent ``BEGIN`` itself, which the drivers report.
    """
    if getattr(conn, "in_transaction", False):
        return True
    if isinstance(conn, PostgresConnection):
        return bool(conn._conn.is_in_transaction())
    if isinstance(conn, SQLiteConnection):
        return bool(conn._raw.in_transaction)
    if isinstance(conn, MySQLConnection) and conn.raw is not None:
        return bool(conn.raw.server_status & _SERVER_STATUS_IN_TRANS)
    return False


def _create_sql(
    target: exp.Table, schema: pa.Schema, temporary: bool, dialect: str
) -> str:
    from sqlglot import exp

    columns = [
        exp.ColumnDef(
            this=identifier(f.name, dialect),
            kind=_ddl_type(f.type, dialect),
            constraints=[]
            if f.nullable
            else [exp.ColumnConstraint(kind=exp.NotNullColumnConstraint())],
        )
        for f in schema
    ]
    properties = (
        exp.Properties(expressions=[exp.TemporaryProperty()]) if temporary else None
    )
    create = exp.Create(
        this=exp.Schema(this=target, expressions=columns),
        kind="TABLE",
        properties=properties,
    )
    return render(create, dialect)


def _ddl_type(arrow: pa.DataType, dialect: str) -> exp.DataType:
    from sqlglot import exp

    if dialect == "sqlite":
        # Declared names the SQLite connector reads back as typed columns.
        if pa.types.is_boolean(arrow):
            name = "BOOLEAN"
        elif pa.types.is_integer(arrow):
            name = "INTEGER"
        elif pa.types.is_floating(arrow):
            name = "REAL"
        elif pa.types.is_decimal(arrow):
            name = f"DECIMAL({arrow.precision}, {arrow.scale})"
        elif pa.types.is_date(arrow):
            name = "DATE"
        elif pa.types.is_time(arrow):
            name = "TIME"
        elif pa.types.is_timestamp(arrow):
            name = "TIMESTAMP" if arrow.tz is None else "TIMESTAMPTZ"
        else:
            return sql_type(arrow, dialect)
        return exp.DataType(this=exp.DataType.Type.USERDEFINED, kind=name)
    if dialect in ("duckdb", "mysql") and arrow == pa.int8():
        return exp.DataType.build("TINYINT")
    if dialect == "mysql" and pa.types.is_time(arrow):
        return exp.DataType.build("TIME(6)", dialect="mysql")  # TIME alone drops µs
    return sql_type(arrow, dialect)


async def _insert(
    conn: Connection, name: str, target: exp.Table, data: pa.Table, dialect: str
) -> int:
    columns = ", ".join(
        render(identifier(c, dialect), dialect) for c in data.column_names
    )
    into = f"{render(target, dialect)} ({columns})"
    if isinstance(conn, DuckDBConnection):
        return await _duckdb(conn, into, columns, data)
    if isinstance(conn, PostgresConnection):
        return await _postgres(conn, name, data)
    if isinstance(conn, SQLiteConnection):
        return await _sqlite(conn, into, data)
    return await _values(conn, into, data, dialect)


async def _duckdb(
    conn: DuckDBConnection, into: str, columns: str, data: pa.Table
) -> int:
    raw: Any = conn._raw  # the connector's DuckDB cursor: its transaction, its data
    view = f"sqltest_load_{uuid.uuid4().hex}"
    sql = f'INSERT INTO {into} SELECT {columns} FROM "{view}"'

    def run() -> None:
        raw.register(view, data)
        try:
            raw.execute(sql)
        finally:
            raw.unregister(view)

    with conn.errors(sql):
        await run_interruptible(run, interrupt=raw.interrupt)
    return int(data.num_rows)


async def _postgres(conn: PostgresConnection, name: str, data: pa.Table) -> int:
    import pyarrow.csv as pa_csv

    parts = name.split(".")
    schema_name = parts[-2] if len(parts) > 1 else None
    options = pa_csv.WriteOptions(include_header=False)

    async def chunks() -> AsyncIterator[bytes]:
        for batch in data.to_batches(max_chunksize=_ROWS_PER_COPY_CHUNK):
            sink = io.BytesIO()
            pa_csv.write_csv(batch, sink, options)
            yield sink.getvalue()

    sql = f"COPY {name} FROM STDIN (FORMAT csv)"
    await conn._settle()  # a stream left open must finish before COPY starts
    with conn.errors(sql):
        status = await conn._conn.copy_to_table(
            parts[-1],
            source=chunks(),
            columns=data.column_names,
            schema_name=schema_name,
            format="csv",
        )
    return int(str(status).split()[-1])


async def _sqlite(conn: SQLiteConnection, into: str, data: pa.Table) -> int:
    marks = ", ".join("?" * data.num_columns)
    sql = f"INSERT INTO {into} VALUES ({marks})"
    rows = _rows(data, "sqlite")
    raw: Any = conn._raw
    with conn.errors(sql):
        await conn._call(lambda: raw.executemany(sql, rows))
    return len(rows)


async def _values(conn: Connection, into: str, data: pa.Table, dialect: str) -> int:
    width = data.num_columns
    per = max(1, _CELLS_PER_STATEMENT // width)
    rows = _rows(data, dialect)
    mark = _PLACEHOLDER.get(dialect, "?")
    if dialect == "mysql":
        into = into.replace("%", "%%")  # the driver %-formats the whole statement
    loaded = 0
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        # NULL is written, not bound: one bind less, and an untyped bound NULL
        # is not NULL everywhere (the Snowflake emulator stores the epoch).
        numbers = itertools.count(1)
        groups = ", ".join(
            "("
            + ", ".join(
                "NULL" if v is None else mark.format(next(numbers)) for v in row
            )
            + ")"
            for row in chunk
        )
        params = [v for v in itertools.chain.from_iterable(chunk) if v is not None]
        count = await conn.execute(f"INSERT INTO {into} VALUES {groups}", params)
        loaded += count if count >= 0 else len(chunk)
    return loaded


def _rows(data: pa.Table, dialect: str) -> list[tuple[object, ...]]:
    """Row tuples of Python values, converted column-wise where the engine needs it."""
    columns = []
    for column in data.itercolumns():
        kind = column.type
        if (
            pa.types.is_timestamp(kind)
            and kind.tz is not None
            and dialect != "snowflake"
        ):
            # UTC wall-clock time: MySQL DATETIME and SQLite text have no zone.
            column = column.cast(pa.timestamp(kind.unit))
            kind = column.type
        if dialect == "sqlite":
            if pa.types.is_date(kind) or pa.types.is_time(kind):
                column = column.cast(pa.string())
            elif pa.types.is_timestamp(kind):
                column = column.cast(pa.string())
            elif pa.types.is_decimal(kind):
                exact = kind.scale == 0 and kind.precision <= 18
                column = column.cast(pa.int64() if exact else pa.float64())
        columns.append(column.to_pylist())
    return list(zip(*columns, strict=True))
