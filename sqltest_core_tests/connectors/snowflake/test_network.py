"""A server that stalls, vanishes or keeps failing ends a statement in bounded time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Literal

import anyio
import pytest

from sqltest_core.config import DataSource
from sqltest_core.connectors.snowflake import (
    SnowflakeConnection,
    SnowflakeConnector,
    _bounded_backoff,
)
from sqltest_core.errors import ConnectError
from sqltest_core_tests.connectors.snowflake.harness import Emulator

Mode = Literal["forward", "stall", "refuse", "http503"]
_UNAVAILABLE = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
    b"Connection: close\r\n\r\n"
)


class _Proxy:
    """A TCP proxy to the emulator that can be told to misbehave."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.mode: Mode = "forward"
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def set(self, mode: Mode) -> None:
        self.mode = mode
        if mode == "refuse":
            await self.stop()  # new connections are refused, open ones reset

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()

    async def _handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._writers.add(writer)
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            if self.mode == "forward":
                upstream = await asyncio.open_connection(*self._target)
                self._writers.add(upstream[1])
                await asyncio.gather(
                    self._pump_up(reader, writer, upstream[1]),
                    self._pump_down(upstream[0], writer),
                )
            else:
                await self._pump_up(reader, writer, None)
        except (ConnectionError, OSError):
            pass
        finally:
            for w in (writer, *(upstream[1:] if upstream else ())):
                w.close()
                self._writers.discard(w)

    async def _pump_up(
        self,
        reader: asyncio.StreamReader,
        client: asyncio.StreamWriter,
        upstream: asyncio.StreamWriter | None,
    ) -> None:
        while data := await reader.read(65536):
            if self.mode == "http503":
                client.write(_UNAVAILABLE)
                await client.drain()
                break
            if self.mode == "forward" and upstream is not None:
                upstream.write(data)
                await upstream.drain()
            # "stall": read and drop, never answer
        if upstream is not None:
            upstream.close()

    async def _pump_down(
        self, upstream: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        while data := await upstream.read(65536):
            if self.mode == "forward":
                client.write(data)
                await client.drain()
        client.close()


@pytest.fixture
async def proxy(snowflake_emulator: Emulator) -> AsyncIterator[_Proxy]:
    p = _Proxy(snowflake_emulator.host, snowflake_emulator.port)
    await p.start()
    try:
        yield p
    finally:
        await p.stop()


async def _connect_through(
    emu: Emulator, proxy: _Proxy, **query: str
) -> SnowflakeConnection:
    url = emu.url(**query).replace(f":{emu.port}/", f":{proxy.port}/")
    return await SnowflakeConnector(DataSource(url=url)).connect()


@pytest.mark.parametrize("mode", ["stall", "refuse", "http503"])
async def test_a_failing_server_is_a_transient_connect_error_in_bounded_time(
    snowflake_emulator: Emulator, proxy: _Proxy, mode: Mode
) -> None:
    conn = await _connect_through(
        snowflake_emulator, proxy, socket_timeout="1", retry_timeout="2"
    )
    try:
        assert await conn.execute("SELECT 1") == -1
        await proxy.set(mode)
        with anyio.fail_after(30):  # unbounded before: the driver retried forever
            with pytest.raises(ConnectError) as caught:
                await conn.execute("SELECT 1")
        assert caught.value.transient
        assert "250003" in str(caught.value)
        assert "retry_timeout=2s" in str(caught.value)
    finally:
        with anyio.fail_after(30):
            await conn.aclose()


async def test_retry_timeout_does_not_cap_a_long_statement(
    snowflake_emulator: Emulator,
) -> None:
    # network_timeout would have aborted this 2.5 s statement after 1 s.
    url = snowflake_emulator.url(retry_timeout="1")
    conn = await SnowflakeConnector(DataSource(url=url)).connect()
    try:
        sql = "SELECT SYSTEM$WAIT(2500, 'MILLISECONDS') AS w"
        assert await conn.execute(sql) == -1
    finally:
        await conn.aclose()


def test_bounded_backoff_gives_up_after_its_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = iter([100.0, 100.0, 101.5, 103.0])
    monkeypatch.setattr(
        "sqltest_core.connectors.snowflake.time.monotonic", lambda: next(clock)
    )

    def policy() -> Iterator[int]:
        yield from (1, 2, 4, 8)

    delays = _bounded_backoff(policy, 3.0, RuntimeError)()
    assert next(delays) == 1
    assert next(delays) == 2  # 1.5 s spent; 2 s still fits the budget
    with pytest.raises(RuntimeError, match=r"for 3s \(retry_timeout=3s\)"):
        next(delays)


def test_bounded_backoff_never_sleeps_past_its_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = iter([0.0, 0.0, 9.0])
    monkeypatch.setattr(
        "sqltest_core.connectors.snowflake.time.monotonic", lambda: next(clock)
    )

    def policy() -> Iterator[int]:
        yield from (16, 16)

    delays = _bounded_backoff(policy, 10.0, RuntimeError)()
    assert [next(delays), next(delays)] == [10, 1]
