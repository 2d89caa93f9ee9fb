"""Executors: run a DAG of tasks; the local one on anyio, in this process."""

from __future__ import annotations

import datetime as dt
import enum
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import anyio
import anyio.lowlevel

from sqltest_core.errors import ConfigError
from sqltest_core.results import RuleResult, RunResult, Status
from sqltest_core.scheduler._dag import Graph, RunContext, Task, build_graph
from sqltest_core.scheduler._events import (
    Event,
    Listener,
    RunFinished,
    RunStarted,
    TaskFinished,
    TaskStarted,
    emit,
)

if TYPE_CHECKING:
    from sqltest_core.connectors import Pools

__all__ = ["Executor", "LocalExecutor"]

OnFailure = Literal["skip", "run"]

_YIELD_EVERY = 32
_PASSING = frozenset({Status.PASSED, Status.WARNED})
_VERBS = {
    Status.FAILED: "failed",
    Status.ERRORED: "errored",
    Status.SKIPPED: "was skipped",
}


@runtime_checkable
class Executor(Protocol):
    """Runs tasks in dependency order and gathers their results.

    :class:`LocalExecutor` runs them in this process; a distributed executor
    implements the same two methods.
    """

    async def run(
        self,
        tasks: Sequence[Task],
        pools: Pools,
        *,
        run_id: str | None = None,
        timeout: float | None = None,
    ) -> RunResult:
        """Run ``tasks``; return one result per task, in the order given."""
        ...

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Send every later event to ``listener``; call the return to stop."""
        ...


class LocalExecutor:
    """Runs tasks concurrently on anyio, each as soon as its dependencies finish.

    Args:
        max_concurrency: Tasks executing at once, over all data sources. Each
            data source further allows at most its pool's ``max_size``.
        on_failure: What happens to the dependents of a task that did not pass
            (failed, errored or was skipped; warned counts as passed): ``"skip"``
            them with the reason, or ``"run"`` them anyway.
        task_timeout: Seconds a task may take when it names no ``timeout``.
        listeners: Receive every progress event; see :meth:`subscribe`.
        max_batch: Most tasks run together in one batch (see
            :class:`~sqltest_core.scheduler.BatchTask`); 1 turns batching off.
    """

    def __init__(
        self,
        *,
        max_concurrency: int = 8,
        on_failure: OnFailure = "skip",
        task_timeout: float | None = None,
        listeners: Sequence[Listener] = (),
        max_batch: int = 256,
    ) -> None:
        if max_concurrency < 1:
            raise ConfigError(f"max_concurrency must be >= 1, not {max_concurrency}")
        if max_batch < 1:
            raise ConfigError(f"max_batch must be >= 1, not {max_batch}")
        if on_failure not in ("skip", "run"):
            raise ConfigError(f"on_failure must be 'skip' or 'run', not {on_failure!r}")
        self.max_concurrency = max_concurrency
        self.on_failure: OnFailure = on_failure
        self.task_timeout = task_timeout
        self.max_batch = max_batch
        self._listeners: list[Listener] = list(listeners)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Send every later event to ``listener`` (a plain or ``async`` callable).

        Listeners run inline, in subscription order, so keep them quick; one that
        raises is logged and the run goes on. Returns a function unsubscribing it.
        """
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    async def run(
        self,
        tasks: Sequence[Task],
        pools: Pools,
        *,
        run_id: str | None = None,
        timeout: float | None = None,
    ) -> RunResult:
        """Run ``tasks``; return one result per task, in the order given.

        A task's exception or timeout becomes an ``errored`` result. When the
        run's own ``timeout`` passes, tasks in flight are cancelled (their queries
        with them) and end ``errored``, tasks not started end ``skipped``, both
        with the reason ``run timed out after <timeout>s``, and the run returns
        normally. Cancelled from outside, the run delivers the same partial
        result (reason ``run cancelled``) through :class:`RunFinished` and lets
        the cancellation propagate.

        Raises:
            RuleDefinitionError: Duplicate ids or an unknown dependency.
            DependencyCycleError: The dependencies form a cycle.
        """
        graph = build_graph(tasks)
        state = _Run(self, list(tasks), graph, pools, run_id or uuid.uuid4().hex)
        return await state.execute(timeout)


class _State(enum.Enum):
    PENDING = enum.auto()
    RUNNING = enum.auto()
    DONE = enum.auto()


class _Run:
    """The book-keeping of one run; every change happens between awaits."""

    def __init__(
        self,
        executor: LocalExecutor,
        tasks: list[Task],
        graph: Graph,
        pools: Pools,
        run_id: str,
    ) -> None:
        self.tasks = tasks
        self.graph = graph
        self.run_id = run_id
        self.listeners = list(executor._listeners)  # a run keeps its listener set
        self.skip_dependents = executor.on_failure == "skip"
        self.default_timeout = executor.task_timeout
        self.max_batch = executor.max_batch
        self.groups = [_group_key(task) for task in tasks]
        self.workers = min(executor.max_concurrency, len(tasks))
        self.ctx = RunContext(pools=pools, run_id=run_id, emit=self._emit)
        self.results: list[RuleResult | None] = [None] * len(tasks)
        self.state = [_State.PENDING] * len(tasks)
        self.waiting = [len(d) for d in graph.deps]
        self.done = 0
        # Ready tasks queue per data source; dict order rotates for fairness.
        # A batch group has one entry there (its first ready task) standing for
        # all its ready tasks, which wait in ``batches``.
        self.ready: dict[str | None, deque[int]] = {}
        self.batches: dict[tuple[str | None, Hashable], deque[int]] = {}
        self.limits = {
            name: source.pool.max_size for name, source in pools.sources.items()
        }
        self.busy: dict[str | None, int] = {}
        self.wakeup = anyio.Event()

    async def _emit(self, event: Event) -> None:
        if self.listeners:
            await emit(self.listeners, event)

    async def execute(self, timeout: float | None) -> RunResult:
        started_at = _now()
        await self._emit(RunStarted(self.run_id, len(self.tasks)))
        for i in self.graph.layers[0] if self.graph.layers else ():
            self._enqueue(i)
        try:
            with anyio.move_on_after(timeout) as scope:
                async with anyio.create_task_group() as tg:
                    for _ in range(self.workers):
                        tg.start_soon(self._worker)
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await self._finish_run(started_at, "run cancelled")
            raise
        reason = f"run timed out after {timeout:g}s" if scope.cancelled_caught else ""
        return await self._finish_run(started_at, reason)

    async def _finish_run(self, started_at: dt.datetime, reason: str) -> RunResult:
        cut_short: list[RuleResult] = []
        for i, result in enumerate(self.results):
            if result is None:  # only when the run was cut short
                task = self.tasks[i]
                status = (
                    Status.ERRORED
                    if self.state[i] is _State.RUNNING
                    else Status.SKIPPED
                )
                result = _result(task, status=status, reason=reason)
                self.results[i] = result
                cut_short.append(result)
        for result in cut_short:
            await self._emit(TaskFinished(self.run_id, result))
        run = RunResult(
            run_id=self.run_id,
            started_at=started_at,
            finished_at=_now(),
            results=tuple(r for r in self.results if r is not None),
        )
        await self._emit(RunFinished(self.run_id, run))
        return run

    # -- scheduling (synchronous between awaits, so no locks) --------------------

    def _enqueue(self, i: int) -> None:
        key = self.tasks[i].source
        group = self.groups[i]
        if group is not None:
            members = self.batches.get((key, group))
            if members is not None:  # the group is already queued
                members.append(i)
                return
            self.batches[key, group] = deque((i,))
        queue = self.ready.get(key)
        if queue is None:
            self.ready[key] = queue = deque()
        queue.append(i)

    def _take(self) -> list[int] | None:
        """The next ready batch whose data source has a free slot, if any.

        A batch is one task, or every ready task of its group (up to
        ``max_batch``), taken together to share one slot and one call.
        """
        for key in self.ready:
            busy = self.busy.get(key, 0)
            limit = self.limits.get(key) if key is not None else None
            if limit is not None and busy >= limit:
                continue
            queue = self.ready.pop(key)
            i = queue.popleft()
            batch = [i]
            group = self.groups[i]
            if group is not None:
                members = self.batches.pop((key, group))
                size = min(len(members), self.max_batch)
                batch = [members.popleft() for _ in range(size)]
                if members:  # the rest queue again, behind the others
                    self.batches[key, group] = members
                    queue.append(members[0])
            if queue:
                self.ready[key] = queue  # to the back: the next source goes first
            self.busy[key] = busy + 1
            for j in batch:
                self.state[j] = _State.RUNNING
            return batch
        return None

    def _wake_all(self) -> None:
        self.wakeup.set()
        self.wakeup = anyio.Event()

    async def _worker(self) -> None:
        # A fixed set of workers pulls ready tasks: no task spawned per rule, and
        # a chain runs on one worker without a context switch between links.
        since_yield = 0
        while True:
            batch = self._take()
            if batch is None:
                if self.done == len(self.tasks):
                    return
                await self.wakeup.wait()
                continue
            await self._run_batch(batch)
            since_yield += 1
            if since_yield >= _YIELD_EVERY:
                # Tasks that never suspend would otherwise starve the other
                # workers and keep a run timeout from firing.
                since_yield = 0
                await anyio.lowlevel.checkpoint()

    def _resolve(self, finished: int) -> list[RuleResult]:
        """Release ``finished``'s dependents; return the results of those skipped."""
        skipped: list[RuleResult] = []
        work = [finished]
        while work:  # a worklist, not recursion: chains may be long
            parent = work.pop()
            for child in self.graph.dependents[parent]:
                self.waiting[child] -= 1
                if self.waiting[child]:
                    continue
                reason = self._skip_reason(child) if self.skip_dependents else None
                if reason is None:
                    self._enqueue(child)
                    continue
                task = self.tasks[child]
                result = _result(task, status=Status.SKIPPED, reason=reason)
                self.results[child] = result
                self.state[child] = _State.DONE
                self.done += 1
                skipped.append(result)
                work.append(child)
        return skipped

    def _skip_reason(self, i: int) -> str | None:
        # The first non-passing dependency in declared order: stable whatever
        # order the dependencies finished in.
        for dep in self.graph.deps[i]:
            result = self.results[dep]
            assert result is not None
            if result.status not in _PASSING:
                return f"dependency {self.graph.ids[dep]} {_VERBS[result.status]}"
        return None

    # -- one batch (usually of one task) ------------------------------------------

    async def _run_batch(self, batch: list[int]) -> None:
        tasks = [self.tasks[i] for i in batch]
        if self.listeners:
            for task in tasks:
                await emit(self.listeners, TaskStarted(self.run_id, task.id))
        results = await self._call(tasks)
        for i, result in zip(batch, results, strict=True):
            self.results[i] = result
            self.state[i] = _State.DONE
        self.done += len(batch)
        if self.listeners:  # before any dependent starts
            for result in results:
                await emit(self.listeners, TaskFinished(self.run_id, result))
        self.busy[tasks[0].source] -= 1
        skipped: list[RuleResult] = []
        for i in batch:
            skipped.extend(self._resolve(i))
        if self.ready or self.done == len(self.tasks):
            self._wake_all()
        for other in skipped:
            await self._emit(TaskFinished(self.run_id, other))

    def _timeout_of(self, tasks: list[Task]) -> float | None:
        if len(tasks) == 1:
            timeout = tasks[0].timeout
            return timeout if timeout is not None else self.default_timeout
        # A batch stops at the shortest deadline of its members: none of them
        # may run longer than it allows.
        limits = [
            t.timeout if t.timeout is not None else self.default_timeout for t in tasks
        ]
        given = [limit for limit in limits if limit is not None]
        return min(given) if given else None

    async def _call(self, tasks: list[Task]) -> list[RuleResult]:
        timeout = self._timeout_of(tasks)
        started_at = _now()
        start = time.perf_counter()
        outcome: object = None
        reason: str | None = None
        try:
            await anyio.lowlevel.checkpoint_if_cancelled()
            if timeout is None:  # a cancel scope per call costs; skip it if unused
                outcome = await self._invoke(tasks)
            else:
                with anyio.move_on_after(timeout) as scope:
                    outcome = await self._invoke(tasks)
                if scope.cancelled_caught:
                    reason = f"timed out after {timeout:g}s"
        except Exception as exc:  # a broken task is a result, never a crash
            reason = str(exc) or type(exc).__name__
        duration_ms = (time.perf_counter() - start) * 1000
        if reason is None:
            reason = _wrong_count(tasks, outcome)
        if reason is not None:
            return [_errored(task, reason, started_at, duration_ms) for task in tasks]
        assert isinstance(outcome, list | tuple)
        results: list[RuleResult] = []
        for task, result in zip(tasks, outcome, strict=True):
            misfit = _misfit(task, result)
            if misfit is not None:
                results.append(_errored(task, misfit, started_at, duration_ms))
                continue
            assert isinstance(result, RuleResult)
            if result.started_at is None or result.duration_ms is None:
                result = result.model_copy(
                    update={
                        "started_at": result.started_at or started_at,
                        "duration_ms": (
                            duration_ms
                            if result.duration_ms is None
                            else result.duration_ms
                        ),
                    }
                )
            results.append(result)
        return results

    def _invoke(self, tasks: list[Task]) -> Awaitable[object]:
        if len(tasks) == 1:
            return _listed(tasks[0].run(self.ctx))
        runner: Any = tasks[0]  # its group guarantees it is a BatchTask
        batch: Awaitable[object] = runner.run_batch(tasks, self.ctx)
        return batch


async def _listed(result: Awaitable[RuleResult]) -> list[RuleResult]:
    return [await result]


def _group_key(task: Task) -> Hashable | None:
    """Tasks of one source with equal group keys may run as one batch."""
    key = getattr(task, "batch_key", None)
    if key is None or not callable(getattr(task, "run_batch", None)):
        return None
    # The type is part of the key: only tasks sharing a run_batch batch together.
    return (type(task), key)


def _wrong_count(tasks: list[Task], outcome: object) -> str | None:
    if not isinstance(outcome, list | tuple):
        return f"batch returned {type(outcome).__name__}, not a list of results"
    if len(outcome) != len(tasks):
        return f"batch returned {len(outcome)} results for {len(tasks)} tasks"
    return None


def _errored(
    task: Task, reason: str, started_at: dt.datetime, duration_ms: float
) -> RuleResult:
    return _result(
        task,
        status=Status.ERRORED,
        reason=reason,
        started_at=started_at,
        duration_ms=duration_ms,
    )


def _result(task: Task, **fields: Any) -> RuleResult:
    """The result of a task that did not run to its end.

    A task may describe itself with a ``result_fields`` mapping (kind, table,
    severity, ...), so a skipped or errored rule still shows what it checks.
    """
    described = dict(getattr(task, "result_fields", None) or {})
    return RuleResult(rule_id=task.id, source=task.source, **{**described, **fields})


def _misfit(task: Task, result: object) -> str | None:
    if not isinstance(result, RuleResult):
        return f"task returned {type(result).__name__}, not a RuleResult"
    if result.rule_id != task.id:
        return f"task returned a result for {result.rule_id!r}"
    return None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
