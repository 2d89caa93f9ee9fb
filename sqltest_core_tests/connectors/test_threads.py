from __future__ import annotations

import threading
import time

import anyio
import pytest

from sqltest_core.connectors import run_interruptible


async def test_cancel_interrupts_and_waits_for_the_thread() -> None:
    started = threading.Event()
    stop = threading.Event()
    finished: list[bool] = []

    def blocking() -> None:
        started.set()
        stop.clear()  # an interrupt sent before this point is lost
        while not stop.wait(0.001):
            pass
        time.sleep(0.05)  # still busy after the interrupt: must be waited for
        finished.append(True)

    with anyio.move_on_after(0.1):
        await run_interruptible(blocking, interrupt=stop.set)
    assert started.is_set()
    assert finished == [True]  # the caller never returns while the thread runs


async def test_result_and_errors_pass_through() -> None:
    assert await run_interruptible(lambda: 41 + 1) == 42
    with pytest.raises(ZeroDivisionError):
        await run_interruptible(lambda: 1 / 0)


async def test_cancel_while_waiting_for_a_thread_returns_and_never_runs() -> None:
    limiter = anyio.CapacityLimiter(1)
    ran: list[str] = []
    release = threading.Event()

    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: run_interruptible(release.wait, limiter=limiter))
        await anyio.sleep(0.05)  # the only thread slot is taken
        with anyio.fail_after(5):  # the hang this guards against
            with anyio.move_on_after(0.05) as waiting:
                await run_interruptible(lambda: ran.append("late"), limiter=limiter)
        release.set()
    assert waiting.cancelled_caught
    await anyio.sleep(0.05)
    assert ran == []  # cancelled before it started: it never runs later either
