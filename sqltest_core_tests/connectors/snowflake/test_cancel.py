"""Timeouts and cancellation abort the statement on the server.

The connector aborts by request id (``POST /queries/v1/abort-request``, the
driver's own Ctrl-C path). The emulator honours that for ``SYSTEM$WAIT``, which
is what :func:`sleep_sql` uses, and records every abort it receives.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import anyio
import pytest

from sqltest_core.connectors import collect
from sqltest_core.connectors.snowflake import SnowflakeConnection, SnowflakeConnector
from sqltest_core.errors import QueryTimeout
from sqltest_core_tests.connectors.snowflake.harness import (
    Emulator,
    running_statements,
    scratch,
    sleep_sql,
)


async def until_running(marker: str) -> None:
    """Poll the emulator (no event to wait on) until the statement is in flight."""
    for _ in range(500):
        if await running_statements(marker) == 1:
            return
        await anyio.sleep(0.02)
    raise AssertionError(f"statement {marker} never started")


def statements(emu: Emulator, marker: str) -> list[dict[str, Any]]:
    history: list[dict[str, Any]] = emu.get("/sqltest/history")
    return [h for h in history if marker in h["sqlText"]]


def aborts(emu: Emulator, marker: str) -> list[dict[str, str]]:
    return [a for a in emu.get("/sqltest/aborts") if marker in a["sqlText"]]


async def test_timeout_aborts_the_statement_on_the_server(
    conn: SnowflakeConnection, snowflake_emulator: Emulator
) -> None:
    marker = f"m{uuid.uuid4().hex}"
    sql = f"/* {marker} */ {sleep_sql(60)}"
    with pytest.raises(QueryTimeout, match=r"cancelled after 0\.5s timeout"):
        await conn.execute(sql, timeout=0.5)
    [sent] = statements(snowflake_emulator, marker)
    # An abort that lands before the statement reaches the server is resent.
    sent_aborts = aborts(snowflake_emulator, marker)
    assert 1 <= len(sent_aborts) <= 2
    assert {a["requestId"] for a in sent_aborts} == {sent["requestId"]}
    assert await running_statements(marker) == 0
    assert not conn.is_closed
    assert (await collect(conn.stream("SELECT 'still here' AS s"))).to_pylist() == [
        {"S": "still here"}
    ]


async def test_cancelling_the_task_aborts_a_streaming_query(
    conn: SnowflakeConnection, snowflake_emulator: Emulator
) -> None:
    marker = f"m{uuid.uuid4().hex}"
    started = anyio.Event()

    async def consume() -> None:
        started.set()
        await collect(conn.stream(f"/* {marker} */ {sleep_sql(60)}"))

    async with anyio.create_task_group() as tg:
        tg.start_soon(consume)
        await started.wait()
        await until_running(marker)
        tg.cancel_scope.cancel()
    [sent] = statements(snowflake_emulator, marker)
    sent_aborts = aborts(snowflake_emulator, marker)
    assert 1 <= len(sent_aborts) <= 2
    assert {a["requestId"] for a in sent_aborts} == {sent["requestId"]}
    assert await running_statements(marker) == 0
    assert await conn.execute("SELECT 1") == -1


async def test_statement_carries_server_side_timeout_parameter(
    snowflake_emulator: Emulator,
) -> None:
    marker = f"m{uuid.uuid4().hex}"
    async with scratch(statement_timeout=7.5) as ds:
        conn = await SnowflakeConnector(ds).connect()
        try:
            await conn.execute(f"SELECT '{marker}-default' AS s")
            await conn.execute(f"SELECT '{marker}-call' AS s", timeout=30)
            await conn.ping()  # not a timed statement: no parameter
        finally:
            await conn.aclose()
    async with scratch() as ds:
        conn = await SnowflakeConnector(ds).connect()
        try:
            await conn.execute(f"SELECT '{marker}-none' AS s")
        finally:
            await conn.aclose()

    def timeout_of(suffix: str) -> object:
        [entry] = statements(snowflake_emulator, f"{marker}-{suffix}")
        return (entry["parameters"] or {}).get("STATEMENT_TIMEOUT_IN_SECONDS")

    # One second past the client's deadline, so the client's QueryTimeout wins.
    assert timeout_of("default") == 9
    assert timeout_of("call") == 31
    assert timeout_of("none") is None


def test_abort_is_resent_until_the_statement_finishes() -> None:
    calls: list[tuple[str, uuid.UUID]] = []
    finished = threading.Event()

    class FlakyDriver:
        def _cancel_query(self, sql: str, request_id: uuid.UUID) -> None:
            calls.append((sql, request_id))
            if len(calls) == 1:
                raise ConnectionResetError("first abort lost")
            finished.set()  # the second abort lands; the statement ends

    from sqltest_core.config import DataSource

    conn = SnowflakeConnection(
        DataSource(url="snowflake://u@a/D"), FlakyDriver(), catalog_keys=True
    )
    rid = uuid.uuid4()
    conn._abort("SELECT 1", rid, finished)
    assert calls == [("SELECT 1", rid), ("SELECT 1", rid)]


async def test_one_abort_thread_however_often_the_base_interrupts() -> None:
    # run_interruptible calls interrupt() every few milliseconds until the
    # statement returns; each call used to start a thread sending HTTP aborts.
    cancels: list[uuid.UUID] = []
    aborted = threading.Event()

    class SlowCursor:
        def execute(self, sql: str, params: Any, _statement_params: Any) -> None:
            aborted.wait(10)
            time.sleep(0.3)  # the server takes its time to end the statement

    class Driver:
        def _cancel_query(self, sql: str, request_id: uuid.UUID) -> None:
            cancels.append(request_id)
            aborted.set()

    from sqltest_core.config import DataSource

    conn = SnowflakeConnection(
        DataSource(url="snowflake://u@a/D"), Driver(), catalog_keys=True
    )
    with anyio.move_on_after(0.1) as scope:
        await conn._run(SlowCursor(), "SELECT 1", ())
    assert scope.cancelled_caught
    assert len(cancels) == 1
