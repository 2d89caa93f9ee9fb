"""PostgreSQL sessions: connecting, streaming, errors, cancellation, catalog."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from sqltest_core import ConnectError, QueryError, QueryTimeout
from sqltest_core.config import DataSource
from sqltest_core.connectors import collect, open_pool
from sqltest_core.connectors.postgres import PostgresConnection, PostgresConnector

from .harness import URL, admin, running_statements, scratch, sleep_sql

# -- connecting -------------------------------------------------------------------


async def test_options_reach_the_session_and_both_schemes_connect() -> None:
    await _server()
    for url in (URL, URL.replace("postgresql://", "postgres://")):
        options = {"server_settings": {"application_name": "sqltest-probe"}}
        conn = await PostgresConnector(
            DataSource(url=url, options=options, password="ignored-by-trust")
        ).connect()
        try:
            table = await collect(
                conn.stream(
                    "SELECT current_setting('application_name') AS app,"
                    " current_setting('DateStyle') AS ds"
                )
            )
        finally:
            await conn.aclose()
        assert table.to_pylist() == [{"app": "sqltest-probe", "ds": "ISO, YMD"}]
        assert conn.is_closed


async def test_refused_connection_is_a_transient_connect_error() -> None:
    connector = PostgresConnector(
        DataSource(url="postgresql://postgres:pw99@127.0.0.1:1/test")
    )
    with pytest.raises(ConnectError) as info:
        await connector.connect()
    assert info.value.transient
    assert "pw99" not in str(info.value) + str(info.value.__cause__)


async def test_unknown_role_is_a_permanent_connect_error_without_password() -> None:
    await _server()
    canary = f"Canary{uuid.uuid4().hex[:8]}"
    url = f"postgresql://sqltest_nobody:{canary}@127.0.0.1:5432/test"
    with pytest.raises(ConnectError) as info:
        await PostgresConnector(DataSource(url=url)).connect()
    err = info.value
    assert not err.transient
    assert "sqltest_nobody" in str(err)
    texts = [str(err), repr(err), str(err.__cause__), repr(err.__cause__)]
    assert not [t for t in texts if canary in t]


async def test_unknown_database_is_a_permanent_connect_error() -> None:
    await _server()
    url = "postgresql://postgres@127.0.0.1:5432/sqltest_no_such_db"
    with pytest.raises(ConnectError, match="does not exist") as info:
        await PostgresConnector(DataSource(url=url)).connect()
    assert not info.value.transient


async def _server() -> None:
    async with admin():
        pass  # skips, or fails in CI, without a server


# -- streaming ----------------------------------------------------------------------


async def test_batches_are_bounded_and_share_one_schema(
    conn: PostgresConnection,
) -> None:
    batches = [
        b
        async for b in conn.stream(
            "SELECT i, i::text AS s FROM generate_series(1, 10) i", batch_size=3
        )
    ]
    assert [b.num_rows for b in batches] == [3, 3, 3, 1]
    assert {b.schema for b in batches} == {
        pa.schema([("i", pa.int32()), ("s", pa.string())])
    }
    assert pa.Table.from_batches(batches).column("i").to_pylist() == list(range(1, 11))


async def test_large_result_streams_in_full_batches(conn: PostgresConnection) -> None:
    # Well past the in-memory threshold: the threaded COPY reader does the work.
    sizes = []
    total = 0
    async for batch in conn.stream(
        "SELECT i, md5(i::text) AS h, i * 0.5 AS half FROM generate_series(1, 200000) i",
        batch_size=50_000,
    ):
        sizes.append(batch.num_rows)
        total += pa.compute.sum(batch.column("i")).as_py()
    assert sizes == [50_000] * 4
    assert total == 200000 * 200001 // 2


async def test_empty_result_yields_one_empty_batch(conn: PostgresConnection) -> None:
    batches = [b async for b in conn.stream("SELECT 1 AS a, 'x' AS b WHERE false")]
    assert len(batches) == 1
    assert batches[0].num_rows == 0
    assert batches[0].schema == pa.schema([("a", pa.int32()), ("b", pa.string())])


async def test_duplicate_and_unnamed_columns_are_kept(conn: PostgresConnection) -> None:
    table = await collect(conn.stream("SELECT 1 AS a, 2 AS a, 3"))
    assert table.column_names == ["a", "a", "?column?"]
    assert [c.to_pylist() for c in table.columns] == [[1], [2], [3]]


async def test_bound_parameters_on_the_copy_path(conn: PostgresConnection) -> None:
    hostile = "it's $1 \\ \"x\"\t'); DROP TABLE t; --"
    table = await collect(
        conn.stream(
            "SELECT $1::text AS a, '$1' AS lit, $2 + 1 AS b, $3::numeric(5,2) AS n,"
            " $4::text AS nothing, $5::date AS d; -- $1",
            [
                hostile,
                41,
                Decimal("1.5"),
                None,
                datetime.date(2024, 1, 2),
            ],
        )
    )
    assert table.to_pylist() == [
        {
            "a": hostile,
            "lit": "$1",
            "b": 42,
            "n": Decimal("1.50"),
            "nothing": None,
            "d": datetime.date(2024, 1, 2),
        }
    ]


async def test_bound_parameters_on_the_record_path(conn: PostgresConnection) -> None:
    await conn.execute("CREATE TABLE t (id int, name text)")
    table = await collect(
        conn.stream("INSERT INTO t VALUES ($1, $2) RETURNING id, name", [7, "x'y"])
    )
    assert table.to_pylist() == [{"id": 7, "name": "x'y"}]
    assert await conn.execute("SELECT * FROM t") == 1  # committed


async def test_wrong_parameter_count_is_a_query_error(conn: PostgresConnection) -> None:
    with pytest.raises(QueryError, match="takes 2 parameters, 1 given"):
        await collect(conn.stream("SELECT $1::int + $2::int AS s", [1]))


async def test_bad_parameter_value_is_not_quoted_in_the_error(
    conn: PostgresConnection,
) -> None:
    secret = "not-a-number-1234"
    with pytest.raises(QueryError) as info:
        await collect(conn.stream("SELECT $1::int AS i", [secret]))
    assert secret not in str(info.value)
    with pytest.raises(QueryError) as info:
        await conn.execute("SELECT $1::text::int", [secret])
    assert "invalid input syntax" in str(info.value)
    assert secret not in str(info.value)


async def test_error_in_the_middle_of_a_stream_is_a_query_error(
    conn: PostgresConnection,
) -> None:
    sql = "SELECT i, 1 / (i - 150000) AS boom FROM generate_series(1, 300000) i"
    with pytest.raises(QueryError, match="division by zero") as info:
        async for _ in conn.stream(sql, batch_size=10_000):
            pass
    assert not info.value.transient
    assert info.value.sql == sql
    assert (await collect(conn.stream("SELECT 1 AS ok"))).to_pylist() == [{"ok": 1}]


async def test_stopping_early_cancels_the_copy_and_keeps_the_session(
    conn: PostgresConnection,
) -> None:
    marker = _marker()
    # A cross join streams (one big generate_series would materialize first).
    sql = (
        f"SELECT '{marker}' AS m, a, b"
        " FROM generate_series(1, 10000) a, generate_series(1, 10000) b"
    )
    async for batch in conn.stream(sql, batch_size=1000):
        assert batch.num_rows == 1000
        break
    await _assert_gone(marker)
    assert (await collect(conn.stream("SELECT 2 AS ok"))).to_pylist() == [{"ok": 2}]
    assert not conn.is_closed


# -- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("errcode", "transient"),
    [
        ("serialization_failure", True),
        ("deadlock_detected", True),
        ("raise_exception", False),
    ],
)
async def test_error_codes_decide_transience(
    conn: PostgresConnection, errcode: str, transient: bool
) -> None:
    sql = f"DO $$ BEGIN RAISE EXCEPTION 'planned' USING ERRCODE = '{errcode}'; END $$"
    with pytest.raises(QueryError, match="planned") as info:
        await conn.execute(sql)
    assert info.value.transient is transient
    assert info.value.__cause__ is not None


async def test_real_serialization_failure_is_transient(source: DataSource) -> None:
    first = await PostgresConnector(source).connect()
    second = await PostgresConnector(source).connect()
    try:
        await first.execute("CREATE TABLE acct (id int PRIMARY KEY, v int)")
        await first.execute("INSERT INTO acct VALUES (1, 0)")
        with pytest.raises(QueryError, match="could not serialize") as info:
            async with first.transaction():
                await first.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                await first.execute("SELECT * FROM acct")
                await second.execute("UPDATE acct SET v = 2 WHERE id = 1")
                await first.execute("UPDATE acct SET v = 3 WHERE id = 1")
        assert info.value.transient
        assert not first.is_closed
    finally:
        await first.aclose()
        await second.aclose()


async def test_real_deadlock_is_transient(source: DataSource) -> None:
    a = await PostgresConnector(source).connect()
    b = await PostgresConnector(source).connect()
    try:
        await a.execute("CREATE TABLE locks (id int PRIMARY KEY)")
        await a.execute("INSERT INTO locks VALUES (1), (2)")

        async def take(conn: PostgresConnection, first: int, second: int) -> None:
            async with conn.transaction():
                await conn.execute(f"SELECT * FROM locks WHERE id = {first} FOR UPDATE")
                await asyncio.sleep(0.2)
                await conn.execute(
                    f"SELECT * FROM locks WHERE id = {second} FOR UPDATE"
                )

        results = await asyncio.gather(
            take(a, 1, 2), take(b, 2, 1), return_exceptions=True
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        assert len(errors) == 1
        assert isinstance(errors[0], QueryError)
        assert "deadlock" in str(errors[0])
        assert errors[0].transient
    finally:
        await a.aclose()
        await b.aclose()


async def test_terminated_backend_is_a_transient_connect_error(
    conn: PostgresConnection,
) -> None:
    pid = (await collect(conn.stream("SELECT pg_backend_pid() AS pid"))).column(0)[0]
    async with admin() as other:
        await other.execute("SELECT pg_terminate_backend($1)", [pid.as_py()])
    with pytest.raises(ConnectError) as info:
        await collect(conn.stream("SELECT 1 AS x"))
    assert info.value.transient
    assert conn.is_closed


# -- cancellation and timeouts ------------------------------------------------------------


def _marker() -> str:
    return f"sqltest_{uuid.uuid4().hex[:12]}"


async def _wait_running(marker: str) -> None:
    for _ in range(200):
        if await running_statements(marker):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the statement never showed up in pg_stat_activity")


async def _assert_gone(marker: str) -> None:
    for _ in range(40):  # 2 s
        if not await running_statements(marker):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{marker} still runs on the server after 2 s")


def _copy_sleep(conn: PostgresConnection, marker: str) -> Awaitable[Any]:
    return collect(conn.stream(f"SELECT '{marker}' AS m, s.* FROM ({sleep_sql(30)}) s"))


def _record_sleep(conn: PostgresConnection, marker: str) -> Awaitable[Any]:
    sql = f"INSERT INTO sleepers SELECT 1 FROM pg_sleep(30) RETURNING '{marker}' AS m"
    return collect(conn.stream(sql))


def _execute_sleep(conn: PostgresConnection, marker: str) -> Awaitable[Any]:
    return conn.execute(f"SELECT pg_sleep(30) -- {marker}")


PATHS = [_copy_sleep, _record_sleep, _execute_sleep]


@pytest.mark.parametrize("start", PATHS, ids=["copy", "records", "execute"])
async def test_cancelling_the_task_stops_the_statement_on_the_server(
    conn: PostgresConnection,
    start: Callable[[PostgresConnection, str], Awaitable[Any]],
) -> None:
    await conn.execute("CREATE TABLE sleepers (i int)")
    marker = _marker()
    task = asyncio.ensure_future(start(conn, marker))
    await _wait_running(marker)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await _assert_gone(marker)
    assert (await collect(conn.stream("SELECT 1 AS ok"))).to_pylist() == [{"ok": 1}]
    assert await conn.execute("SELECT * FROM sleepers") == 0


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "execute"])
async def test_timeout_raises_query_timeout_and_stops_the_statement(
    conn: PostgresConnection, stream: bool
) -> None:
    marker = _marker()
    sql = f"SELECT '{marker}' AS m FROM pg_sleep(5)"
    with pytest.raises(QueryTimeout, match=r"0\.5s timeout") as info:
        if stream:
            await collect(conn.stream(sql, timeout=0.5))
        else:
            await conn.execute(sql, timeout=0.5)
    assert info.value.sql == sql
    await _assert_gone(marker)
    assert (await collect(conn.stream("SELECT 1 AS ok"))).to_pylist() == [{"ok": 1}]


async def test_statement_timeout_of_the_data_source_applies(source: DataSource) -> None:
    conn = await PostgresConnector(
        source.model_copy(update={"statement_timeout": 0.3})
    ).connect()
    try:
        with pytest.raises(QueryTimeout):
            await conn.execute("SELECT pg_sleep(5)")
    finally:
        await conn.aclose()


async def test_server_side_statement_timeout_is_a_query_timeout(
    conn: PostgresConnection,
) -> None:
    await conn.execute("SET statement_timeout = '100ms'")
    with pytest.raises(QueryTimeout, match="statement timeout") as info:
        await collect(conn.stream("SELECT 1 AS x FROM pg_sleep(2)"))
    assert not info.value.transient
    assert (await collect(conn.stream("SELECT 1 AS x"))).num_rows == 1  # still usable


# -- transactions ----------------------------------------------------------------------


async def test_commit_rollback_and_savepoints(conn: PostgresConnection) -> None:
    await conn.execute("CREATE TABLE tx (v text)")
    async with conn.transaction():
        await conn.execute("INSERT INTO tx VALUES ('committed')")
        assert conn._conn.is_in_transaction()
    with pytest.raises(RuntimeError):
        async with conn.transaction():
            await conn.execute("INSERT INTO tx VALUES ('rolled back')")
            raise RuntimeError("undo")
    async with conn.transaction():
        await conn.execute("INSERT INTO tx VALUES ('outer')")
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await conn.execute("INSERT INTO tx VALUES ('inner')")
                raise RuntimeError("undo inner")
        async with conn.transaction():
            await conn.execute("INSERT INTO tx VALUES ('inner kept')")
        # Both paths read the transaction's own uncommitted rows.
        seen = await collect(conn.stream("SELECT v FROM tx ORDER BY v"))
        returned = await collect(conn.stream("UPDATE tx SET v = v RETURNING v"))
        assert conn._conn.is_in_transaction()
    assert not conn._conn.is_in_transaction()
    expected = ["committed", "inner kept", "outer"]
    assert seen.column("v").to_pylist() == expected
    assert sorted(returned.column("v").to_pylist()) == expected
    final = await collect(conn.stream("SELECT v FROM tx ORDER BY v"))
    assert final.column("v").to_pylist() == expected


async def test_failed_record_stream_rolls_back_its_own_transaction(
    conn: PostgresConnection,
) -> None:
    await conn.execute("CREATE TABLE once (id int PRIMARY KEY)")
    with pytest.raises(QueryError, match="duplicate key"):
        await collect(conn.stream("INSERT INTO once VALUES (1), (1) RETURNING id"))
    assert not conn._conn.is_in_transaction()
    assert await conn.execute("SELECT * FROM once") == 0


# -- catalog -----------------------------------------------------------------------------


class _Counting:
    """Forwards to an asyncpg connection, counting statements sent."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name in {
            "fetch",
            "fetchrow",
            "fetchval",
            "execute",
            "prepare",
            "copy_from_query",
        }:

            def counted(*args: Any, **kwargs: Any) -> Any:
                self.calls.append(name)
                return attr(*args, **kwargs)

            return counted
        return attr


async def test_catalog_reads_one_schema_in_one_statement(
    conn: PostgresConnection,
) -> None:
    await conn.execute(
        """
        CREATE TABLE region (code char(2), country text, PRIMARY KEY (country, code));
        CREATE TABLE customer (
            id bigint PRIMARY KEY,
            name varchar(40) NOT NULL,
            country text, region char(2),
            CONSTRAINT customer_region_fk FOREIGN KEY (country, region)
                REFERENCES region (country, code));
        CREATE TABLE orders (
            id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            customer_id bigint NOT NULL REFERENCES customer (id),
            amount numeric(12,2),
            placed timestamptz,
            dropped_soon int);
        ALTER TABLE orders DROP COLUMN dropped_soon;
        ALTER TABLE orders ADD COLUMN note text;
        CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 100;
        CREATE MATERIALIZED VIEW order_totals AS SELECT customer_id, sum(amount) AS total
            FROM orders GROUP BY customer_id;
        INSERT INTO region VALUES ('BY', 'DE'), ('HH', 'DE');
        ANALYZE region;
        """
    )
    counting = _Counting(conn._conn)
    conn._conn = counting
    try:
        catalog = await conn.catalog()
    finally:
        conn._conn = counting._inner
    assert counting.calls == ["fetchrow"]
    current = (await collect(conn.stream("SELECT current_schema() AS s"))).column(0)[0]
    assert catalog.schema == current.as_py()
    assert list(catalog.tables) == [
        "big_orders",
        "customer",
        "order_totals",
        "orders",
        "region",
    ]

    orders = catalog["orders"]
    assert orders.kind == "table"
    assert [(c.name, c.data_type, c.nullable, c.position) for c in orders.columns] == [
        ("id", "integer", False, 1),
        ("customer_id", "bigint", False, 2),
        ("amount", "numeric(12,2)", True, 3),
        ("placed", "timestamp with time zone", True, 4),
        ("note", "text", True, 5),
    ]
    assert orders.primary_key == ("id",)
    assert orders.row_estimate is None  # never analyzed: reltuples = -1
    (fk,) = orders.foreign_keys
    assert (fk.columns, fk.referred_schema, fk.referred_table, fk.referred_columns) == (
        ("customer_id",),
        catalog.schema,
        "customer",
        ("id",),
    )

    customer = catalog["customer"]
    assert customer.column("name").data_type == "character varying(40)"
    assert not customer.column("name").nullable
    (region_fk,) = customer.foreign_keys
    assert region_fk.name == "customer_region_fk"
    assert region_fk.columns == ("country", "region")
    assert region_fk.referred_columns == ("country", "code")
    assert catalog["region"].primary_key == ("country", "code")
    assert catalog["region"].row_estimate == 2
    assert catalog["region"].column("code").data_type == "character(2)"

    view = catalog["big_orders"]
    assert view.kind == "view"
    assert view.row_estimate is None
    assert [c.name for c in view.columns] == ["id", "amount"]
    assert catalog["order_totals"].kind == "view"


async def test_catalog_of_a_named_schema_and_schema_list(
    conn: PostgresConnection,
) -> None:
    await conn.execute("CREATE TABLE here (i int)")
    current = (await collect(conn.stream("SELECT current_schema() AS s"))).column(0)[0]
    assert list((await conn.catalog("pg_catalog")).tables)[:1] == ["pg_aggregate"]
    assert list((await conn.catalog(current.as_py())).tables) == ["here"]
    assert len(await conn.catalog("sqltest_no_such_schema")) == 0
    schemas = await conn.schemas()
    assert current.as_py() in schemas and "public" in schemas
    assert not [s for s in schemas if s.startswith("pg_") or s == "information_schema"]


async def test_catalog_without_a_current_schema_is_a_query_error(
    source: DataSource,
) -> None:
    options = {"server_settings": {"search_path": "sqltest_missing_schema"}}
    conn = await PostgresConnector(
        source.model_copy(update={"options": options})
    ).connect()
    try:
        with pytest.raises(QueryError, match="no current schema"):
            await conn.catalog()
    finally:
        await conn.aclose()


# -- pool and harness ------------------------------------------------------------------


async def test_pool_round_trip_with_the_scratch_schema() -> None:
    async with scratch(pool={"min_size": 1, "max_size": 2}) as source:
        schema = source.options["server_settings"]["search_path"].strip('"')
        async with open_pool(source) as pool:
            await pool.execute("CREATE TABLE lands_here (i int)")
            await pool.execute("INSERT INTO lands_here VALUES ($1), ($2)", [1, 2])
            assert await pool.scalar("SELECT sum(i) FROM lands_here") == 2 + 1
            catalog = await pool.catalog()
            assert catalog.schema == schema and "lands_here" in catalog
    async with admin() as conn:
        left = await conn.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]
        )
    assert left == 0


async def test_break_then_reuse_at_once_many_times(conn: PostgresConnection) -> None:
    # Each abandoned stream closes in a task of the event loop's GC hook, while
    # the next statement already waits; rows are in flight at every cancel.
    markers = [_marker() for _ in range(10)]
    for i, marker in enumerate(markers):
        sql = (
            f"SELECT '{marker}' AS m, a, b"
            " FROM generate_series(1, 10000) a, generate_series(1, 10000) b"
        )
        async for batch in conn.stream(sql, batch_size=1000):
            assert batch.num_rows == 1000
            break
        assert await conn.execute(f"SELECT {i}") == 1
    assert not conn.is_closed
    for marker in markers:
        await _assert_gone(marker)


async def test_cancel_inside_a_transaction_rolls_back_cleanly(
    conn: PostgresConnection,
) -> None:
    await conn.execute("CREATE TABLE sleepers (i int)")
    marker = _marker()

    async def work() -> None:
        async with conn.transaction():
            await conn.execute("INSERT INTO sleepers VALUES (1)")
            await _copy_sleep(conn, marker)

    task = asyncio.ensure_future(work())
    await _wait_running(marker)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await _assert_gone(marker)
    assert not conn.is_closed
    assert not conn.in_transaction
    assert await conn.execute("SELECT * FROM sleepers") == 0


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SHOW DateStyle", {"DateStyle": ["ISO, YMD"]}),
        ("VALUES (1, 'a'), (2, 'b')", {"column1": [1, 2], "column2": ["a", "b"]}),
        ("SELECT 1 AS locked FOR UPDATE", {"locked": [1]}),
    ],
)
async def test_other_statements_stream_too(
    conn: PostgresConnection, sql: str, expected: dict[str, list[object]]
) -> None:
    assert (await collect(conn.stream(sql))).to_pydict() == expected


async def test_copy_buffer_stays_bounded_with_a_slow_consumer(
    conn: PostgresConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqltest_core.connectors.postgres as pg

    limit = 256 * 1024
    monkeypatch.setattr(pg, "_PIPE_BYTES", limit)
    peak = 0
    write = pg._Pipe.write_chunk

    async def watched(self: pg._Pipe, data: bytes) -> None:
        nonlocal peak
        await write(self, data)
        peak = max(peak, self._size)

    monkeypatch.setattr(pg._Pipe, "write_chunk", watched)
    rows = 0
    sql = "SELECT i, repeat('x', 100) AS pad FROM generate_series(1, 200000) i"
    async for batch in conn.stream(sql, batch_size=10_000):  # about 21 MB of text
        rows += batch.num_rows
        await asyncio.sleep(0.01)
    assert rows == 200_000
    assert 0 < peak <= limit + 512 * 1024  # the limit plus one socket read
