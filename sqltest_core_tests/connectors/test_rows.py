"""``Rows`` itself, and ``fetch_rows``' native paths on DuckDB and SQLite.

Every engine's rows are checked against its Arrow path in
``conformance/test_rows.py``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date, timedelta
from decimal import Decimal

import pyarrow as pa
import pytest

from sqltest_core import QueryError, open_pool
from sqltest_core.connectors import Rows

# -- Rows itself ----------------------------------------------------------------


def test_rows_reads_like_a_pyarrow_table_even_with_repeated_names() -> None:
    rows = Rows(("a", "b", "a"), [(1, "x", 2), (3, None, 4)])
    table = pa.table({"a": [1, 3], "b": ["x", None], "a2": [2, 4]}).rename_columns(
        ["a", "b", "a"]
    )
    assert (
        rows.to_pylist()
        == table.to_pylist()
        == [
            {"a": 2, "b": "x"},
            {"a": 4, "b": None},
        ]
    )
    assert len(rows) == 2
    assert rows.first() == (1, "x", 2)
    assert rows.column(1) == ["x", None]
    assert rows.column(-1) == [2, 4]
    with pytest.raises(IndexError):
        rows.column(3)


def test_empty_rows_have_no_first_row() -> None:
    rows = Rows(("a",), [])
    assert len(rows) == 0
    assert rows.first() is None
    assert rows.column(0) == []
    assert rows.to_pylist() == []


# -- DuckDB: native path, deliberate differences ------------------------------------


async def test_duckdb_values_match_arrow_where_types_differ() -> None:
    async with open_pool("duckdb://:memory:") as pool:
        sql = """
            select '5451760b-09b5-4d92-85d7-44f05115272e'::uuid as u,
                   ['5451760b-09b5-4d92-85d7-44f05115272e'::uuid] as us,
                   {'k': '5451760b-09b5-4d92-85d7-44f05115272e'::uuid} as s,
                   map([1, 2], ['a', 'b']) as m,
                   map {[1]: 2} as nested_key,
                   [1, 2]::integer[2] as fixed,
                   null::uuid as no_uuid,
                   interval 3 day as i,
                   170141183460469231731687303715884105727::hugeint as h
        """
        rows = await pool.fetch_rows(sql)
        table = await pool.fetch_arrow(sql)
    got, want = rows.to_pylist()[0], table.to_pylist()[0]
    assert got["u"] == "5451760b-09b5-4d92-85d7-44f05115272e"
    for name in ("u", "us", "s", "m", "nested_key", "fixed", "no_uuid"):
        assert got[name] == want[name], name
    # Deliberate: a timedelta rather than pyarrow's MonthDayNano, an exact int
    # rather than a Decimal.
    assert got["i"] == timedelta(days=3)
    assert got["h"] == 2**127 - 1 == want["h"]
    assert type(got["h"]) is int


async def test_duckdb_statement_without_result_gives_what_arrow_gives() -> None:
    async with open_pool("duckdb://:memory:") as pool:
        created = await pool.fetch_rows("create table t (x integer)")
        inserted = await pool.fetch_rows("insert into t values (1), (2)")
        table = await pool.fetch_arrow("insert into t values (3)")
    assert created.rows == []
    assert inserted.rows == [(2,)]
    assert inserted.columns == tuple(table.column_names)


# -- SQLite: values typed as the Arrow path types them ------------------------------


async def test_sqlite_rows_follow_declared_types_and_fail_alike() -> None:
    async with open_pool("sqlite://:memory:") as pool:
        await pool.execute(
            "create table t (b boolean, d date, ts timestamptz, n numeric(6,2), "
            "x integer, anything)"
        )
        await pool.execute(
            "insert into t values (1, '2024-01-02', '2024-01-02 03:04:05+01:00', "
            "2.5, 3.0, 'text'), (0, null, '2024-01-02T00:00:00Z', 7, null, 5)"
        )
        sql = 'select b, d, ts, n, x, anything, x + 1 as "y [text]" from t'
        rows = await pool.fetch_rows(sql)
        table = await pool.fetch_arrow(sql)
        assert rows.columns == tuple(table.column_names)
        assert rows.to_pylist() == table.to_pylist()
        assert rows.first() == (
            True,
            date(2024, 1, 2),
            table.column("ts")[0].as_py(),
            Decimal("2.50"),
            3,
            "text",
            "4",
        )
        await pool.execute("insert into t (x) values ('not a number')")
        with pytest.raises(QueryError, match="result column 'x'") as rows_error:
            await pool.fetch_rows("select x from t")
        with pytest.raises(QueryError) as arrow_error:
            await pool.fetch_arrow("select x from t")
        assert str(rows_error.value) == str(arrow_error.value)


# -- no pyarrow on the native paths ----------------------------------------------


@pytest.mark.parametrize("url", ["duckdb://:memory:", "sqlite://:memory:"])
def test_fetch_rows_does_not_import_pyarrow(url: str) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        import anyio
        from sqltest_core import open_pool

        async def main():
            async with open_pool({url!r}) as pool:
                rows = await pool.fetch_rows("select 1 as a, 'x' as b")
                assert rows.rows == [(1, "x")], rows
                assert await pool.scalar("select 2") == 2

        anyio.run(main)
        assert "pyarrow" not in sys.modules, "pyarrow was imported"
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
