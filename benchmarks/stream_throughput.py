"""Arrow streaming throughput from PostgreSQL and MariaDB, beside reference readers.

A 1M-row table of six mixed-type columns is read through ``Pool.stream`` (each
batch discarded) and through the fastest readers available here, in the same run:
ADBC and connectorx (Arrow), ``COPY ... TO STDOUT`` through psql to /dev/null, and
for MariaDB connectorx and the mariadb client. Prints a JSON summary.

Run: python benchmarks/stream_throughput.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess

import anyio

from _common import (
    MYSQL_URL,
    PG_URL,
    ROWS_1M,
    SCHEMA,
    best_of,
    ensure_mysql_table,
    ensure_pg_table,
)

QUERY = f"select id, big, amount, label, at, flag from {SCHEMA}.mixed_1m"


def stream_with_sqltest(url: str) -> int:
    import sqltest_core as st

    async def main() -> int:
        rows = 0
        async with st.open_pool(url, pool={"min_size": 1, "max_size": 1}) as db:
            async for batch in db.stream(QUERY):
                rows += batch.num_rows
        return rows

    rows = anyio.run(main)
    assert rows == ROWS_1M, rows
    return rows


def adbc_pg() -> None:
    import adbc_driver_postgresql.dbapi as adbc

    with adbc.connect(PG_URL) as conn, conn.cursor() as cur:
        cur.execute(QUERY)
        rows = sum(b.num_rows for b in cur.fetch_record_batch())
    assert rows == ROWS_1M


def connectorx(url: str) -> None:
    import connectorx as cx

    table = cx.read_sql(url, QUERY, return_type="arrow")
    assert table.num_rows == ROWS_1M


def psql_copy(fmt: str = "binary") -> None:
    subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "test",
            "-qc",
            f"copy ({QUERY}) to stdout (format {fmt})",
        ],
        stdout=subprocess.DEVNULL,
        check=True,
    )


def mariadb_client() -> None:
    subprocess.run(
        ["mariadb", "-h", "127.0.0.1", "-u", "root", "--quick", "-N", "-e", QUERY],
        stdout=subprocess.DEVNULL,
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ensure_pg_table()
    ensure_mysql_table()
    results: dict[str, dict[str, float]] = {"postgres": {}, "mariadb": {}}
    pg = results["postgres"]
    pg["sqltest_core"] = best_of(args.runs, lambda: stream_with_sqltest(PG_URL))
    pg["adbc"] = best_of(args.runs, adbc_pg)
    pg["connectorx"] = best_of(args.runs, lambda: connectorx(PG_URL))
    pg["psql COPY binary > /dev/null"] = best_of(args.runs, psql_copy)
    pg["psql COPY text > /dev/null"] = best_of(args.runs, lambda: psql_copy("text"))
    my = results["mariadb"]
    my["sqltest_core (asyncmy)"] = best_of(
        args.runs,
        lambda: stream_with_sqltest(MYSQL_URL.replace("mysql://", "mysql+asyncmy://")),
    )
    my["sqltest_core (aiomysql)"] = best_of(
        1,
        lambda: stream_with_sqltest(MYSQL_URL.replace("mysql://", "mysql+aiomysql://")),
    )
    my["connectorx"] = best_of(args.runs, lambda: connectorx(MYSQL_URL))
    my["mariadb --quick > /dev/null"] = best_of(args.runs, mariadb_client)
    summary = {
        engine: {
            name: {"seconds": round(t, 3), "rows_per_s": round(ROWS_1M / t)}
            for name, t in timings.items()
        }
        for engine, timings in results.items()
    }
    for timings in summary.values():
        ours = next(v for k, v in timings.items() if k.startswith("sqltest_core"))
        best = max(
            (v for k, v in timings.items() if not k.startswith("sqltest_core")),
            key=lambda v: v["rows_per_s"],
        )
        timings["ratio_vs_fastest_reference"] = round(
            ours["rows_per_s"] / best["rows_per_s"], 3
        )
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
