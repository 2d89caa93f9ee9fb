"""Run blocking driver calls in worker threads without blocking the event loop.

Cancelling the awaiting task interrupts the call (``interrupt`` runs on the event
loop thread) and then waits, shielded, for the thread to return, so the driver
connection is never used by two threads at once.
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
) -> T:
    """Call ``func()`` in a worker thread; on cancellation call ``interrupt()``."""
    done = threading.Event()

    def call() -> T:
        try:
            return func()
        finally:
            done.set()

    try:
        return await anyio.to_thread.run_sync(
            call, abandon_on_cancel=True, limiter=limiter
        )
    except anyio.get_cancelled_exc_class():
        if not done.is_set():
            if interrupt is not None:
                interrupt()
            with anyio.CancelScope(shield=True):
                # Poll rather than take another worker thread (the thread pool
                # may be full of exactly such calls) or signal from a thread
                # whose call was abandoned.
                while not done.wait(0):  # noqa: ASYNC110 - see above
                    await anyio.sleep(0.005)
        raise
