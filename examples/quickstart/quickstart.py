"""Quickstart: embedded DuckDB, no server needed.

Builds a small shop database, then shows what sqltest_core does: pooled async
connections, Arrow streaming with bounded batches, polars frames, catalog
introspection, transactions, clear errors, and a YAML suite of data rules run as a
DAG, fused into one scan per table (some rules fail on purpose).

Run: python examples/quickstart/quickstart.py [path/to/shop.duckdb]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import anyio

import sqltest_core as st
from sqltest_core.rules import load_suite
from sqltest_core.scheduler import run_rules

RULES = Path(__file__).with_name("rules.yml")

SETUP = [
    "create table customers (id integer primary key, email varchar not null, country varchar(2))",
    "create table orders (id integer primary key, customer_id integer references customers (id),"
    " amount decimal(10, 2), ordered_at timestamp)",
    "insert into customers select i, 'user' || i || '@example.com',"
    " ['DE', 'FR', 'US', NULL][1 + i % 4] from range(1, 1001) t(i)",
    "insert into orders select i, 1 + i % 1000, round(random() * 500, 2),"
    " timestamp '2026-01-01' + to_minutes(i) from range(1, 100001) t(i)",
]


async def main(path: Path) -> None:
    async with st.open_pool(f"duckdb:///{path}", batch_size=25_000) as db:
        async with db.transaction() as conn:
            for statement in SETUP:
                await conn.execute(statement)

        rows = batches = 0
        async for batch in db.stream("select * from orders where amount > $1", [100]):
            rows, batches = rows + batch.num_rows, batches + 1
        print(f"streamed {rows:,} orders over 100 in {batches} Arrow batches")

        frame = await db.fetch_polars(
            "select country, count(*) as customers from customers group by 1 order by 1"
        )
        print(frame)

        catalog = await db.catalog()
        for table in catalog.tables.values():
            keys = ", ".join(
                f"{fk.columns[0]} -> {fk.referred_table}" for fk in table.foreign_keys
            )
            print(
                f"{table.name}: {len(table.columns)} columns, pk={table.primary_key} {keys}"
            )

        try:
            await db.fetch_arrow("select no_such_column from orders")
        except st.QueryError as exc:
            print(f"a clear error, not a traceback: {str(exc).splitlines()[0][:70]}...")

    settings = st.Settings(data_sources={"shop": {"url": f"duckdb:///{path}"}})
    async with st.Pools(settings) as pools:
        run = await run_rules(load_suite(RULES), pools)
    print(f"\nrules: {run.counts}")
    for r in run.results:
        failing = "" if r.failing_count is None else f"{r.failing_count} failing"
        print(f"  {r.status.value:8} {r.rule_id:28} {failing} {r.reason or ''}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        target = Path(sys.argv[1])
        target.unlink(missing_ok=True)
        anyio.run(main, target.resolve())
    else:
        with tempfile.TemporaryDirectory() as tmp:
            anyio.run(main, Path(tmp) / "shop.duckdb")
