"""SQLite connections: URLs and options, shared in-memory databases, errors, REGEXP."""

from __future__ import annotations

import contextlib
from pathlib import Path

import anyio
import pytest

from sqltest_core import ConfigError, ConnectError, Pool, QueryError, open_pool
from sqltest_core.config import DataSource
from sqltest_core.connectors import collect
from sqltest_core.connectors.sqlite import SQLiteConnection, SQLiteConnector, _compiled
from sqltest_core_tests.connectors.sqlite import harness


def _connector(url: str) -> SQLiteConnector:
    return SQLiteConnector(DataSource(name="t", url=url))


async def _scalar(
    conn: SQLiteConnection, sql: str, params: list[object] | None = None
) -> object:
    table = await collect(conn.stream(sql, params or []))
    return table.column(0)[0].as_py()


# -- URLs and options -------------------------------------------------------------


async def test_relative_path_is_resolved_once_against_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    connector = _connector("sqlite:///rel.db")
    monkeypatch.chdir("/")  # a later chdir must not move the pool to another file
    conn = await connector.connect()
    await conn.execute("create table t (x integer)")
    await conn.aclose()
    assert (tmp_path / "rel.db").is_file()


async def test_absolute_path_url(tmp_path: Path) -> None:
    path = tmp_path / "abs.db"
    async with open_pool(f"sqlite:///{path}") as db:
        assert str(db.source.url).startswith("sqlite:////")
        await db.execute("create table t (x integer)")
    assert path.is_file()


@pytest.mark.parametrize("url", ["sqlite://:memory:", "sqlite://"])
async def test_pooled_memory_connections_share_one_database(url: str) -> None:
    async with open_pool(url, pool={"min_size": 3, "max_size": 3}) as db:
        async with db.acquire() as a, db.acquire() as b:
            assert a is not b
            await a.execute("create table shared (x integer)")
            await a.execute("insert into shared values (1)")
            assert await b.execute("insert into shared values (2)") == 1
        assert await db.scalar("select sum(x) from shared") == 3


async def test_memory_database_outlives_its_connections_but_not_its_connector() -> None:
    connector = _connector("sqlite://:memory:")
    first = await connector.connect()
    await first.execute("create table kept (x integer)")
    await first.aclose()  # no connection open now: the connector keeps the data alive
    second = await connector.connect()
    assert await _scalar(second, "select count(*) from kept") == 0
    await second.aclose()
    other = await _connector("sqlite://:memory:").connect()  # another data source
    with pytest.raises(QueryError, match="no such table: kept"):
        await _scalar(other, "select count(*) from kept")
    await other.aclose()


async def test_memory_writer_blocks_readers_until_commit_not_with_an_error() -> None:
    connector = _connector("sqlite://:memory:?timeout=0")
    a, b = await connector.connect(), await connector.connect()
    await a.execute("create table t (x integer)")
    await a.execute("begin")
    await a.execute("insert into t values (1)")
    with pytest.raises(QueryError) as info:  # not cache=shared's "table is locked"
        await _scalar(b, "select count(*) from t")
    assert info.value.transient
    assert "database is locked" in str(info.value)
    await a.execute("commit")
    assert await _scalar(b, "select count(*) from t") == 1
    await a.aclose()
    await b.aclose()


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("sqlite://somehost/x.db", "take no host"),
        ("sqlite:///x.db?jurnal_mode=wal", "unknown SQLite option"),
        ("sqlite:///x.db?timeout=soon", "timeout must be a number"),
        ("sqlite:///x.db?journal_mode=fast", "journal_mode must be one of"),
        ("sqlite:///x.db?foreign_keys=maybe", "foreign_keys must be on or off"),
    ],
)
def test_bad_urls_are_config_errors(url: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        _connector(url)


async def test_file_databases_use_wal_unless_told_otherwise(source: DataSource) -> None:
    url = str(source.url)
    conn = await _connector(url).connect()
    assert await _scalar(conn, "pragma journal_mode") == "wal"
    await conn.aclose()
    conn = await _connector(url + "?journal_mode=delete").connect()
    assert await _scalar(conn, "pragma journal_mode") == "delete"
    await conn.aclose()


async def test_memory_journal_mode_is_left_alone(conn: SQLiteConnection) -> None:
    assert await _scalar(conn, "pragma journal_mode") == "memory"


async def test_foreign_keys_are_enforced_unless_turned_off(source: DataSource) -> None:
    ddl = [
        "create table parent (id integer primary key)",
        "create table child (pid integer references parent (id))",
    ]
    async with open_pool(source) as db:
        for sql in ddl:
            await db.execute(sql)
        with pytest.raises(QueryError, match="FOREIGN KEY constraint failed") as info:
            await db.execute("insert into child values (1)")
        assert not info.value.transient
    async with open_pool(str(source.url) + "?foreign_keys=off") as db:
        assert await db.execute("insert into child values (1)") == 1


async def test_read_only_mode_reads_but_refuses_writes(source: DataSource) -> None:
    async with open_pool(source) as db:
        await db.execute("create table t (x integer)")
        await db.execute("insert into t values (7)")
    async with open_pool(str(source.url) + "?mode=ro") as db:
        assert await db.scalar("select x from t") == 7
        with pytest.raises(QueryError, match="readonly database"):
            await db.execute("insert into t values (8)")


async def test_missing_file_in_read_only_mode_is_a_permanent_connect_error(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConnectError, match="unable to open database file") as info:
        await _connector(f"sqlite:///{tmp_path}/absent.db?mode=ro").connect()
    assert not info.value.transient
    assert str(tmp_path / "absent.db") in str(info.value)


async def test_missing_directory_fails_fast_through_the_pool(tmp_path: Path) -> None:
    async with open_pool(
        f"sqlite:///{tmp_path}/no/such/dir/x.db", pool={"min_size": 0}
    ) as db:
        with pytest.raises(ConnectError, match="cannot open SQLite database") as info:
            await db.scalar("select 1")
    assert not info.value.transient  # no retrying for a minute: the path is wrong


async def test_a_file_that_is_not_a_database_is_a_connect_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are not the pages you are looking for\n" * 200)
    with pytest.raises(ConnectError, match="file is not a database"):
        await _connector(f"sqlite:///{path}").connect()


# -- errors ------------------------------------------------------------------------


async def test_busy_database_is_a_transient_query_error(source: DataSource) -> None:
    connector = _connector(str(source.url) + "?timeout=0")
    a, b = await connector.connect(), await connector.connect()
    await a.execute("create table t (x integer)")
    await a.execute("begin immediate")
    with pytest.raises(QueryError, match="database is locked") as info:
        await b.execute("insert into t values (1)")
    assert info.value.transient
    assert info.value.source == "t"
    assert not b.is_closed  # a busy database says nothing bad about the session
    await a.execute("rollback")
    assert await b.execute("insert into t values (1)") == 1
    await a.aclose()
    await b.aclose()


async def test_sql_errors_are_query_errors_with_the_statement(
    conn: SQLiteConnection,
) -> None:
    with pytest.raises(QueryError, match="syntax error") as info:
        await conn.execute("selec 1")
    assert info.value.sql == "selec 1"
    assert not info.value.transient
    with pytest.raises(QueryError, match="one statement at a time"):
        await conn.execute("select 1; select 2")
    with pytest.raises(QueryError, match="Incorrect number of bindings"):
        await conn.execute("select ?", [1, 2])
    assert not conn.is_closed


async def test_operating_on_a_closed_connection_is_a_connect_error(
    conn: SQLiteConnection,
) -> None:
    await conn._close()  # closed under the wrapper's feet
    with pytest.raises(ConnectError):
        await conn.execute("select 1")
    assert conn.broken


# -- transactions ------------------------------------------------------------------


async def test_execute_returns_affected_rows(conn: SQLiteConnection) -> None:
    await conn.execute("create table t (x integer)")
    assert await conn.execute("insert into t values (1), (2), (3)") == 3
    assert await conn.execute("update t set x = x + 1 where x > ?", [1]) == 2
    assert await conn.execute("select * from t") == -1


async def test_savepoints_nest(conn: SQLiteConnection) -> None:
    await conn.execute("create table t (x integer)")
    async with conn.transaction():
        await conn.execute("insert into t values (1)")
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await conn.execute("insert into t values (2)")
                raise RuntimeError("undo the inner block")
        async with conn.transaction():
            await conn.execute("insert into t values (3)")
    assert await _scalar(conn, "select group_concat(x) from t") == "1,3"


async def test_rollback_after_sqlite_already_ended_the_transaction_keeps_the_session(
    conn: SQLiteConnection,
) -> None:
    await conn.execute("create table t (x integer)")
    with pytest.raises(RuntimeError):
        async with conn.transaction():
            await conn.execute("insert into t values (1)")
            await conn.execute("rollback")  # the transaction is gone before ours ends
            raise RuntimeError("boom")
    assert not conn.broken
    assert await _scalar(conn, "select count(*) from t") == 0


# -- REGEXP ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("select 'abc' regexp 'b'", 1),  # a search, not a full match
        ("select 'abc' regexp '^b'", 0),
        ("select 'ABC' regexp '(?i)abc'", 1),
        ("select 'abc' not regexp 'z'", 1),
        ("select 12345 regexp '^[0-9]+$'", 1),  # numbers are matched as their text
        ("select 1.5 regexp '^1[.]5$'", 1),
        ("select x'68c3a9' regexp '^hé$'", 1),  # blobs as UTF-8
        ("select null regexp 'a'", None),
        ("select 'a' regexp null", None),
    ],
)
async def test_regexp(conn: SQLiteConnection, sql: str, expected: int | None) -> None:
    assert await _scalar(conn, sql) == expected


async def test_regexp_filters_rows_and_caches_compiled_patterns(db: Pool) -> None:
    await db.execute("create table emails (address text)")
    async with db.transaction() as conn:
        for address in ["a@example.com", "bad-address", None, "b@example.org"]:
            await conn.execute("insert into emails values (?)", [address])
    _compiled.cache_clear()
    pattern = r"^[^@\s]+@[^@\s]+\.[a-z]+$"
    table = await db.fetch_arrow(
        "select address from emails where address regexp ? order by address", [pattern]
    )
    assert table.column(0).to_pylist() == ["a@example.com", "b@example.org"]
    info = _compiled.cache_info()
    assert (info.misses, info.hits) == (1, 2)  # compiled once for three non-NULL rows


async def test_invalid_regexp_is_a_query_error_that_says_why(
    conn: SQLiteConnection,
) -> None:
    with pytest.raises(QueryError, match=r"REGEXP: invalid regular expression: .*\)"):
        await _scalar(conn, "select 'abc' regexp '(unclosed'")
    assert await _scalar(conn, "select 'abc' regexp 'a'") == 1


async def test_regexp_is_on_every_pooled_connection() -> None:
    async with open_pool(
        "sqlite://:memory:", pool={"min_size": 3, "max_size": 3}
    ) as db:
        async with db.acquire() as a, db.acquire() as b, db.acquire() as c:
            for conn in (a, b, c):
                table = await collect(conn.stream("select 'x' regexp 'x' as m"))
                assert table.to_pylist() == [{"m": 1}]


# -- harness ------------------------------------------------------------------------


async def test_scratch_database_is_removed_afterwards() -> None:
    async with harness.scratch(statement_timeout=3) as src:
        assert src.name == "sqlite" and src.statement_timeout == 3
        path = Path(str(src.url.database))
        async with open_pool(src) as db:
            await db.execute("create table t (x integer)")
        assert await anyio.Path(path).is_file()
    assert not await anyio.Path(path.parent).exists()


async def test_sleep_sql_returns_one_row(conn: SQLiteConnection) -> None:
    table = await collect(conn.stream(harness.sleep_sql(0.01)))
    assert table.num_rows == 1
    assert table.column(0)[0].as_py() >= 1
    assert await harness.running_statements("x") is None
    assert harness.bad_password_url("pw") is None


def test_scratch_is_an_async_context_manager() -> None:
    assert isinstance(harness.scratch(), contextlib.AbstractAsyncContextManager)
