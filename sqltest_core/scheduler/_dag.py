"""Tasks, their dependency graph, and its validation (linear time, no recursion)."""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from sqltest_core.errors import DependencyCycleError, RuleDefinitionError

if TYPE_CHECKING:
    from sqltest_core.connectors import Pools
    from sqltest_core.results import RuleResult
    from sqltest_core.scheduler._events import Event

__all__ = ["BatchTask", "RunContext", "Task", "plan"]


async def _ignore(_event: Event) -> None:
    return None


@dataclass(frozen=True, slots=True)
class RunContext:
    """What every task of one run shares.

    Attributes:
        pools: The data sources' pools, opened on first use.
        run_id: Identifier of the run, also carried by its events.
        emit: Sends an event to the run's listeners.
    """

    pools: Pools
    run_id: str
    emit: Callable[[Event], Awaitable[None]] = field(default=_ignore)


@runtime_checkable
class Task(Protocol):
    """One unit of work the scheduler runs: a rule, a test, a fused scan.

    Any object with these attributes fits, a frozen dataclass for instance.
    """

    @property
    def id(self) -> str:
        """Unique within a run; it becomes the result's ``rule_id``."""

    @property
    def depends_on(self) -> tuple[str, ...]:
        """Ids of the tasks that must finish first."""

    @property
    def source(self) -> str | None:
        """Data source it queries, which bounds its concurrency; None for none."""

    @property
    def timeout(self) -> float | None:
        """Seconds it may take; None for the executor's default."""

    async def run(self, ctx: RunContext) -> RuleResult:
        """Do the work and return its result (a failure is a result, not a raise)."""


@runtime_checkable
class BatchTask(Task, Protocol):
    """A task that can run together with others of its kind, in one call.

    When a worker takes a ready task with a ``batch_key``, it also takes the
    other ready tasks of the same type, data source and key (up to the
    executor's ``max_batch``) and runs them with one ``run_batch`` call: for
    rules, one fused scan of a table. Dependencies still hold, since a task is
    ready only once all its dependencies have finished.
    """

    @property
    def batch_key(self) -> Hashable | None:
        """Tasks with equal keys may share a call; None never batches."""

    async def run_batch(
        self, tasks: Sequence[BatchTask], ctx: RunContext
    ) -> list[RuleResult]:
        """Run ``tasks`` (``self`` among them); one result each, in their order."""


@dataclass(slots=True)
class Graph:
    """Tasks by position, with dependency edges as positions."""

    ids: list[str]
    deps: list[tuple[int, ...]]
    dependents: list[list[int]]
    layers: list[list[int]] = field(default_factory=list)


def build_graph(tasks: Sequence[Task]) -> Graph:
    """Validate ``tasks`` (unique ids, known dependencies, no cycle) and index them."""
    index: dict[str, int] = {}
    ids: list[str] = []
    for position, task in enumerate(tasks):
        if task.id in index:
            raise RuleDefinitionError(f"duplicate rule id {task.id!r}")
        index[task.id] = position
        ids.append(task.id)
    deps: list[tuple[int, ...]] = []
    dependents: list[list[int]] = [[] for _ in ids]
    for position, task in enumerate(tasks):
        mine: list[int] = []
        for dep in dict.fromkeys(task.depends_on):  # repeats mean nothing more
            parent = index.get(dep)
            if parent is None:
                close = difflib.get_close_matches(dep, ids, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise RuleDefinitionError(
                    f"rule {task.id!r} depends on unknown rule {dep!r}{hint}"
                )
            mine.append(parent)
            dependents[parent].append(position)
        deps.append(tuple(mine))
    graph = Graph(ids, deps, dependents)
    graph.layers = _layers(graph)  # raises on a cycle
    return graph


def _layers(graph: Graph) -> list[list[int]]:
    # Kahn's algorithm, one level at a time.
    waiting = [len(d) for d in graph.deps]
    layer = [i for i, n in enumerate(waiting) if n == 0]
    layers: list[list[int]] = []
    placed = 0
    while layer:
        layers.append(layer)
        placed += len(layer)
        following: list[int] = []
        for i in layer:
            for child in graph.dependents[i]:
                waiting[child] -= 1
                if waiting[child] == 0:
                    following.append(child)
        layer = sorted(following)
    if placed < len(graph.ids):
        raise DependencyCycleError(_find_cycle(graph, waiting))
    return layers


def _find_cycle(graph: Graph, waiting: list[int]) -> list[str]:
    # Every task Kahn could not place waits on at least one other unplaced task,
    # so following such dependencies from any of them must revisit a task.
    start = next(i for i, n in enumerate(waiting) if n > 0)
    seen: dict[int, int] = {}
    path: list[int] = []
    node = start
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = next(d for d in graph.deps[node] if waiting[d] > 0)
    cycle = path[seen[node] :]
    first = cycle.index(min(cycle))  # start at the earliest task given: stable text
    cycle = cycle[first:] + cycle[:first]
    return [graph.ids[i] for i in [*cycle, cycle[0]]]


def plan(tasks: Sequence[Task]) -> list[list[str]]:
    """Validate a DAG of tasks and group them into levels.

    Each level holds the tasks whose dependencies all sit in earlier levels, in
    the order given. ``a -> b`` in a cycle error means ``a`` depends on ``b``.

    Raises:
        RuleDefinitionError: Two tasks share an id, or a task depends on an
            unknown id (the message suggests the closest known one).
        DependencyCycleError: Dependencies form a cycle; ``cycle`` lists it.

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class T:
    ...     id: str
    ...     depends_on: tuple[str, ...] = ()
    >>> plan([T("load"), T("check", ("load",)), T("other")])
    [['load', 'other'], ['check']]
    """
    graph = build_graph(tasks)
    return [[graph.ids[i] for i in layer] for layer in graph.layers]
