"""``*.sqltest.yml`` files: parsing, error locations, and runs on every engine."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from pathlib import Path

import pytest

from sqltest_core import Pools
from sqltest_core.errors import ConfigError
from sqltest_core.testing import load_tests, run_tests

SUITE = """
source: db
inputs:
  customers:
    rows: [{id: 1, name: ann}, {id: 2, name: bob}]
    columns: {id: int32, name: string}
tests:
  - name: totals per customer
    sql: |
      SELECT c.name, SUM(o.amount) AS total
      FROM orders o JOIN customers c ON c.id = o.customer_id
      GROUP BY c.name
    inputs:
      orders:
        rows:
          - {customer_id: 1, amount: 10.50}
          - {customer_id: 1, amount: 1.25}
          - {customer_id: 2, amount: 3.00}
        columns: {customer_id: int32, amount: "decimal(10,2)"}
    expect:
      rows: [{name: ann, total: 11.75}, {name: bob, total: 3.0}]
      abs_tol: 0.000001
  - name: wrong total
    sql: SELECT c.name FROM customers c WHERE c.id > 1
    expect:
      rows: [{name: cy}]
  - name: expected file
    sql: SELECT id, name FROM customers
    expect:
      file: expected.csv
      key: [id]
  - name: frozen clock
    sql: SELECT CURRENT_DATE AS today
    freeze_time: 2024-03-01T10:00:00+00:00
    expect:
      scalar: 2024-03-01
      row_count: 1
  - name: a cte
    sql: |
      WITH named AS (SELECT name FROM customers WHERE id = 2)
      SELECT COUNT(*) AS n FROM named
    cte: named
    expect:
      rows: [{name: bob}]
  - name: division error
    sql: SELECT CAST('abc' AS INT) AS broken FROM customers
    expect:
      error: {class: QueryError}
    marks: [errors]
"""

ENGINES = ["duckdb", "sqlite", "postgres", "mysql", "snowflake"]


def write_suite(tmp_path: Path, text: str = SUITE) -> Path:
    (tmp_path / "expected.csv").write_text("id,name\n1,ann\n2,bob\n")
    path = tmp_path / "orders.sqltest.yml"
    path.write_text(text)
    return path


def test_parse_suite(tmp_path: Path) -> None:
    tests = load_tests(write_suite(tmp_path))
    assert [t.name for t in tests] == [
        "totals per customer",
        "wrong total",
        "expected file",
        "frozen clock",
        "a cte",
        "division error",
    ]
    first = tests[0]
    assert [(f.name, f.scope) for f in first.fixtures] == [
        ("customers", "module"),
        ("orders", "test"),
    ]
    assert first.source == "db"
    assert tests[3].freeze_time == dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC)
    assert tests[3].expect.scalar == dt.date(2024, 3, 1)
    assert tests[5].marks == ("errors",)
    assert (
        tests[5].expect.error is not None
        and tests[5].expect.error.class_ == "QueryError"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tests: 3", "t.sqltest.yml:1: tests: expected a mapping with a 'tests:' list"),
        (
            "tests:\n  - name: a\n    sql: SELECT 1\n    expct: {rows: []}\n",
            "t.sqltest.yml:4: tests.0.expct: test 'a': unknown key; did you mean 'expect'?",
        ),
        (
            "tests:\n  - name: a\n    sql: SELECT 1\n  - name: a\n    sql: SELECT 2\n",
            "t.sqltest.yml:4: tests.1.name: test 'a': duplicate test name "
            "(first defined on line 2)",
        ),
        (
            "tests:\n  - name: a\n    sql: SELECT 1\n    view: v\n",
            "t.sqltest.yml:2: tests.0: test 'a': give exactly one of sql, view or call "
            "(got ['sql', 'view'])",
        ),
        (
            "tests:\n  - sql: SELECT 1\n",
            "t.sqltest.yml:2: tests.0.name: test #1 (no name): Field required",
        ),
        (
            "tests:\n  - name: a\n    sql: SELECT 1\n    inputs:\n      t: {rows: [], scope: year}\n",
            "t.sqltest.yml:5: tests.0.inputs.t.scope: test 'a': "
            "Input should be 'test', 'module' or 'session', got 'year'",
        ),
    ],
)
def test_errors_name_file_line_and_test(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_tests("t.sqltest.yml", text=text)
    assert str(info.value) == message


@pytest.mark.parametrize("engine", ENGINES)
async def test_suite_runs_on_every_engine(tmp_path: Path, engine: str) -> None:
    harness = importlib.import_module(f"sqltest_core_tests.connectors.{engine}.harness")
    tests = load_tests(write_suite(tmp_path))
    async with harness.scratch() as source:
        source = source.model_copy(update={"name": "db"})
        async with Pools({"db": source}) as pools:
            result = await run_tests(tests, pools, sweep_stale=False)
    statuses = {r.rule_id.split("::")[1]: r.status.value for r in result.results}
    want = {
        "totals per customer": "passed",
        "wrong total": "failed",
        "expected file": "passed",
        "frozen clock": "passed",
        "a cte": "passed",
        "division error": "passed",
    }
    if engine == "sqlite":
        want["frozen clock"] = "failed"  # SQLite's CURRENT_DATE is text
    if engine in ("sqlite", "mysql"):
        # SQLite and MySQL cast 'abc' to 0 instead of raising.
        want["division error"] = "failed"
    assert statuses == want, [r.reason for r in result.results]
    wrong = result.results[1]
    assert wrong.rule_id == f"{tmp_path / 'orders.sqltest.yml'}::wrong total"
    assert wrong.details["diff"] == {
        "columns": ["name"],
        "missing": [{"name": "cy"}],
        "unexpected": [{"name": "bob"}],
        "changed": [],
    }
    assert wrong.failing_count == 2
    if engine == "sqlite":
        assert result.results[3].reason == (
            "result sets differ: column types differ\n"
            "  today: type string is not comparable with date32[day]"
        )


def test_totals_fixture_types(tmp_path: Path) -> None:
    tests = load_tests(write_suite(tmp_path))
    orders = tests[0].fixtures[1]
    assert orders.rows is not None and orders.rows[0] == {
        "customer_id": 1,
        "amount": 10.5,
    }
    assert Decimal(str(orders.rows[0]["amount"])) == Decimal("10.5")


GENERATED = """
tests:
  - name: generated orders
    sql: |
      SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS d,
             SUM(CASE WHEN status IN ('new', 'paid') THEN 1 ELSE 0 END) AS ok
      FROM orders
    inputs:
      orders:
        generate:
          rows: {rows}
          seed: 7
          columns:
            id: {{type: int64, unique: true, nullable: false}}
            status: {{type: string, values: [new, paid], nullable: false}}
    expect:
      rows: [{{n: {rows}, d: {rows}, ok: {rows}}}]
"""


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
@pytest.mark.parametrize("rows", [500, 10_000])
async def test_generated_inputs_inline_or_bulk_loaded(engine: str, rows: int) -> None:
    harness = importlib.import_module(f"sqltest_core_tests.connectors.{engine}.harness")
    (test,) = load_tests("g.sqltest.yml", text=GENERATED.format(rows=rows))
    async with harness.scratch() as source:
        source = source.model_copy(update={"name": "db"})
        async with Pools({"db": source}) as pools:
            result = await run_tests([test], pools, sweep_stale=False)
    (r,) = result.results
    assert r.status == "passed", r.reason
    # 10,000 rows x 2 columns is over the inlining limit: bulk-loaded instead.
    loaded = [s for s in r.sql if s.startswith("-- loaded")]
    big = "-- loaded 10000 rows into temporary table sqltest_fx_1"
    assert loaded == ([] if rows == 500 else [big])
