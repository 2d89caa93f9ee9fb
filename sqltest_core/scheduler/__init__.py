"""The scheduler: runs a DAG of tasks, as concurrently as dependencies allow.

A :class:`Task` is anything with an ``id``, ``depends_on``, ``source``,
``timeout`` and an ``async run(ctx)`` returning a
:class:`~sqltest_core.results.RuleResult`; the rules engine builds them. An
:class:`Executor` runs them: :class:`LocalExecutor` in this process on anyio; a
distributed executor implements the same Protocol. Tasks that are
:class:`BatchTask` and ready together run in one call: :func:`run_rules` uses
that to check rules of one table in one fused scan. Progress events go to plain
or async listeners.
"""

from __future__ import annotations

from sqltest_core.scheduler._dag import BatchTask, RunContext, Task, plan
from sqltest_core.scheduler._events import (
    Event,
    Listener,
    RunFinished,
    RunStarted,
    TaskFinished,
    TaskStarted,
)
from sqltest_core.scheduler._executor import Executor, LocalExecutor
from sqltest_core.scheduler._rules import RuleTask, run_rules

__all__ = [
    "BatchTask",
    "Event",
    "Executor",
    "Listener",
    "LocalExecutor",
    "RuleTask",
    "RunContext",
    "RunFinished",
    "RunStarted",
    "Task",
    "TaskFinished",
    "TaskStarted",
    "plan",
    "run_rules",
]
