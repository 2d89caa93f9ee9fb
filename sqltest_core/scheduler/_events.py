"""Progress events a run emits, and the listeners that receive them."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from sqltest_core._logging import get_logger
from sqltest_core.results import RuleResult, RunResult

__all__ = [
    "Event",
    "Listener",
    "RunFinished",
    "RunStarted",
    "TaskFinished",
    "TaskStarted",
]

_log = get_logger("sqltest_core.scheduler")


@dataclass(frozen=True, slots=True)
class RunStarted:
    """A run began; ``total`` tasks will each get one :class:`TaskFinished`."""

    run_id: str
    total: int


@dataclass(frozen=True, slots=True)
class TaskStarted:
    """A task began executing (skipped tasks never start)."""

    run_id: str
    task_id: str


@dataclass(frozen=True, slots=True)
class TaskFinished:
    """A task has its result: run, errored, timed out or skipped."""

    run_id: str
    result: RuleResult


@dataclass(frozen=True, slots=True)
class RunFinished:
    """A run ended; ``result`` is what the run returns (or the partial result
    of a run cancelled from outside)."""

    run_id: str
    result: RunResult


Event: TypeAlias = RunStarted | TaskStarted | TaskFinished | RunFinished
Listener: TypeAlias = Callable[[Event], Awaitable[None] | None]
"""A plain or ``async`` callable taking one event."""


async def emit(listeners: Sequence[Listener], event: Event) -> None:
    """Deliver ``event`` to each listener in turn; a listener's error is logged."""
    for listener in listeners:
        try:
            outcome = listener(event)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception as exc:  # a broken progress bar must not break the run
            _log.warning(
                "listener_failed",
                listener=getattr(listener, "__qualname__", repr(listener)),
                event_type=type(event).__name__,
                error=f"{type(exc).__name__}: {exc}",
            )
