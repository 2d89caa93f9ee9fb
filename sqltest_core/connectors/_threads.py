"""Run blocking driver calls in worker threads without blocking the event loop.

Cancelling the awaiting task interrupts the call and then waits, shielded, for the
thread to return, so the driver connection is never used by two threads at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

__all__ = ["run_interruptible"]

T = TypeVar("T")


async def run_interruptible(
    func: Callable[[], T],
    *,
    interrupt: Callable[[], object] | None = None,
    limiter: anyio.CapacityLimiter | None = None,
    repeat_every: float = 0.005,
) -> T:
    """Call ``func()`` in a worker thread; on cancellation interrupt it.

    ``interrupt()`` runs on the event loop, every ``repeat_every`` seconds until
    ``func`` returns; it must be harmless when nothing is running.
    """
    done = threading.Event()
    lock = threading.Lock()
    state = {"started": False, "abandoned": False}

    def call() -> T:
        with lock:
            if state["abandoned"]:  # cancelled before it started: never run it
                raise anyio.get_cancelled_exc_class()
            state["started"] = True
        try:
            return func()
        finally:
            done.set()

    try:
        return await anyio.to_thread.run_sync(
            call, abandon_on_cancel=True, limiter=limiter
        )
    except anyio.get_cancelled_exc_class():
        with lock:
            # Cancelled while waiting for a thread (the limiter was full):
            # nothing runs, so there is nothing to interrupt or wait for.
            state["abandoned"] = not state["started"]
        if state["abandoned"]:
            raise
        with anyio.CancelScope(shield=True):
            # An interrupt that lands before the driver starts the statement
            # (or between two of its steps) is lost, so repeat it until the call
            # returns. Poll rather than take another worker thread: the thread
            # pool may be full of exactly such calls.
            while not done.is_set():
                if interrupt is not None:
                    interrupt()
                await anyio.sleep(repeat_every)
        raise
