"""Catalog introspection of 1,000 tables of 20 columns on PostgreSQL, cold and cached.

Run: python benchmarks/introspection.py
"""

from __future__ import annotations

import json
import statistics
import time

import anyio

from _common import PG_URL, psql

SCHEMA = "sqltest_bench_catalog"
TABLES, COLUMNS = 1000, 20


def ensure_schema() -> None:
    have = psql(
        f"select count(*) from information_schema.columns where table_schema = '{SCHEMA}'"
    )
    if have.strip() == str(TABLES * COLUMNS):
        return
    # id, parent_id and 18 more: 20 columns; each table refers to the one before.
    cols = ", ".join(
        f"c{j} {'int' if j % 2 else 'text'}" for j in range(1, COLUMNS - 1)
    )
    ddl = [f"drop schema if exists {SCHEMA} cascade", f"create schema {SCHEMA}"]
    for i in range(TABLES):
        ref = f" references {SCHEMA}.t{i - 1} (id)" if i else ""
        ddl.append(
            f"create table {SCHEMA}.t{i} (id int primary key, parent_id int{ref}, {cols})"
        )
    psql(";\n".join(ddl))


async def measure() -> dict[str, float]:
    import sqltest_core as st

    cold = []
    for _ in range(3):
        async with st.open_pool(PG_URL) as db:
            await db.scalar("select 1")  # connection set-up is not introspection
            started = time.perf_counter()
            catalog = await db.catalog(SCHEMA)
            cold.append(time.perf_counter() - started)
            assert len(catalog) == TABLES
            assert len(catalog["t5"].columns) == COLUMNS
            cached = []
            for _ in range(1000):
                started = time.perf_counter()
                await db.catalog(SCHEMA)
                cached.append(time.perf_counter() - started)
    return {
        "tables": TABLES,
        "columns_per_table": COLUMNS,
        "cold_s": round(statistics.median(cold), 4),
        "cached_ms": round(statistics.median(cached) * 1000, 4),
    }


def main() -> None:
    ensure_schema()
    print(json.dumps(anyio.run(measure), indent=2))


if __name__ == "__main__":
    main()
