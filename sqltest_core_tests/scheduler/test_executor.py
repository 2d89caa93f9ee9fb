from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import anyio
import anyio.lowlevel
import pytest

from sqltest_core import configure_logging
from sqltest_core.connectors import Pools
from sqltest_core.errors import ConfigError, DependencyCycleError, QueryError
from sqltest_core.results import RuleResult, RunResult, Status
from sqltest_core.scheduler import (
    Event,
    Executor,
    LocalExecutor,
    RunContext,
    RunFinished,
    RunStarted,
    TaskFinished,
    TaskStarted,
)
from sqltest_core_tests.scheduler._fakes import Action, Fake, settings


def statuses(run: RunResult) -> dict[str, tuple[str, str | None]]:
    return {r.rule_id: (r.status.value, r.reason) for r in run.results}


def test_local_executor_fits_the_protocol() -> None:
    assert isinstance(LocalExecutor(), Executor)


def test_bad_options_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="max_concurrency must be >= 1, not 0"):
        LocalExecutor(max_concurrency=0)
    with pytest.raises(ConfigError, match="on_failure must be 'skip' or 'run'"):
        LocalExecutor(on_failure="stop")  # type: ignore[arg-type]


async def test_empty_run(pools: Pools) -> None:
    run = await LocalExecutor().run([], pools, run_id="r0")
    assert run.run_id == "r0"
    assert run.results == ()
    assert run.started_at is not None and run.finished_at is not None
    assert run.started_at <= run.finished_at


async def test_configuration_errors_raise_before_anything_runs(pools: Pools) -> None:
    ran: list[str] = []

    async def note(ctx: RunContext) -> None:
        ran.append("x")

    tasks = [Fake("x", action=note), Fake("a", ("b",)), Fake("b", ("a",))]
    with pytest.raises(DependencyCycleError):
        await LocalExecutor().run(tasks, pools)
    assert ran == []


async def test_dependent_rule_waits_for_parent(pools: Pools) -> None:
    order: list[str] = []
    release = anyio.Event()

    async def parent(ctx: RunContext) -> None:
        order.append("parent-start")
        await release.wait()
        order.append("parent-end")

    async def releaser(ctx: RunContext) -> None:
        for _ in range(20):  # many chances for a child that did not wait to run
            await anyio.lowlevel.checkpoint()
        order.append("releaser")
        release.set()

    async def child(ctx: RunContext) -> None:
        order.append("child")

    tasks = [
        Fake("child", ("parent",), action=child),
        Fake("parent", action=parent),
        Fake("releaser", action=releaser),
    ]
    run = await LocalExecutor().run(tasks, pools)
    assert order == ["parent-start", "releaser", "parent-end", "child"]
    assert [r.rule_id for r in run.results] == ["child", "parent", "releaser"]
    assert run.ok


class InFlight:
    def __init__(self) -> None:
        self.now: dict[str | None, int] = {}
        self.peak: dict[str | None, int] = {}
        self.total = 0
        self.peak_total = 0

    def action(self, source: str | None) -> Action:
        async def act(ctx: RunContext) -> None:
            self.now[source] = self.now.get(source, 0) + 1
            self.total += 1
            self.peak[source] = max(self.peak.get(source, 0), self.now[source])
            self.peak_total = max(self.peak_total, self.total)
            for _ in range(5):
                await anyio.lowlevel.checkpoint()
            self.now[source] -= 1
            self.total -= 1

        return act


async def test_global_concurrency_bound_is_respected(pools: Pools) -> None:
    flight = InFlight()
    tasks = [Fake(f"t{i}", action=flight.action(None)) for i in range(30)]
    run = await LocalExecutor(max_concurrency=4).run(tasks, pools)
    assert flight.peak_total == 4
    assert run.counts == {"passed": 30}


async def test_per_source_bound_is_the_pool_size() -> None:
    flight = InFlight()
    tasks = [
        Fake(f"l{i}", source="local", action=flight.action("local")) for i in range(20)
    ] + [Fake(f"n{i}", action=flight.action(None)) for i in range(20)]
    async with Pools(settings(max_size=2)) as pools:
        run = await LocalExecutor(max_concurrency=8).run(tasks, pools)
    assert flight.peak["local"] == 2
    assert flight.peak_total == 8
    assert run.counts == {"passed": 40}


def failing_graph() -> list[Fake]:
    return [
        Fake("a", status=Status.FAILED),
        Fake("b", ("a",)),
        Fake("c", ("b",)),
        Fake("e", status=Status.ERRORED),
        Fake("d", ("w", "e", "a")),
        Fake("w", status=Status.WARNED),
        Fake("f", ("w",)),
    ]


async def test_dependents_of_a_rule_that_did_not_pass_are_skipped(
    pools: Pools,
) -> None:
    run = await LocalExecutor().run(failing_graph(), pools)
    assert statuses(run) == {
        "a": ("failed", None),
        "b": ("skipped", "dependency a failed"),
        "c": ("skipped", "dependency b was skipped"),
        "e": ("errored", None),
        # the first dependency that did not pass, in declared order
        "d": ("skipped", "dependency e errored"),
        "w": ("warned", None),
        "f": ("passed", None),
    }


async def test_run_anyway_policy_runs_dependents(pools: Pools) -> None:
    run = await LocalExecutor(on_failure="run").run(failing_graph(), pools)
    assert statuses(run) == {
        "a": ("failed", None),
        "b": ("passed", None),
        "c": ("passed", None),
        "e": ("errored", None),
        "d": ("passed", None),
        "w": ("warned", None),
        "f": ("passed", None),
    }


async def test_task_timeout_errors_that_task_only(pools: Pools) -> None:
    async def forever(ctx: RunContext) -> None:
        await anyio.sleep_forever()

    tasks = [
        Fake("slow", timeout=0.05, action=forever),
        Fake("default", action=forever),
        Fake("after", ("slow",)),
        Fake("fine"),
    ]
    run = await LocalExecutor(task_timeout=0.1).run(tasks, pools)
    assert statuses(run) == {
        "slow": ("errored", "timed out after 0.05s"),
        "default": ("errored", "timed out after 0.1s"),
        "after": ("skipped", "dependency slow errored"),
        "fine": ("passed", None),
    }
    assert run["slow"].duration_ms is not None and run["slow"].duration_ms >= 50


async def test_exception_in_one_task_does_not_sink_others(pools: Pools) -> None:
    async def boom(ctx: RunContext) -> None:
        raise ValueError("boom")

    async def query_error(ctx: RunContext) -> None:
        raise QueryError("no such table: t", source="local")

    async def silent(ctx: RunContext) -> None:
        raise RuntimeError

    tasks = [
        Fake("bad", action=boom),
        Fake("sql", action=query_error),
        Fake("silent", action=silent),
        Fake("good"),
        Fake("child", ("bad",)),
    ]
    run = await LocalExecutor().run(tasks, pools)
    assert statuses(run) == {
        "bad": ("errored", "boom"),
        "sql": ("errored", "[local] no such table: t"),
        "silent": ("errored", "RuntimeError"),
        "good": ("passed", None),
        "child": ("skipped", "dependency bad errored"),
    }
    assert not run.ok


@dataclass(frozen=True)
class Returns:
    id: str
    value: object
    depends_on: tuple[str, ...] = ()
    source: str | None = None
    timeout: float | None = None

    async def run(self, ctx: RunContext) -> RuleResult:
        return self.value  # type: ignore[return-value]


async def test_a_task_returning_the_wrong_thing_errors(pools: Pools) -> None:
    tasks = [
        Returns("none", None),
        Returns("other", RuleResult(rule_id="else", status="passed")),
    ]
    run = await LocalExecutor().run(tasks, pools)
    assert statuses(run) == {
        "none": ("errored", "task returned NoneType, not a RuleResult"),
        "other": ("errored", "task returned a result for 'else'"),
    }


async def test_timings_are_filled_unless_the_task_set_them(pools: Pools) -> None:
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    own = RuleResult(rule_id="own", status="passed", started_at=at, duration_ms=1.5)
    before = dt.datetime.now(dt.UTC)
    run = await LocalExecutor().run([Returns("own", own), Fake("plain")], pools)
    assert run["own"] == own
    plain = run["plain"]
    assert plain.started_at is not None and plain.started_at >= before
    assert plain.duration_ms is not None and plain.duration_ms >= 0


async def test_results_follow_the_given_order_not_completion(pools: Pools) -> None:
    n = 10
    done = [anyio.Event() for _ in range(n)]
    finished: list[str] = []

    def waits_for_next(i: int) -> Action:
        async def act(ctx: RunContext) -> None:
            if i + 1 < n:
                await done[i + 1].wait()  # the last task finishes first
            done[i].set()

        return act

    tasks = [Fake(f"t{i}", action=waits_for_next(i)) for i in range(n)]

    def listen(event: Event) -> None:
        if isinstance(event, TaskFinished):
            finished.append(event.result.rule_id)

    run = await LocalExecutor(max_concurrency=n, listeners=[listen]).run(tasks, pools)
    assert [r.rule_id for r in run.results] == [f"t{i}" for i in range(n)]
    assert finished == [f"t{i}" for i in reversed(range(n))]


async def test_run_timeout_returns_finished_results(pools: Pools) -> None:
    async def forever(ctx: RunContext) -> None:
        await anyio.sleep_forever()

    tasks = [
        Fake("quick"),
        Fake("stuck", action=forever),
        Fake("after", ("stuck",)),
    ]
    events: list[Event] = []
    run = await LocalExecutor(listeners=[events.append]).run(tasks, pools, timeout=0.1)
    assert statuses(run) == {
        "quick": ("passed", None),
        "stuck": ("errored", "run timed out after 0.1s"),
        "after": ("skipped", "run timed out after 0.1s"),
    }
    assert isinstance(events[-1], RunFinished) and events[-1].result == run
    finished = [e.result.rule_id for e in events if isinstance(e, TaskFinished)]
    assert sorted(finished) == ["after", "quick", "stuck"]


async def test_cancelled_run_delivers_its_partial_result(pools: Pools) -> None:
    async def forever(ctx: RunContext) -> None:
        await anyio.sleep_forever()

    finals: list[RunFinished] = []

    async def listen(event: Event) -> None:
        if isinstance(event, RunFinished):
            finals.append(event)

    executor = LocalExecutor()
    executor.subscribe(listen)
    tasks = [Fake("quick"), Fake("stuck", action=forever), Fake("after", ("stuck",))]
    with anyio.move_on_after(0.1) as scope:
        await executor.run(tasks, pools, run_id="r1")
        pytest.fail("the run should have been cancelled")
    assert scope.cancelled_caught
    [final] = finals
    assert final.run_id == "r1"
    assert statuses(final.result) == {
        "quick": ("passed", None),
        "stuck": ("errored", "run cancelled"),
        "after": ("skipped", "run cancelled"),
    }


async def test_listeners_receive_events_in_order(pools: Pools) -> None:
    sync_events: list[Event] = []
    async_events: list[Event] = []

    async def async_listener(event: Event) -> None:
        await anyio.lowlevel.checkpoint()
        async_events.append(event)

    executor = LocalExecutor(listeners=[sync_events.append])
    executor.subscribe(async_listener)
    tasks = [
        Fake("a"),
        Fake("b", ("a",)),
        Fake("bad", status=Status.FAILED),
        Fake("c", ("bad",)),
    ]
    run = await executor.run(tasks, pools, run_id="r2")
    assert async_events == sync_events
    names = [
        (
            type(e).__name__,
            getattr(e, "task_id", None)
            or getattr(getattr(e, "result", None), "rule_id", None),
        )
        for e in sync_events
    ]
    assert names[0] == ("RunStarted", None)
    assert sync_events[0] == RunStarted("r2", 4)
    assert sync_events[-1] == RunFinished("r2", run)
    assert all(e.run_id == "r2" for e in sync_events)
    pos = {n: i for i, n in enumerate(names)}
    assert pos[("TaskStarted", "a")] < pos[("TaskFinished", "a")]
    assert pos[("TaskFinished", "a")] < pos[("TaskStarted", "b")]
    assert pos[("TaskFinished", "bad")] < pos[("TaskFinished", "c")]
    assert ("TaskStarted", "c") not in pos  # skipped tasks never start
    assert sum(isinstance(e, TaskFinished) for e in sync_events) == 4
    assert sum(isinstance(e, TaskStarted) for e in sync_events) == 3


async def test_a_raising_listener_is_logged_and_the_run_goes_on(
    pools: Pools,
) -> None:
    seen: list[Event] = []

    def broken(event: Event) -> None:
        raise RuntimeError("listener broke")

    out = io.StringIO()
    configure_logging(format="json", level="WARNING", stream=out)
    try:
        executor = LocalExecutor(listeners=[broken])
        stop = executor.subscribe(seen.append)
        run = await executor.run([Fake("a")], pools)
        stop()
        await executor.run([Fake("a")], pools)
    finally:
        configure_logging(level="WARNING")
    assert run.counts == {"passed": 1}
    assert len(seen) == 4  # the second run came after unsubscribing
    assert '"event": "listener_failed"' in out.getvalue()
    assert "RuntimeError: listener broke" in out.getvalue()


@dataclass(frozen=True)
class Query:
    id: str
    sql: str
    expect: object = None
    depends_on: tuple[str, ...] = ()
    source: str | None = "local"
    timeout: float | None = None

    async def run(self, ctx: RunContext) -> RuleResult:
        pool = await ctx.pools.get("local")
        value = await pool.scalar(self.sql)
        ok = self.expect is None or value == self.expect
        return RuleResult(
            rule_id=self.id,
            status=Status.PASSED if ok else Status.FAILED,
            source="local",
            sql=(self.sql,),
        )


async def test_tasks_run_real_queries_on_duckdb(pools: Pools) -> None:
    table = "sched_real_t"
    tasks = [
        Query(
            "load",
            f"create or replace table {table} as select range as i from range(10)",
        ),
        Query("count", f"select count(*) from {table}", 10, ("load",)),
        Query("sum", f"select sum(i) from {table}", 46, ("load",)),
        Query("bad", "select * from no_such_table_sched"),
        Query("after_sum", "select 1", 1, ("sum",)),
        Query("after_bad", "select 1", 1, ("bad",)),
        Query("drop", f"drop table {table}", None, ("count", "sum")),
    ]
    run = await LocalExecutor().run(tasks, pools)
    got = statuses(run)
    assert got["load"] == ("passed", None)
    assert got["count"] == ("passed", None)
    assert got["sum"] == ("failed", None)  # 0+...+9 is 45
    assert got["after_sum"] == ("skipped", "dependency sum failed")
    assert got["bad"][0] == "errored"
    assert "no_such_table_sched" in (got["bad"][1] or "")
    assert got["after_bad"] == ("skipped", "dependency bad errored")
    assert got["drop"] == ("skipped", "dependency sum failed")
    await (await pools.get("local")).execute(f"drop table {table}")


async def test_ten_thousand_tasks_in_chains_and_fan_out(pools: Pools) -> None:
    tasks = [Fake("root")]
    ends = []
    for c in range(99):  # fan-out to 99 chains, then fan-in to one sink
        length = 100 if c == 98 else 101
        source = "local" if c % 2 else None
        tasks.append(Fake(f"c{c}_0", ("root",), source=source))
        tasks.extend(
            Fake(f"c{c}_{k}", (f"c{c}_{k - 1}",), source=source)
            for k in range(1, length)
        )
        ends.append(tasks[-1].id)
    tasks.append(Fake("sink", tuple(ends)))
    assert len(tasks) == 10_000
    run = await LocalExecutor().run(tasks, pools)
    assert run.counts == {"passed": 10_000}
    assert [r.rule_id for r in run.results] == [t.id for t in tasks]
