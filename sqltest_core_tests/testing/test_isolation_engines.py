"""Unit tests run on all five engines: exact diffs, rollback, concurrent isolation."""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import anyio
import pytest

from sqltest_core import Pool, Pools
from sqltest_core.testing import (
    Expect,
    Fixture,
    Isolation,
    RunId,
    SQLTest,
    TestDB,
    UnitTest,
    assert_result_equal,
    default_isolation,
    run_tests,
)
from sqltest_core.testing._isolation import scratch_objects

ENGINES = ["duckdb", "sqlite", "postgres", "mysql", "snowflake"]


async def own_scratch_objects(pool: Pool) -> list[str]:
    """This process's scratch schemas and databases: on a shared server, other
    test workers' runs have theirs at the same time."""
    names = await scratch_objects(pool)
    return [n for n in names if (run := RunId.parse(n)) and run[0].pid == os.getpid()]


ORDERS = Fixture(
    "orders",
    rows=[
        {"id": 1, "customer": "ann", "amount": Decimal("10.50")},
        {"id": 2, "customer": "bob", "amount": Decimal("3.00")},
        {"id": 3, "customer": "ann", "amount": Decimal("1.25")},
    ],
    schema={"id": "int32", "customer": "string", "amount": "decimal(10,2)"},
)


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextlib.asynccontextmanager
async def open_pools(engine: str) -> AsyncIterator[Pools]:
    harness = importlib.import_module(f"sqltest_core_tests.connectors.{engine}.harness")
    async with harness.scratch(pool={"max_size": 4}) as source:
        source = source.model_copy(update={"name": "db"})
        async with Pools({"db": source}) as p:
            yield p


@pytest.fixture
async def pools(engine: str) -> AsyncIterator[Pools]:
    async with open_pools(engine) as p:
        yield p


def modes(engine: str) -> list[Isolation]:
    if engine == "sqlite":
        return ["transaction"]  # no schemas
    if engine in ("mysql", "snowflake"):
        return ["schema"]  # DDL commits: a transaction cannot hold fixture tables
    return ["transaction", "schema"]


async def test_passing_and_failing_tests_with_exact_diffs(pools: Pools) -> None:
    sql = (
        "SELECT customer, SUM(amount) AS total FROM orders "
        "GROUP BY customer ORDER BY customer"
    )
    good = SQLTest(
        name="good",
        sql=sql,
        fixtures=(ORDERS,),
        expect=Expect(
            rows=[
                {"customer": "ann", "total": Decimal("11.75")},
                {"customer": "bob", "total": Decimal("3.00")},
            ],
            ordered=True,
            abs_tol=0.0,
        ),
    )
    bad = good.model_copy(
        update={
            "name": "bad",
            "expect": Expect(
                rows=[
                    {"customer": "ann", "total": Decimal("11.75")},
                    {"customer": "cy", "total": Decimal("3.00")},
                ],
                abs_tol=0.0,
            ),
        }
    )
    result = await run_tests([good, bad], pools, sweep_stale=False)
    assert result["good"].status == "passed", result["good"].reason
    failed = result["bad"]
    assert failed.status == "failed"
    assert failed.failing_count == 2
    diff = failed.details["diff"]
    assert diff["columns"] == ["customer", "total"]
    assert [r["customer"] for r in diff["missing"]] == ["cy"]
    assert [r["customer"] for r in diff["unexpected"]] == ["bob"]
    assert [float(r["total"]) for r in diff["missing"] + diff["unexpected"]] == [
        3.0,
        3.0,
    ]
    assert diff["changed"] == []


async def test_fixture_tables_and_writes_are_undone(pools: Pools, engine: str) -> None:
    pool = await pools.get("db")
    await pool.execute("CREATE TABLE keep (v INT)")
    await pool.execute("INSERT INTO keep VALUES (1)")

    async def body(db: TestDB) -> None:
        # A scratch schema isolates the test's own tables; only a transaction
        # also undoes writes to tables that existed before.
        if db.scratch.mode == "transaction":
            await db.execute("INSERT INTO keep VALUES (2)")
            assert await db.scalar("SELECT count(*) FROM keep") == 2
        await db.execute("INSERT INTO items VALUES (3)")
        assert await db.scalar("SELECT sum(v) FROM items") == 4

    items = Fixture("items", rows=[{"v": 1}], load="table")
    tests = [
        UnitTest(f"undo_{mode}", body, (items,), isolation=mode)
        for mode in modes(engine)
    ]
    result = await run_tests(tests, pools, sweep_stale=False, max_concurrency=1)
    assert [r.status.value for r in result.results] == ["passed"] * len(tests), [
        r.reason for r in result.results
    ]
    assert (await pool.fetch_arrow("SELECT v FROM keep")).column(0).to_pylist() == [1]
    catalog = await pool.catalog()
    assert sorted(t.lower() for t in catalog.tables) == ["keep"]
    if engine != "sqlite":
        assert await own_scratch_objects(pool) == []


async def test_concurrent_tests_never_see_each_other(pools: Pools, engine: str) -> None:
    seen: dict[str, list[int]] = {}

    def make(i: int, mode: Isolation) -> UnitTest:
        async def body(db: TestDB) -> None:
            await db.execute(f"INSERT INTO items VALUES ({100 + i})")
            await anyio.sleep(0.05)  # let the others write meanwhile
            got = await db.fetch("SELECT v FROM items")
            seen[f"{mode}_{i}"] = sorted(got.column(0).to_pylist())
            assert_result_equal(got, [{"v": i}, {"v": 100 + i}], check_types="loose")

        rows = Fixture("items", rows=[{"v": i}], schema={"v": "int64"}, load="table")
        return UnitTest(f"{mode}_{i}", body, (rows,), isolation=mode)

    tests = [make(i, mode) for mode in modes(engine) for i in range(8)]
    result = await run_tests(tests, pools, sweep_stale=False, max_concurrency=8)
    assert {r.rule_id: r.status.value for r in result.results} == {
        t.id: "passed" for t in tests
    }, [r.reason for r in result.results if r.status != "passed"]
    assert seen == {
        t.id: [int(t.id.split("_")[1]), 100 + int(t.id.split("_")[1])] for t in tests
    }
    pool = await pools.get("db")
    if engine != "sqlite":
        assert await own_scratch_objects(pool) == []


def test_default_isolation_per_engine() -> None:
    assert {e: default_isolation(e) for e in ENGINES} == {
        "duckdb": "transaction",
        "sqlite": "transaction",
        "postgres": "transaction",
        "mysql": "schema",
        "snowflake": "transaction",
    }
    assert default_isolation("snowflake", tables=True) == "schema"


@pytest.mark.parametrize("server", [e for e in ENGINES if e != "sqlite"])
async def test_scratch_schema_is_named_with_the_run_prefix(server: str) -> None:
    names: list[Any] = []

    async def body(db: TestDB) -> None:
        names.append(db.scratch.name)

    run = RunId(started=1_800_000_000, pid=77, host="beef")
    async with open_pools(server) as pools:
        await run_tests(
            [UnitTest("t", body, isolation="schema")],
            pools,
            sweep_stale=False,
            run_id=run,
        )
    (name,) = names
    assert RunId.parse(name) is not None
    assert RunId.parse(name)[0] == run  # type: ignore[index]


async def test_snowflake_table_fixture_in_a_transaction_is_refused() -> None:
    async def body(db: TestDB) -> None:
        raise AssertionError("not reached")

    items = Fixture("items", rows=[{"v": 1}], load="table")
    async with open_pools("snowflake") as pools:
        result = await run_tests(
            [UnitTest("t", body, (items,), isolation="transaction")],
            pools,
            sweep_stale=False,
        )
    assert result["t"].status == "errored"
    assert result["t"].reason == (
        "UnsupportedFeature: cannot create table 'items' inside a transaction on "
        "Snowflake (DDL commits it): use isolation 'schema'"
    )


async def test_table_fixture_shadows_the_real_table(pools: Pools, engine: str) -> None:
    pool = await pools.get("db")
    await pool.execute("CREATE TABLE items (v INT)")
    await pool.execute("INSERT INTO items VALUES (99)")

    async def body(db: TestDB) -> None:
        got = await db.fetch("SELECT v FROM items", mock=False)
        assert got.column(0).to_pylist() == [1]

    items = Fixture("items", rows=[{"v": 1}], load="table")
    tests = [
        UnitTest(f"shadow_{m}", body, (items,), isolation=m) for m in modes(engine)
    ]
    result = await run_tests(tests, pools, sweep_stale=False)
    assert [r.status.value for r in result.results] == ["passed"] * len(tests), [
        r.reason for r in result.results
    ]
    assert (await pool.fetch_arrow("SELECT v FROM items")).column(0).to_pylist() == [99]


async def test_a_view_under_test_reads_the_fixtures(pools: Pools, engine: str) -> None:
    pool = await pools.get("db")
    await pool.execute("CREATE TABLE sales (region VARCHAR(10), amount INT)")
    await pool.execute("INSERT INTO sales VALUES ('north', 1000), ('south', 2000)")
    await pool.execute(
        "CREATE VIEW sales_by_region AS "
        "SELECT region, SUM(amount) AS total FROM sales GROUP BY region"
    )
    rows = [
        {"region": "east", "amount": 5},
        {"region": "east", "amount": 7},
        {"region": "west", "amount": 1},
    ]
    # MySQL tests run in a scratch database of their own: name the real one.
    database = pools.sources["db"].url.database
    view = f"{database}.sales_by_region" if engine == "mysql" else "sales_by_region"
    test = SQLTest(
        name="totals",
        view=view,
        fixtures=[Fixture("sales", rows=rows)],
        expect=Expect(
            rows=[{"region": "east", "total": 12}, {"region": "west", "total": 1}],
            check_types="loose",
            # The emulator sums integers as DOUBLE (Snowflake returns NUMBER).
            abs_tol=1e-9 if engine == "snowflake" else None,
        ),
    )
    real = SQLTest(
        name="real",
        view=view,
        expect=Expect(row_count=2),
    )
    result = await run_tests([test, real], pools, sweep_stale=False)
    assert result["totals"].status.value == "passed", result["totals"].reason
    assert "SUM(" in " ".join(result["totals"].sql).upper()
    assert result["real"].status.value == "passed", result["real"].reason
