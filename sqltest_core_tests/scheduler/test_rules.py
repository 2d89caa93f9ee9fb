"""run_rules on DuckDB: dependency order, fused scans counted query by query."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from sqltest_core.config import Settings
from sqltest_core.connectors import Pool, Pools
from sqltest_core.errors import ConfigError, DependencyCycleError
from sqltest_core.results import RunResult, Severity, Status
from sqltest_core.rules import Expression, NotNull, Range, RowCount
from sqltest_core.scheduler import RuleTask, TaskFinished, run_rules


class Recorder:
    """Wraps a pool's fetch_rows: the statements sent, and how many overlapped."""

    def __init__(self, pool: Pool, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sql: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.gate: anyio.Event | None = None
        self.gate_at = 0
        fetch = pool.fetch_rows

        async def recording(sql: str, *args: Any, **kwargs: Any) -> Any:
            self.sql.append(sql)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                if self.gate is not None:
                    # Hold every scan until gate_at of them are in flight at once:
                    # the run can only finish if they really run concurrently.
                    if self.in_flight >= self.gate_at:
                        self.gate.set()
                    with anyio.fail_after(10):
                        await self.gate.wait()
                return await fetch(sql, *args, **kwargs)
            finally:
                self.in_flight -= 1

        monkeypatch.setattr(pool, "fetch_rows", recording)

    @property
    def scans(self) -> list[str]:
        return [s for s in self.sql if s.startswith("SELECT COUNT(*) AS rows_scanned")]


@pytest.fixture
async def db() -> AsyncIterator[tuple[Pools, Pool]]:
    settings = Settings(data_sources={"local": {"url": "duckdb://:memory:"}})
    async with Pools(settings) as pools:
        pool = await pools.get("local")
        for name in ("t", "u", "v"):
            await pool.execute(
                f"create table {name} as select range as i, "
                "case when range % 10 = 0 then null else range end as maybe "
                "from range(100)"
            )
        yield pools, pool


def outcome(run: RunResult) -> list[tuple[str, str, int | None, str | None]]:
    return [(r.rule_id, r.status.value, r.failing_count, r.reason) for r in run.results]


async def test_fifty_independent_rules_share_one_scan(
    db: tuple[Pools, Pool], monkeypatch: pytest.MonkeyPatch
) -> None:
    pools, pool = db
    sent = Recorder(pool, monkeypatch)
    rules = [Range(id=f"r{k}", table="t", column="i", min=0, max=k) for k in range(50)]
    run = await run_rules(rules, pools, sample_size=0)  # samples: extra queries
    assert len(sent.sql) == 1 == len(sent.scans)
    assert [r.rule_id for r in run.results] == [f"r{k}" for k in range(50)]
    assert [r.failing_count for r in run.results] == [99 - k for k in range(50)]
    assert all(r.sql == (sent.sql[0],) for r in run.results)


async def test_a_dependent_runs_in_a_later_scan(
    db: tuple[Pools, Pool], monkeypatch: pytest.MonkeyPatch
) -> None:
    pools, pool = db
    sent = Recorder(pool, monkeypatch)
    rules = [
        NotNull(id="b", table="t", column="i", depends_on=("a",)),
        RowCount(id="a", table="t", min=100),
        NotNull(id="c", table="t", column="i"),
        Range(id="d", table="t", column="i", min=0, depends_on=("a", "c")),
    ]
    run = await run_rules(rules, pools)
    assert outcome(run) == [
        ("b", "passed", 0, None),
        ("a", "passed", 0, None),
        ("c", "passed", 0, None),
        ("d", "passed", 0, None),
    ]
    assert len(sent.scans) == len(sent.sql) == 2
    first, second = sent.scans
    assert run["a"].sql == run["c"].sql == (first,)
    assert run["b"].sql == run["d"].sql == (second,)


async def test_dependents_of_failing_rules_are_skipped(
    db: tuple[Pools, Pool], monkeypatch: pytest.MonkeyPatch
) -> None:
    pools, pool = db
    sent = Recorder(pool, monkeypatch)
    rules = [
        NotNull(id="complete", table="t", column="maybe"),
        NotNull(id="soft", table="t", column="maybe", severity=Severity.WARN),
        Expression(id="broken", table="t", expression="no_such_column > 0"),
        Range(
            id="after_complete", table="t", column="i", min=0, depends_on=("complete",)
        ),
        Range(id="after_soft", table="t", column="i", min=0, depends_on=("soft",)),
        Range(id="after_broken", table="t", column="i", min=0, depends_on=("broken",)),
        RowCount(id="transitively", table="u", min=1, depends_on=("after_complete",)),
    ]
    run = await run_rules(rules, pools, sample_size=2)
    assert outcome(run) == [
        ("complete", "failed", 10, None),
        ("soft", "warned", 10, None),
        ("broken", "errored", None, run["broken"].reason),
        ("after_complete", "skipped", None, "dependency complete failed"),
        ("after_soft", "passed", 0, None),
        ("after_broken", "skipped", None, "dependency broken errored"),
        ("transitively", "skipped", None, "dependency after_complete was skipped"),
    ]
    assert "no_such_column" in (run["broken"].reason or "")
    skipped = run["after_complete"]
    assert (skipped.kind, skipped.table, skipped.column) == ("range", "t", "i")
    assert [s["i"] for s in run["complete"].samples] == [0, 10]
    # The failing rules shared one scan, bisected to isolate "broken"; the one
    # rule left ran in a second round.
    assert sum("no_such_column" not in s for s in sent.scans) >= 2
    assert run["after_soft"].sql[-1] == sent.scans[-1]


async def test_on_failure_run_runs_dependents_anyway(db: tuple[Pools, Pool]) -> None:
    pools, _ = db
    rules = [
        NotNull(id="complete", table="t", column="maybe"),
        Range(id="after", table="t", column="i", max=50, depends_on=("complete",)),
    ]
    run = await run_rules(rules, pools, on_failure="run", sample_size=0)
    assert outcome(run) == [
        ("complete", "failed", 10, None),
        ("after", "failed", 49, None),
    ]


async def test_three_tables_scan_concurrently(
    db: tuple[Pools, Pool], monkeypatch: pytest.MonkeyPatch
) -> None:
    pools, pool = db
    sent = Recorder(pool, monkeypatch)
    sent.gate, sent.gate_at = anyio.Event(), 3
    rules = [
        NotNull(id=f"{table}.{column}", table=table, column=column)
        for column in ("i", "maybe")
        for table in ("t", "u", "v")
    ]
    run = await run_rules(rules, pools, sample_size=0)
    assert [(r.rule_id, r.failing_count) for r in run.results] == [
        ("t.i", 0),
        ("u.i", 0),
        ("v.i", 0),
        ("t.maybe", 10),
        ("u.maybe", 10),
        ("v.maybe", 10),
    ]
    assert len(sent.scans) == len(sent.sql) == 3
    assert sent.most_in_flight == 3
    by_table: dict[str | None, set[str]] = {}
    for r in run.results:
        by_table.setdefault(r.table, set()).update(r.sql)
    assert {table: len(sql) for table, sql in by_table.items()} == {
        "t": 1,
        "u": 1,
        "v": 1,
    }
    assert set().union(*by_table.values()) == set(sent.scans)


async def test_max_concurrency_one_scans_one_table_at_a_time(
    db: tuple[Pools, Pool], monkeypatch: pytest.MonkeyPatch
) -> None:
    pools, pool = db
    sent = Recorder(pool, monkeypatch)
    rules = [NotNull(id=t, table=t, column="i") for t in ("t", "u", "v")]
    await run_rules(rules, pools, max_concurrency=1)
    assert (len(sent.scans), sent.most_in_flight) == (3, 1)


async def test_a_missing_table_errors_only_its_rules(db: tuple[Pools, Pool]) -> None:
    pools, _ = db
    rules = [
        NotNull(id="gone", table="missing", column="i"),
        NotNull(id="here", table="t", column="i"),
        NotNull(id="after_gone", table="t", column="i", depends_on=("gone",)),
    ]
    run = await run_rules(rules, pools)
    assert [(r.rule_id, r.status.value) for r in run.results] == [
        ("gone", "errored"),
        ("here", "passed"),
        ("after_gone", "skipped"),
    ]
    assert "missing" in (run["gone"].reason or "")


async def test_batches_are_bounded(
    db: tuple[Pools, Pool], monkeypatch: pytest.MonkeyPatch
) -> None:
    pools, pool = db
    sent = Recorder(pool, monkeypatch)
    rules = [NotNull(id=f"r{k}", table="t", column="i") for k in range(10)]
    run = await run_rules(rules, pools, max_batch=4)
    assert len(sent.scans) == 3
    assert run.counts == {"passed": 10}


async def test_each_rule_gets_one_task_finished(db: tuple[Pools, Pool]) -> None:
    pools, _ = db
    finished: list[str] = []

    def listen(event: object) -> None:
        if isinstance(event, TaskFinished):
            finished.append(event.result.rule_id)

    rules = [
        NotNull(id="a", table="t", column="i"),
        NotNull(id="b", table="t", column="i", depends_on=("a",)),
        NotNull(id="c", table="u", column="i"),
    ]
    await run_rules(rules, pools, listeners=[listen], run_id="r1")
    assert sorted(finished) == ["a", "b", "c"]
    assert finished.index("a") < finished.index("b")


async def test_the_source_comes_from_the_rule_or_the_default() -> None:
    settings = Settings(
        data_sources={
            "one": {"url": "duckdb://:memory:"},
            "two": {"url": "duckdb://:memory:"},
        }
    )
    async with Pools(settings) as pools:
        for name, rows in (("one", 3), ("two", 5)):
            await (await pools.get(name)).execute(
                f"create table t as select range as i from range({rows})"
            )
        rules = [
            RowCount(id="on_two", table="t", min=5, source="two"),
            RowCount(id="default", table="t", min=5),
        ]
        with pytest.raises(ConfigError, match="rule 'default' names no data source"):
            await run_rules(rules, pools)
        run = await run_rules(rules, pools, source="one")
        assert [(r.rule_id, r.source, r.details) for r in run.results] == [
            ("on_two", "two", {"row_count": 5}),
            ("default", "one", {"row_count": 3}),
        ]
        assert [r.status.value for r in run.results] == ["passed", "failed"]
        with pytest.raises(ConfigError, match="data source 'three', which is not"):
            await run_rules([RowCount(id="x", table="t", min=1, source="three")], pools)


async def test_configuration_errors_raise(db: tuple[Pools, Pool]) -> None:
    pools, _ = db
    rules = [
        NotNull(id="a", table="t", column="i", depends_on=("b",)),
        NotNull(id="b", table="t", column="i", depends_on=("a",)),
    ]
    with pytest.raises(DependencyCycleError):
        await run_rules(rules, pools)


def test_rule_task_key_is_source_table_and_sampling() -> None:
    task = RuleTask(NotNull(id="a", table="s.t", column="i", depends_on=("x",)), "db")
    assert (task.id, task.depends_on, task.source, task.timeout) == (
        "a",
        ("x",),
        "db",
        None,
    )
    assert task.batch_key == ("db", "s.t", 5, 20)
    assert task.result_fields == {
        "kind": "not_null",
        "description": "",
        "severity": "error",
        "table": "s.t",
        "column": "i",
        "tags": (),
    }


async def test_a_rule_timeout_errors_its_scan(db: tuple[Pools, Pool]) -> None:
    pools, _ = db
    slow = Expression(
        id="slow",
        table="t",
        expression="(select count(*) from range(1000000000) a, range(1000) b) > 0",
    )
    run = await run_rules(
        [slow, NotNull(id="after", table="t", column="i", depends_on=("slow",))],
        pools,
        rule_timeout=0.2,
    )
    assert outcome(run) == [
        ("slow", "errored", None, "timed out after 0.2s"),
        ("after", "skipped", None, "dependency slow errored"),
    ]
    assert run.results[0].status is Status.ERRORED


async def test_a_result_cache_answers_a_second_run_without_queries(
    db: tuple[Pools, Pool], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqltest_core.cache import QueryCache
    from sqltest_core.rules import Reconciliation

    pools, pool = db
    sent = Recorder(pool, monkeypatch)
    cache = QueryCache(ttl=60)
    rules = [
        NotNull(id="n", table="t", column="maybe"),
        Reconciliation(id="rec", table="t", other_table="u", other_source="local"),
        Range(id="fresh", table="v", column="i", max=10, cache=False),
    ]
    first = await run_rules(rules, pools, cache=cache)
    queries = len(sent.sql)
    second = await run_rules(rules, pools, cache=cache)
    assert [r.cache_hit for r in first.results] == [False, False, False]
    assert [r.cache_hit for r in second.results] == [True, True, False]
    # Only the opted-out rule's scan and sample query ran again.
    assert len(sent.sql) - queries == 2
    assert outcome(first) == outcome(second)
    assert cache.stats.hits == 3  # the scan of t, its sample query, the totals
