"""Rows per second of the ways to get PostgreSQL rows into Arrow.

Builds a 1M-row table of six mixed columns (integer, bigint, numeric(12,2), text,
timestamptz, boolean) in a throwaway schema of database ``test`` and streams it:

- ``copy``: PostgresConnection.stream, the COPY text + pyarrow CSV path (default);
- ``records``: the same connection forced onto its asyncpg-record path;
- ``raw copy text/binary``: asyncpg COPY into a sink that drops the bytes (the
  server's ceiling, no parsing at all);
- ``adbc``: the ADBC PostgreSQL driver (binary COPY parsed in C++), for reference.

Usage: python benchmarks/pg_stream_probe.py [URL] [--rows N] [--repeat K]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg

import sqltest_core.connectors.postgres as pg
from sqltest_core.config import DataSource


async def best(repeat: int, rows: int, run: Callable[[], Awaitable[int]]) -> float:
    """Best rows/s of ``repeat`` runs; each run returns the rows it saw."""
    rates = []
    for _ in range(repeat):
        started = time.perf_counter()
        seen = await run()
        elapsed = time.perf_counter() - started
        assert seen == rows, (seen, rows)
        rates.append(rows / elapsed)
    return max(rates)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "url", nargs="?", default="postgresql://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(args.url)
    await admin.execute(f"""
        CREATE SCHEMA {schema};
        CREATE TABLE {schema}.mixed AS
        SELECT g::integer AS i, g::bigint * 1000003 AS b,
               round((random() * 1e9)::numeric, 2)::numeric(12,2) AS n,
               md5(g::text) AS t,
               (now() - g * interval '1 second')::timestamptz AS ts,
               g % 3 = 0 AS flag
        FROM generate_series(1, {args.rows}) AS g;
    """)
    await admin.execute(f"VACUUM ANALYZE {schema}.mixed")
    sql = f"SELECT * FROM {schema}.mixed"
    results: dict[str, float] = {}
    try:
        conn = await pg.PostgresConnector(DataSource(url=args.url)).connect()

        async def stream() -> int:
            return sum([b.num_rows async for b in conn.stream(sql)])

        results["copy (default path)"] = await best(args.repeat, args.rows, stream)
        copyable = pg._is_copyable
        pg._is_copyable = lambda _sql: False  # type: ignore[assignment]
        try:
            results["records (fallback path)"] = await best(1, args.rows, stream)
        finally:
            pg._is_copyable = copyable
        await conn.aclose()

        for fmt in ("text", "binary"):

            async def raw(fmt: str = fmt) -> int:
                async def sink(data: bytes) -> None:
                    pass

                await admin.copy_from_query(sql, output=sink, format=fmt)
                return args.rows

            results[f"raw asyncpg copy {fmt}, no parsing"] = await best(
                args.repeat, args.rows, raw
            )

        try:
            import adbc_driver_postgresql.dbapi as adbc
        except ImportError:
            pass
        else:
            with adbc.connect(args.url) as db:

                async def via_adbc() -> int:
                    def fetch() -> int:
                        with db.cursor() as cur:
                            cur.execute(sql)
                            return sum(b.num_rows for b in cur.fetch_record_batch())

                    return await asyncio.to_thread(fetch)

                results["adbc (reference)"] = await best(
                    args.repeat, args.rows, via_adbc
                )
    finally:
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()
    for name, rate in results.items():
        print(f"{name:36s} {rate:>12,.0f} rows/s")


if __name__ == "__main__":
    asyncio.run(main())
