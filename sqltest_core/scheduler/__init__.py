"""The scheduler: runs a DAG of tasks, as concurrently as dependencies allow.

A :class:`Task` is anything with an ``id``, ``depends_on``, ``source``,
``timeout`` and an ``async run(ctx)`` returning a
:class:`~sqltest_core.results.RuleResult`; the rules engine builds them. An
:class:`Executor` runs them: :class:`LocalExecutor` in this process on anyio; a
distributed executor implements the same Protocol. Progress events go to plain
or async listeners.
"""

from __future__ import annotations

from sqltest_core.scheduler._dag import RunContext, Task, plan
from sqltest_core.scheduler._events import (
    Event,
    Listener,
    RunFinished,
    RunStarted,
    TaskFinished,
    TaskStarted,
)
from sqltest_core.scheduler._executor import Executor, LocalExecutor

__all__ = [
    "Event",
    "Executor",
    "Listener",
    "LocalExecutor",
    "RunContext",
    "RunFinished",
    "RunStarted",
    "Task",
    "TaskFinished",
    "TaskStarted",
    "plan",
]
