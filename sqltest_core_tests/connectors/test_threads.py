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
