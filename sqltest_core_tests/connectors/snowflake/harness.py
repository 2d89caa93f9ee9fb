"""Snowflake test harness: the conformance contract, served by a local emulator.

No Snowflake account is reachable from CI, so the connector is tested through the
real driver over HTTP against ``fakesnow.server()`` (see ``_emulator.py``), which
runs in a child process started on first use and stopped when the session ends.
The child owns its warnings and logs: pytest's ``filterwarnings = error`` would
otherwise turn fakesnow's own warnings into HTTP 500s inside its server thread.

The emulator is local, so nothing skips: if it cannot start, the test fails.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import select
import subprocess
import sys
import tempfile
import threading
import urllib.request
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import anyio.to_thread

from sqltest_core.config import DataSource
from sqltest_core.connectors.snowflake import SnowflakeConnector
from sqltest_core_tests.connectors.snowflake._emulator import DATABASE, PASSWORD, USER

ENGINE = "snowflake"
_START_TIMEOUT = 60.0


@dataclass(frozen=True)
class Emulator:
    """A running emulator process and where it listens."""

    process: subprocess.Popen[str]
    host: str
    port: int
    log: Path

    def url(
        self, schema: str | None = None, *, password: str = PASSWORD, **query: str
    ) -> str:
        """A data-source URL for the emulator (``catalog_keys=false``: no ``->>``).

        The network bounds are tight, so a stalled emulator fails a test in about
        20 s instead of hanging it for minutes: every answer is local and quick,
        and the longest statement any test lets finish waits 2.5 s.
        """
        path = f"/{DATABASE}" + (f"/{schema}" if schema else "")
        params = {
            "account": "fakesnow",
            "protocol": "http",
            "catalog_keys": "false",
            "socket_timeout": "10",
            "retry_timeout": "10",
            "login_timeout": "20",
        }
        params.update(query)
        text = "&".join(f"{k}={quote(v)}" for k, v in params.items())
        auth = f"{USER}:{quote(password, safe='')}"
        return f"snowflake://{auth}@{self.host}:{self.port}{path}?{text}"

    def get(self, path: str) -> Any:
        """GET one of the emulator's ``/sqltest/...`` introspection routes."""
        address = f"http://{self.host}:{self.port}{path}"
        with urllib.request.urlopen(address, timeout=10) as reply:
            return json.loads(reply.read())


_lock = threading.Lock()
_running: Emulator | None = None


def emulator() -> Emulator:
    """The session's emulator, started on first call (blocking; raises if it fails)."""
    global _running
    with _lock:
        if _running is not None and _running.process.poll() is None:
            return _running
        log = Path(tempfile.mkstemp(prefix="fakesnow-", suffix=".log")[1])
        script = Path(__file__).with_name("_emulator.py")
        with log.open("w") as sink:
            process = subprocess.Popen(
                [sys.executable, str(script)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=sink,
                text=True,
            )
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], _START_TIMEOUT)
        line = process.stdout.readline() if ready else ""
        if not line:
            process.kill()
            process.wait()
            tail = log.read_text()[-2000:]
            raise RuntimeError(f"the fakesnow emulator did not start; its log:\n{tail}")
        info = json.loads(line)
        _running = Emulator(process, info["host"], int(info["port"]), log)
        atexit.register(_stop, _running)
        return _running


def _stop(emu: Emulator) -> None:
    if emu.process.stdin is not None:
        emu.process.stdin.close()  # the emulator exits at EOF on stdin
    try:
        emu.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        emu.process.kill()
        emu.process.wait()
    if emu.process.stdout is not None:
        emu.process.stdout.close()


async def admin(sql: str) -> None:
    """Run one statement on the emulator in a connection of its own."""
    emu = await anyio.to_thread.run_sync(emulator)
    conn = await SnowflakeConnector(DataSource(name="admin", url=emu.url())).connect()
    try:
        await conn.execute(sql)
    finally:
        await conn.aclose()


@contextlib.asynccontextmanager
async def scratch(**overrides: Any) -> AsyncIterator[DataSource]:
    """A data source whose default schema is a fresh, empty, uniquely named one."""
    emu = await anyio.to_thread.run_sync(emulator)
    schema = f"SQLTEST_{uuid.uuid4().hex[:12].upper()}"
    await admin(f"CREATE SCHEMA {DATABASE}.{schema}")
    try:
        yield DataSource(name=ENGINE, url=emu.url(schema), **overrides)
    finally:
        with anyio.CancelScope(shield=True):
            await admin(f"DROP SCHEMA IF EXISTS {DATABASE}.{schema} CASCADE")


def sleep_sql(seconds: float) -> str:
    """``SYSTEM$WAIT``: real Snowflake SQL, and cancellable on the emulator too."""
    return f"SELECT SYSTEM$WAIT({max(1, math.ceil(seconds * 1000))}, 'MILLISECONDS') AS waited"


async def running_statements(marker: str) -> int | None:
    """Statements in flight on the emulator whose text contains ``marker``."""
    emu = await anyio.to_thread.run_sync(emulator)
    texts = await anyio.to_thread.run_sync(emu.get, "/sqltest/running")
    return sum(marker in text for text in texts)


def bad_password_url(password: str) -> str | None:
    """The emulator's URL with a wrong password (it answers 390100, like Snowflake)."""
    return emulator().url(password=password)
