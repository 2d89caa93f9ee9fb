"""The history store on DuckDB and SQLite files and in a PostgreSQL data source."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import polars as pl
import pytest

from sqltest_core import ConfigError, open_pool
from sqltest_core.history import (
    DEFAULT_PATH,
    HistoryStore,
    SQLHistory,
    changes,
    open_history,
)
from sqltest_core.results import RuleResult, RunResult
from sqltest_core_tests._servers import POSTGRES_HOST, POSTGRES_PORT, require_server

PG_URL = f"postgresql://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/test"
T0 = dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.UTC)


def make_run(n: int, statuses: dict[str, str], *, failing: int = 0) -> RunResult:
    start = T0 + dt.timedelta(days=n)
    return RunResult(
        run_id=f"run-{n}",
        started_at=start,
        finished_at=start + dt.timedelta(seconds=2),
        results=[
            RuleResult(
                rule_id=rule_id,
                status=status,
                kind="not_null",
                source="shop",
                table="orders",
                failing_count=failing if status != "passed" else 0,
                rows_scanned=200,
                duration_ms=10.0 * (n + 1),
                samples=({"id": 7, "email": None},) if status != "passed" else (),
                details={"column": "email"},
                sql=("SELECT COUNT(*) FROM orders",),
            )
            for rule_id, status in statuses.items()
        ],
    )


RUNS = [
    make_run(0, {"a": "passed", "b": "failed", "c": "skipped"}, failing=4),
    make_run(1, {"a": "passed", "b": "failed", "c": "passed"}, failing=2),
    make_run(2, {"a": "warned", "b": "passed", "c": "passed"}, failing=1),
]


@pytest.fixture(params=["duckdb", "sqlite", "postgres"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[SQLHistory]:
    if request.param == "duckdb":
        async with open_history(tmp_path / "h.duckdb") as store:
            yield store
    elif request.param == "sqlite":
        async with open_history(tmp_path / "h.sqlite") as store:
            yield store
    else:
        require_server("PostgreSQL", POSTGRES_HOST, POSTGRES_PORT)
        schema = f"hist_{secrets.token_hex(4)}"
        async with open_pool(PG_URL, name="warehouse") as pool:
            await pool.execute(f"create schema {schema}")
            try:
                yield SQLHistory(pool, table=f"{schema}.runs")
            finally:
                await pool.execute(f"drop schema {schema} cascade")


async def test_runs_read_back_losslessly_oldest_first(store: SQLHistory) -> None:
    for run in RUNS:
        await store.record(run)
    assert await store.runs() == RUNS
    assert [r.run_id for r in await store.runs(limit=2)] == ["run-1", "run-2"]
    since = await store.runs(since=T0 + dt.timedelta(days=1))
    assert [r.run_id for r in since] == ["run-1", "run-2"]


async def test_recording_a_run_again_replaces_it(store: SQLHistory) -> None:
    await store.record(RUNS[0])
    fixed = RUNS[0].model_copy(update={"results": RUNS[2].results})
    await store.record(fixed)
    assert await store.runs() == [fixed]
    frame = await store.trend("b")
    assert frame["status"].to_list() == ["passed"]


async def test_previous_is_the_latest_run_before(store: SQLHistory) -> None:
    assert await store.previous(RUNS[0]) is None
    for run in RUNS:
        await store.record(run)
    assert (await store.previous(RUNS[2])) == RUNS[1]
    assert (await store.previous(RUNS[1])) == RUNS[0]
    assert await store.previous(RUNS[0]) is None
    unrecorded = make_run(9, {"a": "passed"})
    assert (await store.previous(unrecorded)) == RUNS[2]


async def test_trend_per_run(store: SQLHistory) -> None:
    for run in RUNS:
        await store.record(run)
    frame = await store.trend()
    assert frame.columns == [
        "run_id",
        "started_at",
        "total",
        "passed",
        "failed",
        "warned",
        "errored",
        "skipped",
        "pass_rate",
        "duration_ms",
    ]
    assert frame.select(pl.exclude("started_at")).rows() == [
        ("run-0", 3, 1, 1, 0, 0, 1, 0.5, 2000.0),
        ("run-1", 3, 2, 1, 0, 0, 0, 2 / 3, 2000.0),
        ("run-2", 3, 2, 0, 1, 0, 0, 2 / 3, 2000.0),
    ]
    assert frame["started_at"].to_list() == [r.started_at for r in RUNS]
    assert (await store.trend(limit=1))["run_id"].to_list() == ["run-2"]


async def test_trend_of_one_rule(store: SQLHistory) -> None:
    for run in RUNS:
        await store.record(run)
    frame = await store.trend("b")
    assert frame.select(
        "run_id",
        "status",
        "failing_count",
        "rows_scanned",
        "failing_ratio",
        "duration_ms",
    ).rows() == [
        ("run-0", "failed", 4, 200, 0.02, 10.0),
        ("run-1", "failed", 2, 200, 0.01, 20.0),
        ("run-2", "passed", 0, 200, 0.0, 30.0),
    ]
    assert frame["kind"].to_list() == ["not_null"] * 3
    assert (await store.trend("nope")).height == 0


async def test_an_empty_history_has_empty_frames(store: SQLHistory) -> None:
    assert await store.runs() == []
    assert (await store.trend()).height == 0
    assert (await store.trend("a")).columns[:3] == ["run_id", "started_at", "rule_id"]


async def test_many_results_are_inserted_in_chunks(tmp_path: Path) -> None:
    run = make_run(0, {f"r{i:04d}": "passed" for i in range(1_234)})
    async with open_history(tmp_path / "h.duckdb") as store:
        await store.record(run)
        assert (await store.runs()) == [run]
        assert (await store.trend())["total"].to_list() == [1_234]


async def test_a_table_in_a_data_source_is_created_when_missing(tmp_path: Path) -> None:
    async with open_pool(f"duckdb:///{tmp_path / 'w.duckdb'}", name="w") as pool:
        store = SQLHistory(pool, table="ops_history")
        assert isinstance(store, HistoryStore)
        await store.record(RUNS[0])
        names = await pool.fetch_arrow(
            "select table_name from information_schema.tables order by 1"
        )
        assert names.column(0).to_pylist() == ["ops_history", "ops_history_results"]
        await store.aclose()  # does not close a pool it was given
        assert await pool.scalar("select count(*) from ops_history") == 1


def test_open_history_picks_the_engine_by_suffix(tmp_path: Path) -> None:
    assert open_history(tmp_path / "a.sqlite").pool.dialect == "sqlite"
    assert open_history(tmp_path / "a.db").pool.dialect == "sqlite"
    assert open_history(tmp_path / "a.duckdb").pool.dialect == "duckdb"
    assert open_history("duckdb://:memory:").pool.dialect == "duckdb"
    assert DEFAULT_PATH == Path(".sqltest/history.duckdb")


def test_a_bad_table_name_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="bad history table name"):
        open_history("duckdb://:memory:", table="runs; drop table x")


def test_changes_between_runs() -> None:
    found = changes(RUNS[1], RUNS[2])
    assert (found.newly_failing, found.fixed, found.added, found.removed) == (
        ("a",),
        ("b",),
        (),
        (),
    )
    assert bool(found)
    assert not changes(RUNS[2], RUNS[2])
    first = changes(None, RUNS[0])
    assert (first.newly_failing, first.added) == (("b",), ())
