"""The rewrites themselves: exact SQL text, scoping and the error contract."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest

from sqltest_core.errors import ConfigError
from sqltest_core.testing import (
    DEFAULT_MAX_CELLS,
    FixtureTooLarge,
    NotInlinable,
    freeze_clock,
    mock_tables,
    select_cte,
)

ROWS = pa.table({"id": pa.array([1, 2], pa.int32())})


def test_reference_keeps_its_alias_and_qualified_columns() -> None:
    sql = mock_tables(
        "SELECT o.id FROM sales.orders AS o", {"sales.orders": ROWS}, dialect="postgres"
    )
    assert sql.endswith('SELECT o.id FROM "sqltest_mock_sales_orders" AS o')


def test_names_match_case_insensitively_with_same_parts() -> None:
    sql = mock_tables(
        "SELECT * FROM Sales.ORDERS", {"sales.orders": ROWS}, dialect="duckdb"
    )
    assert sql.endswith('FROM "sqltest_mock_sales_orders" AS ORDERS')
    with pytest.raises(
        ConfigError,
        match=r"fixtures \['orders'\] match no table the query reads \(\['sales.orders'\]\)",
    ):
        mock_tables("SELECT * FROM sales.orders", {"orders": ROWS}, dialect="duckdb")


def test_cte_of_the_same_name_shadows_the_table() -> None:
    with pytest.raises(ConfigError, match="match no table"):
        mock_tables(
            "WITH orders AS (SELECT 1 AS id) SELECT * FROM orders",
            {"orders": ROWS},
            dialect="duckdb",
        )
    # A nested WITH shadows inside its own query only.
    sql = mock_tables(
        "SELECT (WITH orders AS (SELECT 5 AS id) SELECT MAX(id) FROM orders) AS a, "
        "(SELECT MAX(id) FROM orders) AS b",
        {"orders": ROWS},
        dialect="duckdb",
    )
    assert duckdb.execute(sql).fetchall() == [(5, 2)]


def test_recursive_cte_sees_itself() -> None:
    sql = mock_tables(
        "WITH RECURSIVE orders AS (SELECT 1 AS id UNION ALL SELECT id + 1 FROM orders WHERE id < 3), "
        "x AS (SELECT id FROM t) SELECT (SELECT SUM(id) FROM orders), (SELECT SUM(id) FROM x)",
        {"t": ROWS},
        dialect="duckdb",
    )
    assert duckdb.execute(sql).fetchall() == [(6, 3)]


def test_mock_name_avoids_the_query_cte_names() -> None:
    sql = mock_tables(
        "WITH sqltest_mock_t AS (SELECT 7 AS id) SELECT (SELECT id FROM sqltest_mock_t), (SELECT MAX(id) FROM t)",
        {"t": ROWS},
        dialect="duckdb",
    )
    assert '"sqltest_mock_t_2"' in sql
    assert duckdb.execute(sql).fetchall() == [(7, 2)]


def test_string_fixture_renames_to_another_table() -> None:
    sql = mock_tables(
        "SELECT id FROM orders", {"orders": "tmp.orders_1"}, dialect="mysql"
    )
    assert sql == "SELECT id FROM `tmp`.`orders_1` AS orders"


def test_too_large_fixtures_raise_with_sizes_and_nothing_inlined() -> None:
    big = pa.table({"a": list(range(300)), "b": list(range(300))})
    with pytest.raises(FixtureTooLarge) as info:
        mock_tables(
            "SELECT * FROM big, small",
            {"big": big, "small": ROWS},
            dialect="duckdb",
            max_cells=500,
        )
    err = info.value
    assert (err.sizes, err.limit, err.tables) == (
        {"big": 600, "small": 2},
        500,
        ("big", "small"),
    )
    assert isinstance(err, NotInlinable)
    assert str(err) == (
        "fixtures hold 602 cells, over the 500 one statement may inline: "
        "big (600), small (2); use temporary tables"
    )
    assert DEFAULT_MAX_CELLS == 5_000
    # The fallback: the large one as a temporary table, the small one inlined.
    sql = mock_tables(
        "SELECT * FROM big, small",
        {"big": "tmp_big", "small": ROWS},
        dialect="duckdb",
        max_cells=500,
    )
    assert 'FROM "tmp_big" AS big, "sqltest_mock_small" AS small' in sql


def test_uninlinable_values_name_their_fixture() -> None:
    nan = pa.table({"v": [float("nan")]})
    with pytest.raises(NotInlinable) as info:
        mock_tables("SELECT v FROM t", {"t": nan}, dialect="mysql")
    assert info.value.tables == ("t",)
    assert "mysql has no NaN or infinity" in str(info.value)
    got = duckdb.execute(
        mock_tables("SELECT v FROM t", {"t": nan}, dialect="duckdb")
    ).fetchall()
    assert got[0][0] != got[0][0]  # NaN
    binary = pa.table({"v": pa.array([b"x"], pa.binary())})
    with pytest.raises(NotInlinable, match="binary"):
        mock_tables("SELECT v FROM t", {"t": binary}, dialect="duckdb")
    with pytest.raises(ConfigError, match="no type"):
        mock_tables("SELECT v FROM t", {"t": pa.table({"v": [None]})}, dialect="duckdb")


def test_bad_input_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown dialect 'oracle'"):
        mock_tables("SELECT 1", {}, dialect="oracle")
    with pytest.raises(ConfigError, match="expected a query"):
        mock_tables("DELETE FROM t", {"t": ROWS}, dialect="duckdb")
    with pytest.raises(ConfigError, match="cannot parse"):
        mock_tables("SELECT FROM WHERE (", {}, dialect="duckdb")
    with pytest.raises(ConfigError, match="bad table name"):
        mock_tables("SELECT 1", {"a..b": ROWS}, dialect="duckdb")


def test_hostile_fixture_key_and_values_stay_quoted() -> None:
    name = 'x"; drop table y; --'
    sql = mock_tables(
        f'SELECT * FROM "{name.replace(chr(34), chr(34) * 2)}"',
        {name: ROWS},
        dialect="duckdb",
    )
    assert duckdb.execute(sql).fetchall() == [(1,), (2,)]


def test_snowflake_folds_plain_names_to_upper_case() -> None:
    sql = mock_tables("SELECT id FROM orders", {"orders": ROWS}, dialect="snowflake")
    assert sql == (
        'WITH "SQLTEST_MOCK_ORDERS" AS (SELECT CAST(1 AS INT) AS "ID" UNION ALL '
        'SELECT CAST(2 AS INT)) SELECT id FROM "SQLTEST_MOCK_ORDERS" AS orders'
    )


def test_freeze_clock_needs_an_aware_instant() -> None:
    with pytest.raises(ConfigError, match="time-zone-aware"):
        freeze_clock("SELECT CURRENT_DATE", dt.datetime(2024, 1, 1), dialect="duckdb")


def test_freeze_clock_renders_per_dialect() -> None:
    at = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    sql = "SELECT CURRENT_TIMESTAMP AS a"
    assert (
        freeze_clock(sql, at, dialect="mysql")
        == "SELECT CAST('2024-05-06 07:08:09' AS DATETIME(6)) AS a"
    )
    assert (
        freeze_clock(sql, at, dialect="sqlite") == "SELECT '2024-05-06 07:08:09' AS a"
    )
    assert freeze_clock(sql, at, dialect="postgres") == (
        "SELECT CAST('2024-05-06 07:08:09+00:00' AS TIMESTAMPTZ) AS a"
    )


def test_select_cte_keeps_earlier_ctes_only() -> None:
    sql = "WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS y FROM a), c AS (SELECT y FROM b) SELECT * FROM c"
    assert select_cte(sql, "B", dialect="postgres") == (
        "WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS y FROM a) SELECT * FROM b"
    )
    with pytest.raises(
        ConfigError, match=r"no top-level CTE 'z' \(\['a', 'b', 'c'\]\)"
    ):
        select_cte(sql, "z", dialect="postgres")
    with pytest.raises(ConfigError, match=r"\(\[\]\)"):
        select_cte("SELECT 1", "a", dialect="postgres")


def test_nanoseconds_a_datetime_cannot_hold_are_not_inlinable() -> None:
    ns = pa.table({"t": pa.array([1_000_000_001], pa.timestamp("ns"))})
    with pytest.raises(NotInlinable) as info:
        mock_tables("SELECT t FROM x", {"x": ns}, dialect="duckdb")
    assert info.value.tables == ("x",)
    whole = pa.table({"t": pa.array([1_000_000_000], pa.timestamp("ns"))})
    sql = mock_tables("SELECT t FROM x", {"x": whole}, dialect="duckdb")
    assert duckdb.execute(sql).fetchall() == [(dt.datetime(1970, 1, 1, 0, 0, 1),)]


def test_schema_qualified_column_references_follow_the_table() -> None:
    sql = mock_tables(
        "SELECT sales.orders.id, o2.id FROM sales.orders JOIN sales.orders AS o2 "
        "ON sales.orders.id = o2.id ORDER BY 1",
        {"sales.orders": ROWS},
        dialect="duckdb",
    )
    assert duckdb.execute(sql).fetchall() == [(1, 1), (2, 2)]


def test_clock_wall_time_is_at_own_zone_but_utc_on_sqlite() -> None:
    at = dt.datetime(2024, 5, 6, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    sql = "SELECT CURRENT_DATE AS d, CURRENT_TIME AS t, LOCALTIMESTAMP AS l"
    assert freeze_clock(sql, at, dialect="duckdb") == (
        "SELECT CAST('2024-05-06' AS DATE) AS d, CAST('01:00:00' AS TIME) AS t, "
        "CAST('2024-05-06 01:00:00' AS TIMESTAMP) AS l"
    )
    sql = "SELECT CURRENT_DATE AS d, CURRENT_TIME AS t"
    assert freeze_clock(sql, at, dialect="sqlite") == (
        "SELECT '2024-05-05' AS d, '23:00:00' AS t"
    )
