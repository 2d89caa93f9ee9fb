"""Shared bits of the benchmark scripts: servers, data set-up, timing, output."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
SCHEMA = "sqltest_bench"
ROWS_1M = 1_000_000

# Six mixed-type columns: int, bigint, decimal, text, timestamp, boolean.
PG_TABLE_SQL = f"""
create schema if not exists {SCHEMA};
drop table if exists {SCHEMA}.mixed_1m;
create table {SCHEMA}.mixed_1m as
select i::int as id, i::bigint * 7919 as big, (i % 100000) / 100.0::numeric(12,2) as amount,
       'name ' || i as label, timestamptz '2026-01-01' + i * interval '1 second' as at,
       i % 3 = 0 as flag
from generate_series(1, {ROWS_1M}) as g(i);
alter table {SCHEMA}.mixed_1m alter column amount type numeric(12,2);
analyze {SCHEMA}.mixed_1m;
"""
MYSQL_TABLE_SQL = [
    f"create database if not exists {SCHEMA}",
    f"drop table if exists {SCHEMA}.mixed_1m",
    f"create table {SCHEMA}.mixed_1m (id int primary key, big bigint, amount decimal(12,2),"
    " label varchar(40), at datetime(6), flag tinyint(1))",
    # MariaDB's sequence engine (seq_1_to_N) fills the table in one statement.
    f"insert into {SCHEMA}.mixed_1m select seq, seq * 7919, (seq % 100000) / 100,"
    " concat('name ', seq), timestamp '2026-01-01 00:00:00' + interval seq second,"
    f" seq % 3 = 0 from seq_1_to_{ROWS_1M}",
]


def psql(sql: str) -> str:
    out = subprocess.run(
        [
            *("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test"),
            *("-v", "ON_ERROR_STOP=1", "-qAt", "-f", "-"),
        ],
        input=sql,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def mysql(sql: str) -> str:
    out = subprocess.run(
        ["mariadb", "-h", "127.0.0.1", "-u", "root", "-N", "-e", sql],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def ensure_pg_table() -> None:
    have = psql(
        f"select count(*) from information_schema.columns where table_schema = '{SCHEMA}'"
        " and table_name = 'mixed_1m'"
    ).strip()
    if have != "6":
        psql(PG_TABLE_SQL)


def ensure_mysql_table() -> None:
    have = mysql(
        f"select count(*) from information_schema.columns where table_schema = '{SCHEMA}'"
        " and table_name = 'mixed_1m'"
    ).strip()
    if have != "6":
        mysql("; ".join(MYSQL_TABLE_SQL))


def best_of(runs: int, func: Callable[[], Any]) -> float:
    """Median wall time of ``runs`` calls (after one warm-up)."""
    func()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_python(code: str, *args: str) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; it prints one JSON object."""
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {platform.python_version()}"
