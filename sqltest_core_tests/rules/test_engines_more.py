"""Aggregate, format, time, unique and relationship kinds on every engine."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from typing import Any

import pytest

from sqltest_core import Pool, open_pool
from sqltest_core.results import RuleResult, RunResult, Status
from sqltest_core.rules import (
    BaseRule,
    DistinctCount,
    Format,
    Freshness,
    Maximum,
    Mean,
    Minimum,
    NoFutureTimestamps,
    NullRatio,
    ReferentialIntegrity,
    StdDev,
    Sum,
    Unique,
    evaluate,
)
from sqltest_core_tests.rules.conftest import (
    FUTURE,
    HOSTILE,
    RECENT,
    create_facts,
    fact_rows,
    harness,
)

T = "facts"
SCORES = [s for r in fact_rows() if isinstance(s := r["score"], int)]

# rule, failing count, failing ids (all fit in the default 5 samples)
ROW_LEVEL: list[tuple[BaseRule, int, set[int]]] = [
    (NoFutureTimestamps(id="future", table=T, column="ts"), 2, {18, 19}),
    (Format(id="email", table=T, column="email", format="email"), 3, {3, 4, 8}),
    (Format(id="uuid", table=T, column="uid", format="uuid"), 2, {2, 9}),
    (Format(id="iso", table=T, column="iso", format="iso_date"), 3, {12, 13, 14}),
    (Format(id="url", table=T, column="url", format="url"), 3, {15, 16, 17}),
    (
        Format(id="url_where", table=T, column="url", format="url", where="id > 15"),
        2,
        {16, 17},
    ),
    (Unique(id="uq", table=T, columns=("code",)), 5, {2, 3, 4, 5, 6}),
    (Unique(id="uq_pair", table=T, columns=("region", "num")), 4, {10, 11, 12, 13}),
    (Unique(id="uq_num", table=T, columns=("num",), where="id < 13"), 3, {10, 11, 12}),
    (
        ReferentialIntegrity(
            id="ri",
            table=T,
            columns=("parent_id",),
            parent="parents",
            parent_columns=("id",),
        ),
        2,
        {3, 7},
    ),
    (
        ReferentialIntegrity(
            id="ri_nulls",
            table=T,
            columns=("parent_id",),
            parent="parents",
            parent_columns=("id",),
            nulls_are_orphans=True,
        ),
        4,
        {3, 7, 9, 19},
    ),
    (
        ReferentialIntegrity(
            id="ri_pair",
            table=T,
            columns=("parent_id", "region"),
            parent="parents",
            parent_columns=("id", "region"),
            where="id <= 5",
        ),
        2,
        {3, 5},
    ),
]

# rule, measured value, passes
AGGREGATES: list[tuple[BaseRule, object, bool]] = [
    (Mean(id="mean", table=T, column="score", max=20), 390 / 18, False),
    (Mean(id="mean_ok", table=T, column="score", min=21.6, max=21.7), 390 / 18, True),
    (
        Mean(id="mean_none", table=T, column="score", min=0, where="id > 99"),
        None,
        False,
    ),
    (Sum(id="sum", table=T, column="score", max=300), 390, False),
    (Sum(id="sum_where", table=T, column="score", min=6, where="id <= 2"), 6, True),
    (Minimum(id="min", table=T, column="score", min=5), 2, False),
    (Maximum(id="max", table=T, column="score", min=40, max=40), 40, True),
    (
        Minimum(id="min_ts", table=T, column="ts", min=dt.date(2024, 1, 2)),
        dt.datetime(2024, 1, 1, 12, 0),
        False,
    ),
    (
        Maximum(id="max_ts", table=T, column="ts", max=FUTURE, where="id < 20"),
        FUTURE,
        True,
    ),
    (StdDev(id="sd", table=T, column="score", max=5), statistics.stdev(SCORES), False),
    (
        StdDev(id="sd_where", table=T, column="score", max=2, where="id <= 2"),
        math.sqrt(2),
        True,
    ),
    (DistinctCount(id="dc", table=T, column="grp", min=5), 4, False),
    (
        DistinctCount(id="dc_where", table=T, column="grp", max=3, where="id <= 4"),
        3,
        True,
    ),
    (NullRatio(id="nr", table=T, column="score", max=0.05), 0.1, False),
    (
        NullRatio(id="nr_where", table=T, column="score", max=0.2, where="id <= 10"),
        0.2,
        True,
    ),
]


def _lower(row: dict[str, Any]) -> dict[str, Any]:
    return {k.lower(): v for k, v in row.items()}


def _ids(result: RuleResult) -> set[int]:
    return {int(_lower(r)["id"]) for r in result.samples}


def _same(got: object, want: object, engine: str) -> bool:
    if isinstance(want, float):
        return isinstance(got, float) and math.isclose(got, want, rel_tol=1e-9)
    if isinstance(want, dt.datetime):
        # Reported as ISO text (SQLite's is its own text: a space, no "T").
        assert isinstance(got, str)
        return dt.datetime.fromisoformat(got).replace(tzinfo=None) == want
    if engine == "snowflake" and isinstance(want, int) and isinstance(got, float):
        # The emulator sums in DOUBLE (Snowflake itself returns NUMBER(38, 0)).
        return got == want
    return type(got) is type(want) and got == want


async def test_row_level_unique_and_relationship_kinds(facts: Pool) -> None:
    rules = [rule for rule, _, _ in ROW_LEVEL]
    results = await evaluate(rules, facts)
    by_id = {r.rule_id: r for r in results}
    for rule, count, ids in ROW_LEVEL:
        got = by_id[rule.id]
        assert (got.status, got.failing_count) == (Status.FAILED, count), rule.id
        scanned = {"url_where": 5, "uq_num": 12, "ri_pair": 5}.get(rule.id, 20)
        assert got.rows_scanned == scanned, rule.id
        assert _ids(got) == ids, rule.id
        assert len(got.sql) == 2, rule.id
    assert by_id["uq"].details == {"duplicated_values": 2}
    assert by_id["uq_pair"].details == {"duplicated_values": 2}
    assert by_id["uq_num"].details == {"duplicated_values": 1}
    assert by_id["ri"].details == {}
    # Duplicates come ordered by key, so each key's rows sit together.
    codes = [_lower(r)["code"] for r in by_id["uq"].samples]
    assert codes == ["dup1", "dup1", "dup2", "dup2", "dup2"]
    # Format, future and the first scan share one statement; unique and
    # referential integrity rules each run their own.
    scans = {by_id[i].sql[0] for i in ("future", "email", "uuid", "iso", "url")}
    assert len(scans) == 1
    assert len({r.sql[0] for r in results}) == 1 + 6


async def test_aggregate_kinds_fuse_into_one_scan(facts: Pool, engine: str) -> None:
    rules = [rule for rule, _, _ in AGGREGATES]
    results = await evaluate(rules, facts)
    # One scan, except that PostgreSQL counts distinct values beside it (a
    # COUNT(DISTINCT) would keep its scan from running in parallel).
    alone = {"dc", "dc_where"} if engine == "postgres" else set()
    scans = {r.sql for r in results if r.rule_id not in alone}
    assert len(scans) == 1 and len(results[0].sql) == 1
    for r in results:
        if r.rule_id in alone:
            assert "COUNT(DISTINCT" in r.sql[0] and "SUM(" not in r.sql[0]
    for (rule, value, passes), got in zip(AGGREGATES, results, strict=True):
        assert got.rule_id == rule.id
        want = (Status.PASSED, 0) if passes else (Status.FAILED, 1)
        assert (got.status, got.failing_count) == want, rule.id
        assert list(got.details) == ["value"], rule.id
        measured = got.details["value"]
        assert (
            (measured is None) if value is None else _same(measured, value, engine)
        ), (
            rule.id,
            measured,
        )
        assert got.samples == ()
        scanned = {"mean_none": 0, "sum_where": 2, "sd_where": 2}
        scanned |= {"dc_where": 4, "nr_where": 10, "max_ts": 19}
        assert got.rows_scanned == scanned.get(rule.id, 20), rule.id


async def test_freshness(facts: Pool) -> None:
    rules = [
        Freshness(id="fresh", table=T, column="ts", max_age="24h", where="id <= 17"),
        Freshness(id="stale", table=T, column="ts", max_age="1d", where="id <= 16"),
    ]
    fresh, stale = await evaluate(rules, facts)
    assert (fresh.status, fresh.failing_count) == (Status.PASSED, 0)
    assert fresh.details["newest"] == RECENT.replace(tzinfo=dt.UTC).isoformat()
    assert 20 * 3600 <= fresh.details["age_seconds"] < 21 * 3600
    assert (stale.status, stale.failing_count, stale.samples) == (Status.FAILED, 1, ())
    assert stale.details["newest"] == "2024-01-16T12:00:00+00:00"
    assert RunResult.model_validate_json(
        RunResult(results=(stale,)).model_dump_json()
    ) == RunResult(results=(stale,))
    assert stale.details["age_seconds"] > 86400
    assert fresh.sql == stale.sql and len(fresh.sql) == 1


@pytest.fixture
def null_times_work(engine: str, request: pytest.FixtureRequest) -> None:
    if engine == "snowflake":
        reason = "fakesnow returns a NULL timestamp as 1970-01-01 (IS NULL works)"
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))


@pytest.mark.usefixtures("null_times_work")
async def test_freshness_without_rows_fails(facts: Pool) -> None:
    rule = Freshness(id="empty", table=T, column="ts", max_age=60, where="id > 99")
    (empty,) = await evaluate([rule], facts)
    assert (empty.status, empty.failing_count, empty.rows_scanned) == (
        Status.FAILED,
        1,
        0,
    )
    assert empty.details == {"newest": None, "age_seconds": None}


async def test_broken_standalone_rule_errors_alone(facts: Pool) -> None:
    rules = [
        Unique(id="bad", table=T, columns=("nope",)),
        ReferentialIntegrity(
            id="bad_parent",
            table=T,
            columns=("parent_id",),
            parent="no_such",
            parent_columns=("id",),
        ),
        Unique(id="good", table=T, columns=("id",)),
        Mean(id="bad_mean", table=T, column="nope", min=0),
        Sum(id="sum", table=T, column="score", min=0),
    ]
    results = await evaluate(rules, facts)
    got = [(r.status, r.failing_count) for r in results]
    assert got == [
        (Status.ERRORED, None),
        (Status.ERRORED, None),
        (Status.PASSED, 0),
        (Status.ERRORED, None),
        (Status.PASSED, 0),
    ]
    assert "nope" in (results[0].reason or "").lower()
    assert "no_such" in (results[1].reason or "").lower()
    assert results[2].details == {"duplicated_values": 0}
    assert results[4].details == {"value": 390}


@pytest.mark.parametrize(
    ("engine", "max_size"),
    [("duckdb", 1), ("duckdb", 3), ("postgres", 1), ("postgres", 3)],
)
async def test_standalone_rules_share_any_pool(engine: str, max_size: int) -> None:
    async with harness(engine).scratch(pool={"max_size": max_size}) as source:
        async with open_pool(source) as pool:
            await create_facts(pool, engine)
            rules = [
                Unique(id=f"u{i}", table=T, columns=("code",)) for i in range(4)
            ] + [Sum(id="s", table=T, column="score", max=1000)]
            results = await evaluate(rules, pool)
    assert [r.failing_count for r in results] == [5, 5, 5, 5, 0]


async def test_hostile_names_in_grouped_and_joined_queries(planted: Pool) -> None:
    rules = [
        Unique(id="uq", table="planted", columns=(HOSTILE,)),
        Unique(id="uq_status", table="planted", columns=("status", HOSTILE)),
        ReferentialIntegrity(
            id="ri",
            table="planted",
            columns=(HOSTILE,),
            parent="planted",
            parent_columns=("id",),
        ),
        Mean(id="mean", table="planted", column=HOSTILE, min=10, max=10),
    ]
    results = await evaluate(rules, planted)
    assert [(r.status, r.failing_count, r.rows_scanned) for r in results] == [
        (Status.PASSED, 0, 20)
    ] * 4
    assert results[3].details == {"value": 10.0}
    assert await planted.scalar("SELECT COUNT(*) FROM planted") == 20
