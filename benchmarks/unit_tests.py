"""1,000 isolated SQL unit tests with fixtures, on PostgreSQL and on DuckDB.

Each test has two fixtures of its own (20 orders, 5 customers, different per
test), runs a join with an aggregate and compares the result with the expected
rows. Two ways of putting fixtures in place are measured:

- ``inline``: the fixtures become CTEs of typed literal rows in the query
  (``mock_tables``), inside a transaction rolled back at the end;
- ``table``: each fixture is created as a (temporary) table and filled, inside
  the transaction, then the query reads it.

Tests run through ``run_tests`` (the scheduler), 8 at a time. Target: 1,000
isolated tests in under 30 s on PostgreSQL.

Run: python benchmarks/unit_tests.py [--tests 1000] [--engines postgres,duckdb]
(``--tests 50`` is a smoke run).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqltest_core import Pools
from sqltest_core.config import DataSource
from sqltest_core.testing import Expect, Fixture, SQLTest, run_tests

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
SQL = (
    "SELECT c.name, COUNT(*) AS n, SUM(o.amount) AS total FROM orders o "
    "JOIN customers c ON c.id = o.customer_id GROUP BY c.name"
)


def make_test(i: int, load: str) -> SQLTest:
    orders: list[dict[str, Any]] = [
        {"id": k, "customer_id": k % 5, "amount": Decimal(i + k) / 100}
        for k in range(20)
    ]
    customers = [{"id": c, "name": f"c{c}_{i}"} for c in range(5)]
    expected = [
        {
            "name": f"c{c}_{i}",
            "n": 4,
            "total": sum(
                (o["amount"] for o in orders if o["customer_id"] == c), Decimal(0)
            ),
        }
        for c in range(5)
    ]
    schema_o = {"id": "int32", "customer_id": "int32", "amount": "decimal(10,2)"}
    return SQLTest(
        name=f"t{i:05d}",
        sql=SQL,
        fixtures=(
            Fixture("orders", rows=orders, schema=schema_o, load=load),  # type: ignore[arg-type]
            Fixture(
                "customers",
                rows=customers,
                schema={"id": "int32", "name": "string"},
                load=load,  # type: ignore[arg-type]
            ),
        ),
        expect=Expect(rows=expected, abs_tol=0.0),
    )


async def bench(
    engine: str, url: str, n: int, load: str
) -> tuple[float, dict[str, int]]:
    source = DataSource.model_validate(
        {"name": "db", "url": url, "pool": {"max_size": 8, "min_size": 8}}
    )
    tests = [make_test(i, load) for i in range(n)]
    async with Pools({"db": source}) as pools:
        await (await pools.get("db")).execute("SELECT 1")  # connect before timing
        started = time.perf_counter()
        run = await run_tests(tests, pools, max_concurrency=8)
        took = time.perf_counter() - started
    bad = [r for r in run.results if r.status != "passed"]
    if bad:
        raise SystemExit(f"{engine}/{load}: {bad[0].rule_id}: {bad[0].reason}")
    return took, run.counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tests", type=int, default=1000)
    parser.add_argument("--engines", default="postgres,duckdb")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        urls = {"postgres": PG_URL, "duckdb": f"duckdb:///{tmp}/bench.duckdb"}
        for engine in args.engines.split(","):
            for load in ("inline", "table"):
                took, counts = anyio.run(bench, engine, urls[engine], args.tests, load)
                rows.append((engine, load, args.tests, took, counts["passed"]))
    print("| engine | fixtures | tests | passed | wall time | tests/s |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for engine, load, n, took, passed in rows:
        print(
            f"| {engine} | {load} | {n:,} | {passed:,} | {took:.2f} s | {n / took:,.0f} |"
        )


if __name__ == "__main__":
    main()
