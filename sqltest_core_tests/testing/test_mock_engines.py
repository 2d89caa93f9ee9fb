"""Mocked queries EXECUTED on all five engines, with exact results."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from sqltest_core import Pool, open_pool
from sqltest_core.testing import (
    assert_result_equal,
    freeze_clock,
    mock_tables,
    select_cte,
)
from sqltest_core_tests.testing.conftest import lowered

HOSTILE_TEXT = "'); drop table x; --\\ \" ` \n é '' \\'"
HOSTILE_NAME = 'a"; drop table x; --'
BACKTICK_NAME = "b`; drop table x; --"

CUSTOMERS = pa.table(
    {
        "id": pa.array([1, 2, 3], pa.int32()),
        "name": pa.array(["ann", "bob", "cy"], pa.string()),
    }
)
ORDERS = pa.table(
    {
        "id": pa.array([10, 11, 12, 13], pa.int64()),
        "customer_id": pa.array([1, 1, 2, None], pa.int32()),
        "amount": pa.array(
            [Decimal("10.25"), Decimal("20.50"), Decimal("5.00"), Decimal("1.00")],
            pa.decimal128(10, 2),
        ),
    }
)


async def run(pool: Pool, sql: str, fixtures: dict[str, Any]) -> pa.Table:
    return lowered(
        await pool.fetch_arrow(mock_tables(sql, fixtures, dialect=pool.dialect))
    )


def check(actual: pa.Table, expected: list[dict[str, Any]]) -> None:
    # Engines differ in integer widths (Snowflake: NUMBER(38, 0)) and SQLite has
    # no decimal: loose types, and an explicit zero tolerance for decimal vs REAL.
    assert_result_equal(
        actual,
        expected,
        ordered=True,
        check_types="loose",
        abs_tol=0.0,
        check_column_order=True,
    )


async def test_join_of_two_mocked_tables_with_aggregate(pool: Pool) -> None:
    sql = (
        "SELECT c.name, COUNT(*) AS n, SUM(o.amount) AS total FROM orders o "
        "JOIN customers AS c ON c.id = o.customer_id GROUP BY c.name ORDER BY c.name"
    )
    got = await run(pool, sql, {"orders": ORDERS, "customers": CUSTOMERS})
    check(
        got,
        [
            {"name": "ann", "n": 2, "total": Decimal("30.75")},
            {"name": "bob", "n": 1, "total": Decimal("5.00")},
        ],
    )


async def test_window_function_and_left_join(pool: Pool) -> None:
    sql = (
        "SELECT o.id, SUM(o.amount) OVER (PARTITION BY o.customer_id ORDER BY o.id)"
        " AS running, customers.name FROM orders AS o LEFT JOIN customers"
        " ON customers.id = o.customer_id ORDER BY o.id"
    )
    got = await run(pool, sql, {"orders": ORDERS, "customers": CUSTOMERS})
    check(
        got,
        [
            {"id": 10, "running": Decimal("10.25"), "name": "ann"},
            {"id": 11, "running": Decimal("30.75"), "name": "ann"},
            {"id": 12, "running": Decimal("5.00"), "name": "bob"},
            {"id": 13, "running": Decimal("1.00"), "name": None},
        ],
    )


async def test_shadowing_cte_reads_the_fixture_inside_and_itself_outside(
    pool: Pool,
) -> None:
    # Inside its own body, "orders" is the table (mocked); after it, the CTE.
    sql = (
        "WITH orders AS (SELECT id FROM orders WHERE id > 10), "
        "big AS (SELECT id FROM orders WHERE id > 11) "
        "SELECT (SELECT COUNT(*) FROM orders) AS n, (SELECT COUNT(*) FROM big) AS b, "
        "(SELECT COUNT(*) FROM customers WHERE id IN (SELECT customer_id FROM orders)) AS c"
    )
    with pytest.raises(Exception) as info:
        # customer_id is not a column of the CTE "orders": proof that the outer
        # subquery reads the CTE, not the fixture.
        await run(pool, sql, {"orders": ORDERS, "customers": CUSTOMERS})
    assert "customer_id" in str(info.value).lower()
    fixed = sql.replace("SELECT customer_id FROM orders", "SELECT id - 10 FROM orders")
    got = await run(pool, fixed, {"orders": ORDERS, "customers": CUSTOMERS})
    check(got, [{"n": 3, "b": 2, "c": 3}])


async def test_null_of_every_type_and_values(pool: Pool, engine: str) -> None:
    table = pa.table(
        {
            "k": pa.array([1, 2], pa.int32()),
            "i": pa.array([7, None], pa.int32()),
            "bi": pa.array([2**40, None], pa.int64()),
            "f": pa.array([1.25, None], pa.float64()),
            "d": pa.array([Decimal("12.30"), None], pa.decimal128(10, 2)),
            "s": pa.array(["x", None], pa.string()),
            "b": pa.array([True, None], pa.bool_()),
            "dt": pa.array([dt.date(2024, 1, 2), None], pa.date32()),
            "ts": pa.array(
                [dt.datetime(2024, 1, 2, 3, 4, 5, 600000), None], pa.timestamp("us")
            ),
            "tz": pa.array(
                [
                    dt.datetime(
                        2024, 1, 2, 4, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=1))
                    ),
                    None,
                ],
                pa.timestamp("us", "Europe/Paris"),
            ),
        }
    )
    counts = await run(
        pool,
        "SELECT COUNT(*) AS n, COUNT(i) AS i, COUNT(bi) AS bi, "
        "COUNT(f) AS f, COUNT(d) AS d, COUNT(s) AS s, COUNT(b) AS b, "
        "COUNT(dt) AS dt, COUNT(ts) AS ts, COUNT(tz) AS tz FROM t",
        {"t": table},
    )
    check(
        counts,
        [
            {
                "n": 2,
                "i": 1,
                "bi": 1,
                "f": 1,
                "d": 1,
                "s": 1,
                "b": 1,
                "dt": 1,
                "ts": 1,
                "tz": 1,
            }
        ],
    )
    got = await run(pool, "SELECT * FROM t ORDER BY k", {"t": table})
    utc = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    first: dict[str, Any] = {
        "k": 1,
        "i": 7,
        "bi": 2**40,
        "f": 1.25,
        "d": Decimal("12.30"),
        "s": "x",
        "b": True,
        "dt": dt.date(2024, 1, 2),
        "ts": dt.datetime(2024, 1, 2, 3, 4, 5, 600000),
        "tz": utc,
    }
    if engine == "mysql":  # no boolean or aware type: 1/0 and UTC wall-clock
        first.update(b=1, tz=utc.replace(tzinfo=None))
    if engine == "sqlite":  # ISO text for times, 1/0 for booleans
        first.update(
            b=1,
            dt="2024-01-02",
            ts="2024-01-02 03:04:05.600000",
            tz="2024-01-02 03:04:05+00:00",
        )
    check(got.slice(0, 1), [first])
    if engine != "snowflake":  # the emulator returns a NULL timestamp as 1970-01-01
        assert got.slice(1).to_pylist() == [{**dict.fromkeys(first), "k": 2}]


async def test_hostile_values_and_names_are_inert(pool: Pool, engine: str) -> None:
    names = [HOSTILE_NAME, BACKTICK_NAME]
    table = pa.table({"s": [HOSTILE_TEXT, "'"], **{n: [1, 2] for n in names}})
    got = await run(pool, "SELECT * FROM x ORDER BY 2", {"x": table})
    assert (
        got.to_pylist()
        == [
            {"s": HOSTILE_TEXT, **dict.fromkeys(names, 1)},
            {"s": "'", **dict.fromkeys(names, 2)},
        ]
        if engine != "snowflake"
        else [
            {"s": HOSTILE_TEXT, **dict.fromkeys(names, Decimal(1))},
            {"s": "'", **dict.fromkeys(names, Decimal(2))},
        ]
    )


async def test_empty_fixture_is_a_typed_empty_relation(pool: Pool) -> None:
    empty = ORDERS.slice(0, 0)
    got = await run(
        pool,
        "SELECT COUNT(*) AS n, SUM(amount) AS total, MAX(id) AS top FROM orders",
        {"orders": empty},
    )
    check(got, [{"n": 0, "total": None, "top": None}])
    rows = await run(pool, "SELECT * FROM orders", {"orders": empty})
    assert (rows.num_rows, rows.column_names) == (0, ["id", "customer_id", "amount"])


async def test_absent_real_table_is_not_needed(pool: Pool) -> None:
    with pytest.raises(Exception, match=r"(?i)orders"):
        await pool.fetch_arrow("SELECT COUNT(*) AS n FROM orders")
    got = await run(pool, "SELECT COUNT(*) AS n FROM orders", {"orders": ORDERS})
    check(got, [{"n": 4}])


async def test_existing_real_table_is_neither_read_nor_changed(pool: Pool) -> None:
    await pool.execute("CREATE TABLE orders (id INTEGER, amount INTEGER)")
    await pool.execute("INSERT INTO orders VALUES (99, 990), (98, 980)")
    got = await run(pool, "SELECT id FROM orders ORDER BY id", {"orders": ORDERS})
    check(got, [{"id": 10}, {"id": 11}, {"id": 12}, {"id": 13}])
    real = lowered(await pool.fetch_arrow("SELECT id, amount FROM orders ORDER BY id"))
    check(real, [{"id": 98, "amount": 980}, {"id": 99, "amount": 990}])


async def test_select_intermediate_cte(pool: Pool) -> None:
    sql = (
        "WITH paid AS (SELECT id, amount FROM orders WHERE customer_id IS NOT NULL), "
        "total AS (SELECT SUM(amount) AS s FROM paid) SELECT s FROM total"
    )
    query = select_cte(sql, "paid", dialect=pool.dialect)
    got = lowered(
        await pool.fetch_arrow(
            mock_tables(
                query + " ORDER BY id", {"orders": ORDERS}, dialect=pool.dialect
            )
        )
    )
    check(
        got,
        [
            {"id": 10, "amount": Decimal("10.25")},
            {"id": 11, "amount": Decimal("20.50")},
            {"id": 12, "amount": Decimal("5.00")},
        ],
    )


AT = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=2)))


async def test_frozen_clock(pool: Pool, engine: str) -> None:
    sql = "SELECT CURRENT_DATE AS d, CURRENT_TIMESTAMP AS ts"
    got = lowered(await pool.fetch_arrow(freeze_clock(sql, AT, dialect=engine)))
    instant = dt.datetime(2024, 5, 6, 5, 8, 9, tzinfo=dt.UTC)
    expected: dict[str, Any] = {"d": dt.date(2024, 5, 6), "ts": instant}
    if engine == "mysql":
        expected["ts"] = instant.replace(tzinfo=None)
    if engine == "sqlite":
        expected = {"d": "2024-05-06", "ts": "2024-05-06 05:08:09"}
    check(got, [expected])


@pytest.mark.parametrize(
    ("engine", "sql"),
    [
        ("snowflake", "SELECT GETDATE() AS a, SYSDATE() AS b, LOCALTIMESTAMP AS c"),
        ("postgres", "SELECT NOW() AS a, NOW() AS b, LOCALTIMESTAMP AS c"),
        (
            "postgres",
            "SELECT TRANSACTION_TIMESTAMP() AS a, CLOCK_TIMESTAMP() AS b, LOCALTIMESTAMP AS c",
        ),
        (
            "duckdb",
            "SELECT NOW() AS a, GET_CURRENT_TIMESTAMP() AS b, LOCALTIMESTAMP AS c",
        ),
        ("mysql", "SELECT NOW() AS a, SYSDATE() AS b, LOCALTIMESTAMP AS c"),
        ("mysql", "SELECT UTC_TIMESTAMP() AS a, NOW(3) AS b, LOCALTIMESTAMP() AS c"),
    ],
)
async def test_frozen_clock_functions(pool: Pool, engine: str, sql: str) -> None:
    got = lowered(await pool.fetch_arrow(freeze_clock(sql, AT, dialect=engine)))
    instant = dt.datetime(2024, 5, 6, 5, 8, 9, tzinfo=dt.UTC)
    if engine == "mysql":
        instant = instant.replace(tzinfo=None)
    check(got, [{"a": instant, "b": instant, "c": dt.datetime(2024, 5, 6, 7, 8, 9)}])


async def test_frozen_clock_sqlite_now_argument() -> None:
    harness = importlib.import_module("sqltest_core_tests.connectors.sqlite.harness")
    sql = "SELECT datetime('now') AS a, date('now', '+1 day') AS b"
    async with harness.scratch() as source, open_pool(source) as p:
        got = await p.fetch_arrow(freeze_clock(sql, AT, dialect="sqlite"))
    assert got.to_pylist() == [{"a": "2024-05-06 05:08:09", "b": "2024-05-07"}]


async def test_frozen_time_of_day(pool: Pool, engine: str) -> None:
    sql = freeze_clock("SELECT CURRENT_TIME AS t", AT, dialect=engine)
    got = lowered(await pool.fetch_arrow(sql))
    expected: Any = {
        "sqlite": "05:08:09",  # SQLite's clock is UTC text
        "mysql": dt.timedelta(hours=7, minutes=8, seconds=9),  # TIME is an interval
    }.get(engine, dt.time(7, 8, 9))
    check(got, [{"t": expected}])
