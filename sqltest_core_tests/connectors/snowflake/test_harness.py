"""The harness keeps the conformance contract on the emulator."""

from __future__ import annotations

import http.client
import json
import uuid

import anyio

from sqltest_core.connectors import collect
from sqltest_core.connectors.snowflake import SnowflakeConnector
from sqltest_core_tests.connectors.snowflake import harness


async def test_scratch_is_an_empty_default_schema_named_for_the_engine() -> None:
    async with harness.scratch(batch_size=7) as ds:
        assert (ds.name, ds.batch_size) == (harness.ENGINE, 7)
        conn = await SnowflakeConnector(ds).connect()
        try:
            assert len(await conn.catalog()) == 0
            await conn.execute("CREATE TABLE landed (x INT)")
            assert list((await conn.catalog()).tables) == ["LANDED"]
        finally:
            await conn.aclose()


async def test_sleep_sql_returns_one_row_and_is_seen_running() -> None:
    marker = f"m{uuid.uuid4().hex}"
    sql = f"/* {marker} */ {harness.sleep_sql(0.3)}"
    async with harness.scratch() as ds:
        conn = await SnowflakeConnector(ds).connect()
        try:
            seen: list[int | None] = []
            async with anyio.create_task_group() as tg:

                async def watch() -> None:
                    for _ in range(500):  # polled: the emulator offers no event
                        seen.append(await harness.running_statements(marker))
                        if seen[-1]:
                            return
                        await anyio.sleep(0.02)

                tg.start_soon(watch)
                table = await collect(conn.stream(sql))
        finally:
            await conn.aclose()
    assert table.to_pylist() == [{"WAITED": "waited 300 milliseconds"}]
    assert seen[-1] == 1
    assert await harness.running_statements(marker) == 0


def test_bad_password_url_points_at_the_emulator() -> None:
    url = harness.bad_password_url("wrong-pw-123")
    emu = harness.emulator()
    assert url is not None and f":{emu.port}/" in url and "wrong-pw-123" in url


def test_the_emulator_still_answers_after_thousands_of_requests() -> None:
    # It used to log each request to the stdout pipe that the harness stops
    # reading after the first line; once the pipe filled (some 800 requests into
    # a session) the server froze and every later test hung.
    emu = harness.emulator()
    client = http.client.HTTPConnection(emu.host, emu.port, timeout=10)
    try:
        for _ in range(1500):  # about twice what filled the pipe
            client.request("GET", "/sqltest/running")
            reply = client.getresponse()
            assert reply.status == 200
            assert isinstance(json.loads(reply.read()), list)
    finally:
        client.close()
