"""Data, expected counts and measured variants of ``rules_suite.py``.

Imported by the benchmark (set-up, expected counts) and run as the child
process of every measurement::

    python benchmarks/_rules_data.py <variant> <engine> <rows>

which prints one JSON object: the counts it computed and its time splits. At
module level only the standard library is imported, so a hand-written variant
pays for its driver alone and ``sqltest`` for ``sqltest_core`` alone.

The events table has ``rows`` rows numbered ``i = 1..rows``; defects are
planted by ``i`` modulo a prime-ish period, so every count is known exactly
(see :func:`expected`). Its parent, ``rules_customers``, has 100,000 keys.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

T0 = time.perf_counter()

SCHEMA = "sqltest_bench"
PARENT = f"{SCHEMA}.rules_customers"
PARENT_ROWS = 100_000
VERSION = 1  # bump when the generated data changes
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
DUCKDB_PATH = Path(tempfile.gettempdir()) / "sqltest_bench" / "rules_suite.duckdb"
PATTERN = "^user[0-9]+@example[.]com$"
STATUSES = ("new", "paid", "shipped")
COUNTS = (
    "row_count",
    "not_null",
    "dup_values",
    "dup_rows",
    "range",
    "regex",
    "accepted",
    "future",
    "length",
    "orphans",
)


def table(rows: int) -> str:
    return f"{SCHEMA}.rules_events_{rows}"


def _every(rows: int, period: int, offset: int) -> int:
    """How many ``i`` in ``1..rows`` have ``i % period == offset``."""
    if offset == 0:
        return rows // period
    return 0 if rows < offset else (rows - offset) // period + 1


def expected(rows: int) -> dict[str, int]:
    """The planted defects of the ``rows``-row table, exactly."""
    dups = rows // 5000  # id i-1 repeated where i % 5000 == 0: pairs
    return {
        "row_count": rows,
        "not_null": _every(rows, 1000, 0),
        "dup_values": dups,
        "dup_rows": 2 * dups,
        "range": _every(rows, 5000, 13),
        "regex": _every(rows, 3000, 7),
        "accepted": _every(rows, 2500, 3),
        "future": _every(rows, 8000, 5),
        "length": _every(rows, 4000, 11),
        "orphans": _every(rows, 2000, 1),
    }


# -- set-up (run by the parent, cached) -----------------------------------------

_EVENTS = """
create table {table} as
select (case when i % 5000 = 0 then i - 1 else i end)::bigint as id,
       (case when i % 2000 = 1 then 100000 + i else 1 + (i * 7) % 100000 end)::int as customer_id,
       case when i % 1000 = 0 then null
            when i % 3000 = 7 then 'user' || i || ' at example.com'
            else 'user' || i || '@example.com' end as email,
       case when i % 2500 = 3 then 'lost' else {statuses}[1 + i % 3] end as status,
       case when i % 4000 = 11 then 'XXX' else {countries}[1 + i % 4] end as country,
       (case when i % 5000 = 13 then -5 else i % 997 end)::int as amount,
       case when i % 8000 = 5 then {ts} '2099-01-01'
            else {ts} '2025-01-01' + {seconds} end as created_at
from {series}
"""


def setup_sql(engine: str, rows: int) -> list[str]:
    """Statements creating the parent, the events table and the marker."""
    pg = engine == "postgres"
    events = _EVENTS.format(
        table=table(rows),
        statuses="(array['new', 'paid', 'shipped'])"
        if pg
        else "['new', 'paid', 'shipped']",
        countries="(array['DE', 'FR', 'US', 'NL'])"
        if pg
        else "['DE', 'FR', 'US', 'NL']",
        ts="timestamptz" if pg else "timestamp",
        seconds="i * interval '1 second'" if pg else "to_seconds(i)",
        series=f"generate_series(1, {rows}) as g(i)"
        if pg
        else f"range(1, {rows + 1}) as g(i)",
    )
    parent = (
        f"create table {PARENT} as select i::int as id, 'customer ' || i as name"
        f" from {'generate_series(1, 100000)' if pg else 'range(1, 100001)'} as g(i)"
    )
    return [
        f"create schema if not exists {SCHEMA}",
        f"create table if not exists {SCHEMA}.rules_meta (name varchar primary key, version int, n bigint)",
        f"drop table if exists {table(rows)}",
        f"delete from {SCHEMA}.rules_meta where name = '{table(rows)}'",
        events,
        *(
            []
            if not pg
            else [
                f"alter table {table(rows)} set (parallel_workers = 2)",
                f"analyze {table(rows)}",
            ]
        ),
        f"insert into {SCHEMA}.rules_meta values ('{table(rows)}', {VERSION}, {rows})",
        # The parent is small: recreated with every events table, so it always matches.
        f"drop table if exists {PARENT}",
        parent,
        f"alter table {PARENT} add primary key (id)",
        *([f"analyze {PARENT}"] if pg else []),
    ]


def marker_sql(rows: int) -> str:
    """Returns one row when the cached table is current."""
    return (
        f"select n from {SCHEMA}.rules_meta where name = '{table(rows)}'"
        f" and version = {VERSION} and n = {rows}"
        f" and (select count(*) from {table(rows)}) = {rows}"
        f" and (select count(*) from {PARENT}) = {PARENT_ROWS}"
    )


# -- hand-written SQL ---------------------------------------------------------------


def _row_counts(engine: str, alias: str) -> list[str]:
    e = alias
    regex = (
        f"{e}.email !~ '{PATTERN}'"
        if engine == "postgres"
        else f"not regexp_matches({e}.email, '{PATTERN}')"
    )
    values = ", ".join(f"'{v}'" for v in STATUSES)
    return [
        "count(*) as row_count",
        f"count(*) filter (where {e}.email is null) as not_null",
        f"count(*) filter (where {e}.amount < 0 or {e}.amount > 1000) as range",
        f"count(*) filter (where {regex}) as regex",
        f"count(*) filter (where {e}.status not in ({values})) as accepted",
        f"count(*) filter (where {e}.created_at > current_timestamp) as future",
        f"count(*) filter (where length({e}.country) < 2 or length({e}.country) > 2) as length",
        f"avg({e}.amount) as mean",
    ]


def _dups(rows: int) -> str:
    return (
        f"select count(*) as dup_values, coalesce(sum(n), 0) as dup_rows from ("
        f"select count(*) as n from {table(rows)} where id is not null"
        " group by id having count(*) > 1) as d"
    )


def _orphans(rows: int) -> str:
    return (
        f"select count(*) as orphans from {table(rows)} as e where e.customer_id is not null"
        f" and not exists (select 1 from {PARENT} as p where p.id = e.customer_id)"
    )


def one_statement(engine: str, rows: int) -> str:
    """All ten figures in ONE statement: the way one writes it first."""
    cols = [
        *_row_counts(engine, "e"),
        "count(*) filter (where e.customer_id is not null and p.id is null) as orphans",
        "(select dup_values from dups) as dup_values",
        "(select dup_rows from dups) as dup_rows",
    ]
    return (
        f"with dups as ({_dups(rows)}) select {', '.join(cols)}"
        f" from {table(rows)} as e left join {PARENT} as p on p.id = e.customer_id"
    )


def statements(variant: str, engine: str, rows: int) -> tuple[list[str], bool]:
    """A hand-written variant's statements and whether they run concurrently."""
    scan = f"select {', '.join(_row_counts(engine, 'e'))} from {table(rows)} as e"
    scan_ri = (
        f"select {', '.join(_row_counts(engine, 'e'))},"
        " count(*) filter (where e.customer_id is not null and p.id is null) as orphans"
        f" from {table(rows)} as e left join {PARENT} as p on p.id = e.customer_id"
    )
    forms = {
        "one_statement": ([one_statement(engine, rows)], False),
        # Uniqueness and orphans out of the big aggregate (which then runs in
        # parallel on PostgreSQL), each on a connection of its own.
        "split3_concurrent": ([scan, _dups(rows), _orphans(rows)], True),
        "split3_serial": ([scan, _dups(rows), _orphans(rows)], False),
        # The orphan join inside the scan, uniqueness beside it.
        "split2_concurrent": ([scan_ri, _dups(rows)], True),
        # PostgreSQL: ~10M groups overflow work_mem and the hash aggregate
        # spills (640 batches); sorting then grouping is faster here.
        "split3_sortagg": (
            [scan, f"set enable_hashagg = off; {_dups(rows)}", _orphans(rows)],
            True,
        ),
    }
    return forms[variant]


def hand_variants(engine: str) -> tuple[str, ...]:
    """The hand-written variants measured on ``engine``."""
    common = (
        "one_statement",
        "split3_concurrent",
        "split3_serial",
        "split2_concurrent",
    )
    return (*common, "split3_sortagg") if engine == "postgres" else common


# -- children -----------------------------------------------------------------------


def _merge(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for row in rows:
        out.update({k: (float(v) if k == "mean" else int(v)) for k, v in row.items()})
    return out


def _hand_duckdb(variant: str, rows: int, split: dict[str, float]) -> dict[str, Any]:
    import duckdb

    split["import_s"] = time.perf_counter() - T0
    sqls, concurrent = statements(variant, "duckdb", rows)
    con = duckdb.connect(str(DUCKDB_PATH), read_only=True)
    split["connect_s"] = time.perf_counter() - T0 - split["import_s"]

    def one(cur: Any, sql: str) -> dict[str, Any]:
        rel = cur.execute(sql)
        names = [c[0] for c in rel.description]
        return dict(zip(names, rel.fetchone(), strict=True))

    if concurrent:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(len(sqls)) as pool:
            found = list(pool.map(lambda s: one(con.cursor(), s), sqls))
    else:
        found = [one(con, s) for s in sqls]
    con.close()
    return _merge(found)


def _hand_postgres(variant: str, rows: int, split: dict[str, float]) -> dict[str, Any]:
    import asyncio

    import asyncpg

    split["import_s"] = time.perf_counter() - T0
    sqls, concurrent = statements(variant, "postgres", rows)

    async def fetch(conn: Any, sql: str) -> Any:
        *settings, query = sql.split("; ")
        for setting in settings:
            await conn.execute(setting)
        return await conn.fetchrow(query)

    async def main() -> list[dict[str, Any]]:
        width = len(sqls) if concurrent else 1
        conns = await asyncio.gather(*(asyncpg.connect(PG_URL) for _ in range(width)))
        split["connect_s"] = time.perf_counter() - T0 - split["import_s"]
        try:
            if concurrent:
                got = await asyncio.gather(
                    *(fetch(c, s) for c, s in zip(conns, sqls, strict=True))
                )
            else:
                got = [await fetch(conns[0], s) for s in sqls]
        finally:
            await asyncio.gather(*(c.close() for c in conns))
        return [dict(r) for r in got]

    return _merge(asyncio.run(main()))


def rules(rows: int) -> list[Any]:
    """The ten rules, through sqltest_core's Python API."""
    from sqltest_core.rules import (
        AcceptedValues,
        Length,
        Mean,
        NoFutureTimestamps,
        NotNull,
        Range,
        ReferentialIntegrity,
        Regex,
        RowCount,
        Unique,
    )

    t = table(rows)
    return [
        NotNull(id="email_present", table=t, column="email"),
        Unique(id="id_unique", table=t, columns=("id",)),
        Range(id="amount_range", table=t, column="amount", min=0, max=1000),
        Regex(id="email_format", table=t, column="email", pattern=PATTERN),
        AcceptedValues(id="status_known", table=t, column="status", values=STATUSES),
        NoFutureTimestamps(id="created_not_future", table=t, column="created_at"),
        Length(id="country_code", table=t, column="country", min=2, max=2),
        RowCount(id="row_count", table=t, min=rows, max=rows),
        ReferentialIntegrity(
            id="customer_exists",
            table=t,
            columns=("customer_id",),
            parent=PARENT,
            parent_columns=("id",),
        ),
        Mean(id="amount_mean", table=t, column="amount", min=0, max=1000),
    ]


_FIGURE = {
    "email_present": "not_null",
    "id_unique": "dup_rows",
    "amount_range": "range",
    "email_format": "regex",
    "status_known": "accepted",
    "created_not_future": "future",
    "country_code": "length",
    "customer_exists": "orphans",
}


def _sqltest(
    engine: str, rows: int, split: dict[str, float], sample_size: int
) -> dict[str, Any]:
    import anyio

    from sqltest_core import Pools, Settings
    from sqltest_core.scheduler import run_rules

    split["import_s"] = time.perf_counter() - T0
    began = time.perf_counter()
    suite = rules(rows)
    split["rules_s"] = time.perf_counter() - began
    url = PG_URL if engine == "postgres" else f"duckdb:///{DUCKDB_PATH}"
    log: list[tuple[str, float]] = []

    async def main() -> Any:
        started = time.perf_counter()
        settings = Settings(data_sources={"bench": {"url": url}})
        pools = Pools(settings)
        await pools.__aenter__()
        pool = await pools.get("bench")
        split["connect_s"] = time.perf_counter() - started
        try:
            fetch = pool.fetch_rows

            async def logged(sql: str, *args: Any, **kwargs: Any) -> Any:
                began = time.perf_counter()
                try:
                    return await fetch(sql, *args, **kwargs)
                finally:
                    log.append((sql, time.perf_counter() - began))

            pool.fetch_rows = logged  # type: ignore[method-assign]
            started = time.perf_counter()
            run = await run_rules(
                suite,
                pools,
                sample_size=sample_size,
                bad_values_limit=20 if sample_size else 0,
            )
            split["run_s"] = time.perf_counter() - started
        finally:
            started = time.perf_counter()
            await pools.__aexit__(None, None, None)
            split["close_s"] = time.perf_counter() - started
        return run

    run = anyio.run(main)
    out: dict[str, Any] = {}
    for r in run.results:
        if r.rule_id in _FIGURE:
            out[_FIGURE[r.rule_id]] = r.failing_count
        if r.rule_id == "id_unique":
            out["dup_values"] = r.details["duplicated_values"]
        elif r.rule_id == "row_count":
            out["row_count"] = r.details["row_count"]
        elif r.rule_id == "amount_mean":
            out["mean"] = r.details["value"]
            out["mean_failing"] = r.failing_count
    out["statuses"] = {r.rule_id: r.status.value for r in run.results}
    out["result_sql"] = sorted({s for r in run.results for s in r.sql})
    out["queries"] = [{"sql": s, "s": round(d, 4)} for s, d in log]
    return out


FLOOR_FORM = "split3_concurrent"


def _api_floor(engine: str, rows: int, split: dict[str, float]) -> dict[str, Any]:
    """What any run through sqltest_core's API pays before evaluating anything.

    Imports the library, builds the ten rule models and the settings, then
    runs the hand-written ``split3_concurrent`` statements with the bare driver
    inside an event loop (the library is async): the floor under the
    ``sqltest`` variants.
    """
    import anyio

    from sqltest_core import Settings
    from sqltest_core.scheduler import run_rules  # noqa: F401

    rules(rows)
    url = PG_URL if engine == "postgres" else f"duckdb:///{DUCKDB_PATH}"
    Settings(data_sources={"bench": {"url": url}})
    if engine == "postgres":
        return _hand_postgres(FLOOR_FORM, rows, split)  # asyncio.run inside

    async def main() -> dict[str, Any]:
        return await anyio.to_thread.run_sync(_hand_duckdb, FLOOR_FORM, rows, split)

    return anyio.run(main)


def child(variant: str, engine: str, rows: int) -> dict[str, Any]:
    split: dict[str, float] = {}
    if variant == "api_floor":
        out = _api_floor(engine, rows, split)
    elif variant.startswith("sqltest"):
        sample_size = 0 if variant == "sqltest_nosamples" else 5
        out = _sqltest(engine, rows, split, sample_size)
    elif engine == "duckdb":
        out = _hand_duckdb(variant, rows, split)
    else:
        out = _hand_postgres(variant, rows, split)
    split["total_s"] = time.perf_counter() - T0
    return {**out, "split": {k: round(v, 4) for k, v in split.items()}}


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1], sys.argv[2], int(sys.argv[3])), default=str))
