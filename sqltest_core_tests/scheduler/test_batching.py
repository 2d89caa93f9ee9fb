"""Batching in LocalExecutor: ready tasks sharing a key run in one call."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import anyio
import pytest

from sqltest_core.connectors import Pools
from sqltest_core.errors import ConfigError
from sqltest_core.results import RuleResult, RunResult, Status
from sqltest_core.scheduler import (
    BatchTask,
    Event,
    LocalExecutor,
    RunContext,
    TaskFinished,
    TaskStarted,
)


@dataclass
class Calls:
    batches: list[list[str]] = field(default_factory=list)


@dataclass(frozen=True)
class Batched:
    id: str
    calls: Calls
    depends_on: tuple[str, ...] = ()
    key: str | None = "t"
    source: str | None = None
    timeout: float | None = None
    status: Status = Status.PASSED
    broken: bool = False  # run_batch raises when this task leads the batch
    answer: str = "ok"  # "short", "not_list", "wrong_id": malformed batch results

    @property
    def batch_key(self) -> Hashable | None:
        return self.key

    async def run(self, ctx: RunContext) -> RuleResult:
        return (await self.run_batch([self], ctx))[0]

    async def run_batch(
        self, tasks: Sequence[BatchTask], ctx: RunContext
    ) -> list[RuleResult]:
        mine = [t for t in tasks if isinstance(t, Batched)]
        self.calls.batches.append([t.id for t in mine])
        if self.timeout is not None:
            await anyio.sleep(self.timeout * 10)
        if any(t.broken for t in mine):
            raise RuntimeError("scan broke")
        results = [RuleResult(rule_id=t.id, status=t.status) for t in mine]
        if any(t.answer == "short" for t in mine):
            return results[:-1]
        if any(t.answer == "not_list" for t in mine):
            return None  # type: ignore[return-value]
        return [
            r.model_copy(update={"rule_id": "other"}) if t.answer == "wrong_id" else r
            for t, r in zip(mine, results, strict=True)
        ]


def statuses(run: RunResult) -> list[tuple[str, str, str | None]]:
    return [(r.rule_id, r.status.value, r.reason) for r in run.results]


def test_batched_fits_the_protocol() -> None:
    assert isinstance(Batched("a", Calls()), BatchTask)


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="max_batch must be >= 1, not 0"):
        LocalExecutor(max_batch=0)


async def test_ready_tasks_with_one_key_run_in_one_call(pools: Pools) -> None:
    calls = Calls()
    tasks = [Batched(f"r{i}", calls) for i in range(50)]
    run = await LocalExecutor().run(tasks, pools)
    assert calls.batches == [[f"r{i}" for i in range(50)]]
    assert [r.rule_id for r in run.results] == [f"r{i}" for i in range(50)]
    assert run.counts == {"passed": 50}
    assert all(r.duration_ms is not None for r in run.results)


async def test_batches_are_bounded_by_max_batch(pools: Pools) -> None:
    calls = Calls()
    tasks = [Batched(f"r{i}", calls) for i in range(10)]
    await LocalExecutor(max_batch=4, max_concurrency=1).run(tasks, pools)
    assert calls.batches == [
        ["r0", "r1", "r2", "r3"],
        ["r4", "r5", "r6", "r7"],
        ["r8", "r9"],
    ]


async def test_max_batch_one_turns_batching_off(pools: Pools) -> None:
    calls = Calls()
    tasks = [Batched(f"r{i}", calls) for i in range(3)]
    await LocalExecutor(max_batch=1, max_concurrency=1).run(tasks, pools)
    assert calls.batches == [["r0"], ["r1"], ["r2"]]


async def test_keys_and_sources_separate_batches(pools: Pools) -> None:
    calls = Calls()
    tasks = [
        Batched("a1", calls, key="a"),
        Batched("b1", calls, key="b"),
        Batched("a2", calls, key="a"),
        Batched("l1", calls, key="a", source="local"),
        Batched("n1", calls, key=None),
        Batched("n2", calls, key=None),
        Batched("b2", calls, key="b"),
    ]
    run = await LocalExecutor(max_concurrency=1).run(tasks, pools)
    assert sorted(calls.batches) == [["a1", "a2"], ["b1", "b2"], ["l1"], ["n1"], ["n2"]]
    assert run.counts == {"passed": 7}


async def test_a_dependent_runs_in_a_later_batch(pools: Pools) -> None:
    calls = Calls()
    tasks = [
        Batched("a", calls),
        Batched("b", calls, ("a",)),
        Batched("c", calls),
        Batched("d", calls, ("b", "c")),
        Batched("e", calls, ("a",)),
    ]
    await LocalExecutor().run(tasks, pools)
    assert calls.batches == [["a", "c"], ["b", "e"], ["d"]]


async def test_dependents_of_a_failed_batch_member_are_skipped(pools: Pools) -> None:
    calls = Calls()
    tasks = [
        Batched("a", calls, status=Status.FAILED),
        Batched("b", calls),
        Batched("after_a", calls, ("a",)),
        Batched("after_b", calls, ("b",)),
    ]
    run = await LocalExecutor().run(tasks, pools)
    assert calls.batches == [["a", "b"], ["after_b"]]
    assert statuses(run) == [
        ("a", "failed", None),
        ("b", "passed", None),
        ("after_a", "skipped", "dependency a failed"),
        ("after_b", "passed", None),
    ]


async def test_a_raising_batch_errors_all_its_tasks(pools: Pools) -> None:
    calls = Calls()
    tasks = [
        Batched("a", calls, key="x", broken=True),
        Batched("b", calls, key="x"),
        Batched("c", calls, key="y"),
        Batched("after", calls, ("b",), key="y"),
    ]
    run = await LocalExecutor(max_concurrency=1).run(tasks, pools)
    assert statuses(run) == [
        ("a", "errored", "scan broke"),
        ("b", "errored", "scan broke"),
        ("c", "passed", None),
        ("after", "skipped", "dependency b errored"),
    ]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("short", "batch returned 1 results for 2 tasks"),
        ("not_list", "batch returned NoneType, not a list of results"),
    ],
)
async def test_a_malformed_batch_answer_errors_the_batch(
    pools: Pools, answer: str, reason: str
) -> None:
    calls = Calls()
    tasks = [Batched("a", calls, answer=answer), Batched("b", calls)]
    run = await LocalExecutor().run(tasks, pools)
    assert statuses(run) == [("a", "errored", reason), ("b", "errored", reason)]


async def test_a_result_for_another_id_errors_only_that_task(pools: Pools) -> None:
    calls = Calls()
    tasks = [Batched("a", calls, answer="wrong_id"), Batched("b", calls)]
    run = await LocalExecutor().run(tasks, pools)
    assert statuses(run) == [
        ("a", "errored", "task returned a result for 'other'"),
        ("b", "passed", None),
    ]


async def test_a_batch_stops_at_its_shortest_timeout(pools: Pools) -> None:
    calls = Calls()
    tasks = [Batched("a", calls, timeout=0.05), Batched("b", calls, timeout=60)]
    run = await LocalExecutor().run(tasks, pools)
    reason = "timed out after 0.05s"
    assert statuses(run) == [("a", "errored", reason), ("b", "errored", reason)]


async def test_every_task_of_a_batch_gets_its_events(pools: Pools) -> None:
    calls = Calls()
    events: list[Event] = []
    tasks = [Batched("a", calls), Batched("b", calls), Batched("c", calls, ("a",))]
    await LocalExecutor(listeners=[events.append]).run(tasks, pools)
    seen = [
        (
            type(e).__name__,
            e.task_id if isinstance(e, TaskStarted) else e.result.rule_id,
        )
        for e in events
        if isinstance(e, TaskStarted | TaskFinished)
    ]
    assert seen == [
        ("TaskStarted", "a"),
        ("TaskStarted", "b"),
        ("TaskFinished", "a"),
        ("TaskFinished", "b"),
        ("TaskStarted", "c"),
        ("TaskFinished", "c"),
    ]
