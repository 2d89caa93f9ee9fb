"""DuckDB, the embedded default: in-process, Arrow-native, no server needed.

Every pooled connection is a cursor on one database instance owned by the
connector, so ``duckdb://:memory:`` means *one* in-memory database shared by the
whole pool, as a user expects. Calls run in worker threads and are interrupted
on cancellation (``DuckDBPyConnection.interrupt``).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, ClassVar

from sqltest_core.connectors._base import (
    BaseConnection,
    BaseConnector,
    Params,
    ParamStyle,
    import_driver,
)
from sqltest_core.connectors._catalog import Catalog, Column, ForeignKey, Table
from sqltest_core.connectors._rows import Rows
from sqltest_core.connectors._threads import run_interruptible
from sqltest_core.errors import ConnectError, ConnectorError, QueryError

if TYPE_CHECKING:
    import pyarrow as pa

    from sqltest_core.config import DataSource

__all__ = ["DuckDBConnection", "DuckDBConnector"]

_MEMORY = ":memory:"

# One row per table or view; columns and constraints aggregated into lists, so a
# whole schema is read in one statement.
_CATALOG_SQL = """
with rels as (
    select schema_name, table_name, 'table' as kind, estimated_size as rows_est
    from duckdb_tables() where database_name = current_database() and schema_name = $1
    union all
    select schema_name, view_name, 'view', null
    from duckdb_views()
    where database_name = current_database() and schema_name = $1 and not internal
),
cols as (
    select table_name,
           list({'name': column_name, 'type': lower(data_type),
                 'nullable': is_nullable, 'position': column_index}
                order by column_index) as columns
    from duckdb_columns()
    where database_name = current_database() and schema_name = $1
    group by table_name
),
cons as (
    select table_name,
           list(constraint_column_names) filter (where constraint_type = 'PRIMARY KEY')
               as pks,
           list({'name': constraint_name, 'columns': constraint_column_names,
                 'ref_table': referenced_table, 'ref_columns': referenced_column_names})
               filter (where constraint_type = 'FOREIGN KEY') as fks
    from duckdb_constraints()
    where database_name = current_database() and schema_name = $1
    group by table_name
)
select rels.table_name, rels.kind, rels.rows_est, cols.columns, cons.pks, cons.fks
from rels
left join cols using (table_name)
left join cons using (table_name)
order by rels.table_name
"""


class DuckDBConnector(BaseConnector):
    """Connector for ``duckdb:///file.db`` and ``duckdb://:memory:``.

    URL query parameters: ``read_only=true``; any other key is passed to DuckDB
    as a configuration option (``threads=4``, ``memory_limit=2GB``), as are the
    data source's ``options``.
    """

    name: ClassVar[str] = "duckdb"
    dialect: ClassVar[str] = "duckdb"
    paramstyle: ClassVar[ParamStyle] = "numeric"

    def __init__(self, source: DataSource) -> None:
        super().__init__(source)
        self._database: Any = None  # duckdb.DuckDBPyConnection, the instance's root
        self._lock = threading.Lock()

    def _open_database(self) -> Any:
        duckdb = import_driver("duckdb", extra="duckdb", source=self._source.name)
        with self._lock:
            if self._database is None:
                url = self._source.url
                query = dict(url.query)
                read_only = query.pop("read_only", "false").lower() in (
                    "1",
                    "true",
                    "yes",
                )
                config = {
                    **query,
                    **{k: str(v) for k, v in self._source.options.items()},
                }
                path = url.database or _MEMORY
                try:
                    self._database = duckdb.connect(
                        path, read_only=read_only, config=config
                    )
                except duckdb.Error as exc:
                    raise ConnectError(
                        f"cannot open DuckDB database {path!r}: {exc}",
                        source=self._source.name,
                        transient=False,
                    ) from exc
            return self._database.cursor()

    async def connect(self) -> DuckDBConnection:
        """A new connection (cursor) on the shared database instance."""
        raw = await run_interruptible(self._open_database)
        return DuckDBConnection(self._source, raw)

    async def aclose(self) -> None:
        """Release the database instance (a file can then be opened anew)."""
        with self._lock:
            database, self._database = self._database, None
        if database is not None:
            await run_interruptible(database.close)


class DuckDBConnection(BaseConnection):
    """One DuckDB connection; every call runs in a worker thread."""

    supports_savepoints: ClassVar[bool] = False  # DuckDB has no SAVEPOINT

    def __init__(self, source: DataSource, raw: Any) -> None:
        super().__init__(source)
        self._raw = raw

    async def _call(self, func: Any, *args: Any) -> Any:
        return await run_interruptible(
            lambda: func(*args), interrupt=self._raw.interrupt
        )

    async def _stream(
        self, sql: str, params: Params, batch_size: int
    ) -> AsyncIterator[pa.RecordBatch]:
        import pyarrow as pa

        def start() -> tuple[
            pa.RecordBatchReader, pa.RecordBatch | None, pa.RecordBatch | None
        ]:
            # Run the statement and read up to two batches in one thread hop:
            # most results (every aggregate) fit in one batch, and seeing the end
            # now spares a second hop just to learn there is nothing more.
            relation = self._raw.sql(sql, params=list(params) or None)
            if relation is None:  # a statement that returns nothing
                return pa.RecordBatchReader.from_batches(pa.schema([]), []), None, None
            reader = relation.to_arrow_reader(batch_size)
            try:
                first = _next_batch(reader)
                return reader, first, None if first is None else _next_batch(reader)
            except BaseException:
                reader.close()
                raise

        reader, first, following = await self._call(start)
        try:
            yield (
                first
                if first is not None
                else pa.RecordBatch.from_pylist([], schema=reader.schema)
            )
            while following is not None:
                yield following
                following = await self._call(_next_batch, reader)
        finally:
            reader.close()

    async def _execute(self, sql: str, params: Params) -> int:
        def run() -> int:
            self._raw.execute(sql, list(params))
            description = self._raw.description
            if description and len(description) == 1 and description[0][0] == "Count":
                row = self._raw.fetchone()
                return int(row[0]) if row else -1
            return -1

        result: int = await self._call(run)
        return result

    async def _fetch_rows(self, sql: str, params: Params) -> Rows:
        def run() -> Rows:
            self._raw.execute(sql, list(params))
            description = self._raw.description
            if not description:  # a statement that returns nothing
                return Rows((), [])
            rows: list[tuple[object, ...]] = self._raw.fetchall()
            converters = [_row_converter(d[1]) for d in description]
            if any(converters):
                rows = [
                    tuple(_apply(c, v) for c, v in zip(converters, row, strict=True))
                    for row in rows
                ]
            return Rows(tuple(d[0] for d in description), rows)

        result: Rows = await self._call(run)
        return result

    async def _ping(self) -> None:
        await self._call(lambda: self._raw.execute("select 1").fetchall())

    async def _schemas(self) -> list[str]:
        rows = await self._call(
            lambda: self._raw.execute(
                "select schema_name from information_schema.schemata "
                "where catalog_name = current_database() order by schema_name"
            ).fetchall()
        )
        return [r[0] for r in rows]

    async def _catalog(self, schema: str | None) -> Catalog:
        def read() -> tuple[str, list[Any]]:
            name = schema or self._raw.execute("select current_schema()").fetchone()[0]
            return name, self._raw.execute(_CATALOG_SQL, [name]).fetchall()

        name, rows = await self._call(read)
        return Catalog.of(name, (_table(name, row) for row in rows))

    async def _close(self) -> None:
        await run_interruptible(self._raw.close)

    def _map_error(self, exc: Exception, sql: str | None) -> ConnectorError | None:
        duckdb = import_driver("duckdb", extra="duckdb")
        if not isinstance(exc, duckdb.Error):
            return None
        message = str(exc)
        if isinstance(exc, duckdb.ConnectionException):
            return ConnectError(message, sql=sql)
        # A write-write conflict between concurrent transactions: retry may win.
        transient = (
            isinstance(exc, duckdb.TransactionException) and "onflict" in message
        )
        return QueryError(message, sql=sql, transient=transient)


_Convert = Callable[[Any], object]
_NESTED = frozenset({"list", "array", "struct", "map"})


def _row_converter(kind: Any) -> _Convert | None:
    """What turns a ``fetchall`` value of DuckDB type ``kind`` into the Arrow path's.

    ``None`` when they already agree (most types). They differ, on purpose, for
    INTERVAL (``timedelta`` here, pyarrow's ``MonthDayNano`` there), HUGEINT and
    UHUGEINT (``int``, not ``Decimal``), TIME WITH TIME ZONE (keeps its offset,
    which Arrow drops), BIT and BIGNUM (their text, not DuckDB's internal bytes)
    and TIMESTAMP_NS (a ``datetime`` cut to microseconds, where pyarrow needs
    pandas).
    """
    kind_id = kind.id
    if kind_id == "uuid":
        return str
    if kind_id == "union":
        if any(_row_converter(t) for _, t in kind.children):
            return _uuid_to_str  # the member is unknown; UUID is the one to fix
        return None
    if kind_id == "struct":
        fields = {name: _row_converter(t) for name, t in kind.children}
        if not any(fields.values()):
            return None
        return lambda v: {k: _apply(fields[k], x) for k, x in v.items()}
    if kind_id in ("list", "array"):
        item = _row_converter(kind.children[0][1])
        if item is None:
            # A fixed-size ARRAY comes as a tuple; Arrow gives a list.
            return list if kind_id == "array" else None
        return lambda v: [_apply(item, x) for x in v]
    if kind_id == "map":
        (_, key_kind), (_, value_kind) = kind.children
        key, value = _row_converter(key_kind), _row_converter(value_kind)
        # Arrow gives (key, value) pairs; fetchall a dict, or for nested
        # (unhashable) keys {"key": [...], "value": [...]}.
        if key_kind.id in _NESTED:
            return lambda v: [
                (_apply(key, k), _apply(value, x))
                for k, x in zip(v["key"], v["value"], strict=True)
            ]
        return lambda v: [(_apply(key, k), _apply(value, x)) for k, x in v.items()]
    return None


def _apply(convert: _Convert | None, value: object) -> object:
    return value if convert is None or value is None else convert(value)


def _uuid_to_str(value: object) -> object:
    return str(value) if isinstance(value, uuid.UUID) else value


def _next_batch(reader: pa.RecordBatchReader) -> pa.RecordBatch | None:
    try:
        batch: pa.RecordBatch = reader.read_next_batch()
    except StopIteration:
        return None
    return batch


def _table(schema: str, row: tuple[Any, ...]) -> Table:
    name, kind, rows_est, columns, pks, fks = row
    return Table(
        schema=schema,
        name=name,
        kind=kind,
        columns=tuple(
            Column(c["name"], c["type"], bool(c["nullable"]), int(c["position"]))
            for c in columns or ()
        ),
        primary_key=tuple(pks[0]) if pks else (),
        foreign_keys=tuple(
            ForeignKey(
                name=fk["name"],
                columns=tuple(fk["columns"]),
                referred_schema=schema,
                referred_table=fk["ref_table"],
                referred_columns=tuple(fk["ref_columns"]),
            )
            for fk in fks or ()
        ),
        row_estimate=int(rows_est) if rows_est is not None else None,
    )
