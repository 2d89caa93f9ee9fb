"""Server-free parts: SQL scanning, connect arguments, the COPY pipe and reader."""

from __future__ import annotations

import asyncio
import io
import threading

import pyarrow as pa
import pytest

from sqltest_core.config import DataSource
from sqltest_core.connectors import connector_for
from sqltest_core.connectors.postgres import (
    SESSION_SETTINGS,
    PostgresConnector,
    _affected,
    _connect_args,
    _copy_sql,
    _CopyReader,
    _is_copyable,
    _numeric,
    _Pipe,
    _statement_words,
    _substitute_params,
)


@pytest.mark.parametrize(
    ("sql", "copyable"),
    [
        ("SELECT 1", True),
        ("  /* lead */ -- line\n select 1", True),
        ("(SELECT 1) UNION (SELECT 2)", True),
        ("VALUES (1), (2)", True),
        ("TABLE t", True),
        ("WITH a AS (SELECT 1) SELECT * FROM a", True),
        ("SELECT 'insert into' AS x, \"update\" FROM t -- delete", True),
        ("SELECT $$ delete $$, $q$ merge $q$", True),
        ("SELECT updated_at, last_update FROM t", True),
        ("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", False),
        ("INSERT INTO t VALUES (1) RETURNING id", False),
        ("UPDATE t SET a = 1 RETURNING a", False),
        ("SELECT * INTO new_t FROM t", False),
        ("SELECT * FROM t FOR UPDATE", False),
        ("SHOW work_mem", False),
        ("EXPLAIN SELECT 1", False),
        ("", False),
    ],
)
def test_only_plain_queries_take_the_copy_path(sql: str, copyable: bool) -> None:
    assert _is_copyable(sql) is copyable


def test_words_skip_literals_identifiers_and_comments() -> None:
    sql = "SELECT E'it\\'s delete', 'a''b', \"into\" /* merge */ FROM t$1"
    assert _statement_words(sql) == ["select", "from", "t$1"]


def test_parameters_are_replaced_outside_literals_only() -> None:
    sql = (
        "SELECT $1, '$1', E'\\'$2', \"$1\", $tag$ $2 $tag$, t$1, $2 -- $1\n"
        "/* $2 */ , $10"
    )
    literals = [f"<{i}>" for i in range(1, 11)]
    assert _substitute_params(sql, literals) == (
        "SELECT <1>, '$1', E'\\'$2', \"$1\", $tag$ $2 $tag$, t$1, <2> -- $1\n"
        "/* $2 */ , <10>"
    )


def test_copy_sql_wraps_and_renames_columns_positionally() -> None:
    from sqltest_core.connectors.postgres import _plan

    class Type:
        def __init__(self, name: str) -> None:
            self.name, self.schema, self.kind = name, "pg_catalog", "scalar"

    columns = [_plan("a", Type("int4"), -1), _plan("a", Type("timestamptz"), -1)]
    assert _copy_sql("SELECT 1 AS a, now() AS a;  ", columns) == (
        "SELECT _sqltest_q.c0, _sqltest_q.c1 AT TIME ZONE 'UTC' FROM (\n"
        "SELECT 1 AS a, now() AS a\n) AS _sqltest_q(c0, c1)"
    )


@pytest.mark.parametrize(
    ("typmod", "expected"),
    [(-1, None), ((12 << 16 | 2) + 4, (12, 2)), ((5 << 16) + 4, (5, 0))],
)
def test_numeric_typmod_gives_precision_and_scale(
    typmod: int, expected: tuple[int, int] | None
) -> None:
    assert _numeric(typmod) == expected


@pytest.mark.parametrize(
    ("status", "count"),
    [
        ("INSERT 0 5", 5),
        ("UPDATE 3", 3),
        ("DELETE 0", 0),
        ("SELECT 7", 7),
        ("MERGE 2", 2),
        ("CREATE TABLE", -1),
        ("BEGIN", -1),
    ],
)
def test_affected_rows_come_from_the_command_tag(status: str, count: int) -> None:
    assert _affected(status) == count


def test_connect_args_keep_the_password_out_of_the_dsn() -> None:
    source = DataSource(
        url="postgres://app@db.example:6543/wh?application_name=x",
        password="s3cr3t-pw",
        options={
            "timeout": 3,
            "server_settings": {"search_path": "s", "DateStyle": "SQL"},
            "statement_cache_size": 0,
        },
    )
    args = _connect_args(source)
    assert args["dsn"] == "postgresql://app@db.example:6543/wh?application_name=x"
    assert args["password"] == "s3cr3t-pw"
    assert args["timeout"] == 3
    assert args["statement_cache_size"] == 0
    # The COPY reader needs ISO dates: ours win over the user's.
    assert args["server_settings"] == {"search_path": "s", **SESSION_SETTINGS}


def test_connect_args_without_password_or_options() -> None:
    args = _connect_args(DataSource(url="postgresql+asyncpg://u@h/d"))
    assert args == {
        "dsn": "postgresql://u@h/d",
        "timeout": 10.0,
        "server_settings": SESSION_SETTINGS,
    }


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_both_schemes_pick_the_postgres_connector(scheme: str) -> None:
    connector = connector_for(DataSource(url=f"{scheme}://u@h/d"))
    assert isinstance(connector, PostgresConnector)
    assert (connector.name, connector.dialect, connector.paramstyle) == (
        "postgres",
        "postgres",
        "numeric",
    )


async def test_pipe_holds_the_writer_back_until_the_reader_catches_up() -> None:
    pipe = _Pipe(asyncio.get_running_loop(), limit=10, ready_at=4)
    await pipe.write_chunk(b"abc")
    assert not pipe.ready.is_set()
    writer = asyncio.create_task(pipe.write_chunk(b"defghijk"))  # 11 bytes: full
    await asyncio.sleep(0.01)
    assert pipe.ready.is_set()
    assert not writer.done()
    got = await asyncio.to_thread(pipe.read, 5)
    assert got == b"abcde"
    await asyncio.wait_for(writer, 1)
    pipe.finish()
    assert await asyncio.to_thread(pipe.read, -1) == b"fghijk"
    assert await asyncio.to_thread(pipe.read, 10) == b""


async def test_pipe_abort_wakes_a_waiting_reader() -> None:
    pipe = _Pipe(asyncio.get_running_loop(), limit=10, ready_at=4)
    result: list[bytes] = []
    thread = threading.Thread(target=lambda: result.append(pipe.read(5)))
    thread.start()
    await asyncio.sleep(0.01)
    pipe.abort()
    await asyncio.to_thread(thread.join, 2)
    assert result == [b""]
    await pipe.write_chunk(b"late")  # dropped: the COPY drains into nothing
    assert pipe.read(10) == b""


def test_copy_reader_slices_exact_batches_and_unescapes_text() -> None:
    from sqltest_core.connectors.postgres import _Column

    columns = [
        _Column("i", pa.int32(), "plain", ("{c}",), (pa.int32(),)),
        _Column("s", pa.string(), "text", ("{c}",), (pa.string(),)),
    ]
    schema = pa.schema([("i", pa.int32()), ("s", pa.string())])
    data = b"1\ta\\tb\n2\t\\N\n3\t\n4\tc\\\\n\\n\n5\tz\n"
    reader = _CopyReader(io.BytesIO(data), columns, schema, threads=False)
    batches = []
    while (batch := reader.next_batch(2)) is not None:
        batches.append(batch)
    assert [b.num_rows for b in batches] == [2, 2, 1]
    assert pa.Table.from_batches(batches).to_pydict() == {
        "i": [1, 2, 3, 4, 5],
        "s": ["a\tb", None, "", "c\\n\n", "z"],
    }
