"""The Python test API on DuckDB: TestCase, @unit_test, SQLTest, fixtures, results."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from sqltest_core import Pools
from sqltest_core.config import DataSource
from sqltest_core.errors import ConfigError
from sqltest_core.results import RunResult
from sqltest_core.testing import (
    ErrorSpec,
    Expect,
    Fixture,
    FixtureStore,
    SQLTest,
    TestCase,
    TestDB,
    as_unit_tests,
    assert_result_equal,
    fixture,
    parse_schema,
    run_tests,
    unit_test,
)
from sqltest_core.testing._generate import ColumnSpec, TableSpec

ORDERS = Fixture(
    "orders",
    rows=[
        {"id": 1, "customer": "ann", "amount": Decimal("10.50")},
        {"id": 2, "customer": "bob", "amount": Decimal("3.00")},
        {"id": 3, "customer": "ann", "amount": Decimal("1.25")},
    ],
    schema={"id": "int32", "customer": "string", "amount": "decimal(10,2)"},
)


@pytest.fixture
async def pools(tmp_path: Path) -> AsyncIterator[Pools]:
    source = DataSource(name="duck", url=f"duckdb:///{tmp_path / 'db.duckdb'}")
    async with Pools({"duck": source}) as p:
        yield p


async def run(pools: Pools, *tests: Any, **options: Any) -> RunResult:
    return await run_tests(list(tests), pools, sweep_stale=False, **options)


async def test_testcase_methods_pass_and_fail_with_exact_diff(pools: Pools) -> None:
    class TestTotals(TestCase):
        fixtures = (ORDERS,)

        async def test_per_customer(self, db: TestDB) -> None:
            got = await db.fetch(
                "SELECT customer, SUM(amount) AS total FROM orders GROUP BY customer"
            )
            assert_result_equal(
                got,
                [
                    {"customer": "ann", "total": Decimal("11.75")},
                    {"customer": "bob", "total": Decimal("3.00")},
                ],
                check_types="loose",
            )

        async def test_wrong(self, db: TestDB) -> None:
            got = await db.fetch("SELECT id FROM orders WHERE amount > 2")
            assert_result_equal(got, [{"id": 1}, {"id": 3}], check_types="loose")

    result = await run(pools, TestTotals)
    ok, bad = result.results
    assert (ok.rule_id, ok.status, ok.kind) == (
        "test_testcase_methods_pass_and_fail_with_exact_diff.<locals>.TestTotals"
        "::test_per_customer",
        "passed",
        "test",
    )
    assert bad.status == "failed"
    assert bad.failing_count == 2
    assert bad.details["diff"] == {
        "columns": ["id"],
        "missing": [{"id": 3}],
        "unexpected": [{"id": 2}],
        "changed": [],
    }
    assert bad.samples == ({"_diff": "-", "id": 3}, {"_diff": "+", "id": 2})
    assert bad.reason is not None and bad.reason.splitlines()[1:] == [
        "    | id",
        "  - | 3",
        "  + | 2",
    ]
    assert bad.sql[-1].endswith('FROM "sqltest_mock_orders" AS orders WHERE amount > 2')
    assert bad.details["source_sql"] == ["SELECT id FROM orders WHERE amount > 2"]
    assert bad.source == "duck" and bad.duration_ms is not None


async def test_plain_function_and_bare_coroutine(pools: Pools) -> None:
    @unit_test(fixtures=[ORDERS], marks=["smoke"])
    async def test_count(db: TestDB) -> None:
        assert await db.scalar("SELECT count(*) FROM orders") == 3

    async def test_bare(db: TestDB) -> None:
        assert await db.scalar("SELECT 41 + 1") == 41

    result = await run(pools, test_count, test_bare)
    assert [(r.rule_id, r.status.value) for r in result.results] == [
        ("test_count", "passed"),
        ("test_bare", "failed"),
    ]
    assert result["test_count"].tags == ("smoke",)
    # pytest rewrites asserts in test modules, so the message shows the values.
    assert result["test_bare"].reason == "assert 42 == 41"


async def test_error_in_sql_is_errored_not_failed(pools: Pools) -> None:
    async def test_bad_sql(db: TestDB) -> None:
        await db.fetch("SELECT nope FROM orders")

    result = await run(pools, unit_test(fixtures=[ORDERS])(test_bad_sql))
    (r,) = result.results
    assert r.status == "errored"
    assert r.reason is not None and r.reason.startswith("QueryError:")


async def test_sqltest_expectations(pools: Pools) -> None:
    tests = [
        SQLTest(
            name="rows",
            sql="SELECT id, amount FROM orders WHERE customer = 'ann'",
            fixtures=(ORDERS,),
            expect=Expect(
                rows=[{"id": 3, "amount": 1.25}, {"id": 1, "amount": 10.5}],
                abs_tol=1e-9,
            ),
        ),
        SQLTest(
            name="count_scalar",
            sql="SELECT count(*) AS n FROM orders",
            fixtures=(ORDERS,),
            expect=Expect(row_count=1, scalar=3, result_schema={"n": "int64"}),
        ),
        SQLTest(
            name="contains",
            sql="SELECT customer FROM orders",
            fixtures=(ORDERS,),
            expect=Expect(contains=[{"customer": "bob"}], absent=[{"customer": "cy"}]),
        ),
        SQLTest(
            name="error",
            sql="SELECT CAST(customer AS INT) FROM orders",
            fixtures=(ORDERS,),
            expect=Expect(error=ErrorSpec(class_="QueryError", match="(?i)convert")),
        ),
        SQLTest(
            name="wrong_error",
            sql="SELECT 1 AS x",
            expect=Expect(error=ErrorSpec(class_="QueryError")),
        ),
        SQLTest(
            name="clock",
            sql="SELECT CURRENT_DATE AS d",
            freeze_time=dt.datetime(2024, 2, 29, 12, tzinfo=dt.UTC),
            expect=Expect(rows=[{"d": dt.date(2024, 2, 29)}]),
        ),
        SQLTest(
            name="cte",
            sql="WITH big AS (SELECT id FROM orders WHERE amount > 2) "
            "SELECT count(*) FROM big",
            cte="big",
            fixtures=(ORDERS,),
            expect=Expect(rows=[{"id": 1}, {"id": 2}]),
        ),
        SQLTest(
            name="count_wrong",
            sql="SELECT id FROM orders",
            fixtures=(ORDERS,),
            expect=Expect(row_count=2),
        ),
        SQLTest(name="skipped", sql="SELECT 1", skip="not today"),
    ]
    result = await run(pools, *tests)
    assert {r.rule_id: r.status.value for r in result.results} == {
        "rows": "passed",
        "count_scalar": "passed",
        "contains": "passed",
        "error": "passed",
        "wrong_error": "failed",
        "clock": "passed",
        "cte": "passed",
        "count_wrong": "failed",
        "skipped": "skipped",
    }
    assert (
        result["wrong_error"].reason == "expected an error (QueryError), the query ran"
    )
    assert result["count_wrong"].details == {
        "mismatch": {
            "kind": "row_count",
            "expected": 2,
            "actual": 3,
            "at_least": None,
            "at_most": None,
        },
        "source_sql": ["SELECT id FROM orders"],
        "asserted_columns": [],
    }
    assert result["skipped"].reason == "not today"
    assert result["rows"].details["asserted_columns"] == ["amount", "id"]


async def test_view_and_call_targets_with_table_fixtures(pools: Pools) -> None:
    view = SQLTest(
        name="view",
        view="v_ann",
        setup=("CREATE VIEW v_ann AS SELECT id FROM orders WHERE customer = 'ann'",),
        fixtures=(
            Fixture("orders", rows=ORDERS.rows, schema=ORDERS.schema, load="table"),
        ),
        expect=Expect(rows=[{"id": 1}, {"id": 3}]),
    )
    call = SQLTest(
        name="call",
        call="add_tax(10)",
        setup=("CREATE MACRO add_tax(x) AS x * 1.2",),
        expect=Expect(scalar=12, abs_tol=1e-9),
    )
    result = await run(pools, view, call)
    assert result.counts == {"passed": 2}
    pool = await pools.get("duck")
    names = await pool.fetch_arrow(
        "SELECT table_name FROM information_schema.tables ORDER BY 1"
    )
    assert names.column(0).to_pylist() == []  # the view and table were rolled back


async def test_large_fixture_falls_back_to_a_table(pools: Pools) -> None:
    big = Fixture("big", data=pa.table({"k": list(range(3000)), "v": [1] * 3000}))

    @unit_test(fixtures=[big])
    async def test_sum(db: TestDB) -> None:
        assert await db.scalar("SELECT sum(v) FROM big") == 3000
        loaded = "-- loaded 3000 rows into temporary table sqltest_fx_1"
        assert db.statements[0] == loaded

    result = await run(pools, test_sum)
    assert result.counts == {"passed": 1}


async def test_fixture_sources_scopes_and_dependencies(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("id,name\n1,ann\n2,bob\n")
    calls: list[str] = []

    @fixture(scope="session")
    def customers() -> list[dict[str, Any]]:
        calls.append("customers")
        return [{"id": 1, "name": "ann"}]

    @fixture(scope="module")
    async def orders(customers: pa.Table) -> pa.Table:
        calls.append("orders")
        return pa.table({"customer_id": customers["id"]})

    spec = TableSpec("gen", (ColumnSpec("x", pa.int64(), nullable=False),), rows=4)
    store = FixtureStore()
    fixtures = [
        customers,
        orders,
        Fixture("files", path="c.csv", base_dir=str(tmp_path)),
        Fixture("gen", spec=spec, seed=7),
    ]
    first = await store.resolve(fixtures, module="m1")
    again = await store.resolve(fixtures, module="m1")
    other = await store.resolve(fixtures, module="m2")
    assert calls == ["customers", "orders", "orders"]
    assert first["orders"].to_pylist() == [{"customer_id": 1}]
    assert first["files"].to_pylist() == [
        {"id": 1, "name": "ann"},
        {"id": 2, "name": "bob"},
    ]
    assert first["gen"].num_rows == 4 and again["gen"].num_rows == 4
    assert other["customers"] is first["customers"]


async def test_sql_fixture_reads_its_dependency(pools: Pools) -> None:
    doubled = Fixture(
        "doubled", sql="SELECT id * 2 AS id2 FROM orders", depends_on=("orders",)
    )

    @unit_test(fixtures=[ORDERS, doubled])
    async def test_doubled(db: TestDB) -> None:
        got = await db.fetch("SELECT id2 FROM doubled ORDER BY id2")
        assert got.column(0).to_pylist() == [2, 4, 6]

    assert (await run(pools, test_doubled)).counts == {"passed": 1}


def test_fixture_errors_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="give exactly one of rows, path"):
        Fixture("t")
    with pytest.raises(ConfigError, match="unknown scope 'year'"):
        Fixture("t", rows=[], scope="year")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="unknown column type 'int99'"):
        parse_schema({"x": "int99"})
    with pytest.raises(ConfigError, match="not a test: 3"):
        as_unit_tests(3)


async def test_fixture_cycle_and_unknown_dependency() -> None:
    a = Fixture("a", rows=[], depends_on=("b",))
    b = Fixture("b", rows=[], depends_on=("a",))
    with pytest.raises(ConfigError, match="fixture dependency cycle: a -> b -> a"):
        await FixtureStore().resolve([a, b])
    with pytest.raises(ConfigError, match="fixture 'a' depends on unknown 'b'"):
        await FixtureStore().resolve([a])


async def test_snapshot_records_then_compares(pools: Pools, tmp_path: Path) -> None:
    test = SQLTest(name="snap", sql="SELECT 1 AS x", expect=Expect(snapshot=True))
    snaps = str(tmp_path / "snaps")
    missing = await run(pools, test, snapshot_dir=snaps)
    assert missing["snap"].status == "failed"
    assert "run with SQLTEST_UPDATE_SNAPSHOTS=1" in (missing["snap"].reason or "")
    written = await run(pools, test, snapshot_dir=snaps, update_snapshots=True)
    assert written["snap"].status == "passed"
    assert (tmp_path / "snaps" / "snap.json").read_text() == (
        '{\n "columns": [\n  {\n   "name": "x",\n   "type": "int32"\n  }\n ],\n'
        ' "rows": [\n  [\n   1\n  ]\n ]\n}\n'
    )
    assert (await run(pools, test, snapshot_dir=snaps))["snap"].status == "passed"
    changed = test.model_copy(update={"sql": "SELECT 2 AS x"})
    assert (await run(pools, changed, snapshot_dir=snaps))["snap"].status == "failed"


async def test_plan_cost_budget_on_duckdb(pools: Pools) -> None:
    cheap = SQLTest(
        name="cheap", sql="SELECT * FROM range(10)", expect=Expect(max_cost=100)
    )
    dear = SQLTest(
        name="dear", sql="SELECT * FROM range(100000)", expect=Expect(max_cost=100)
    )
    result = await run(pools, cheap, dear)
    assert result["cheap"].status == "passed"
    assert result["dear"].reason == "plan cost 100000 is over the budget of 100"


def test_sqltest_needs_one_target() -> None:
    with pytest.raises(ValueError, match="give exactly one of sql, view or call"):
        SQLTest(name="x", sql="SELECT 1", view="v")
