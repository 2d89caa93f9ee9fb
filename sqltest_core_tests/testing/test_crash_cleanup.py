"""A run killed with SIGKILL leaves scratch objects that the next run drops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import anyio
import pytest

from sqltest_core import Pools, open_pool
from sqltest_core.config import DataSource
from sqltest_core.testing import RunId, TestDB, UnitTest, run_tests, sweep
from sqltest_core.testing._isolation import is_stale, scratch_objects
from sqltest_core_tests._servers import (
    MYSQL_HOST,
    MYSQL_PORT,
    POSTGRES_HOST,
    POSTGRES_PORT,
    require_server,
)
from sqltest_core_tests.connectors.mysql.harness import url_for
from sqltest_core_tests.connectors.postgres.harness import URL as PG_URL

SERVERS = {
    "postgres": (PG_URL, "PostgreSQL", POSTGRES_HOST, POSTGRES_PORT),
    "mysql": (url_for("test"), "MariaDB", MYSQL_HOST, MYSQL_PORT),
}

# The child run: one test holds its scratch schema open, prints its name, waits.
CHILD = """
import sys, anyio
from sqltest_core import Pools
from sqltest_core.config import DataSource
from sqltest_core.testing import Fixture, UnitTest, run_tests

async def body(db):
    await db.execute("INSERT INTO items VALUES (2)")
    print(db.scratch.name, flush=True)
    await anyio.sleep(120)

async def main():
    source = DataSource(name="db", url=sys.argv[1])
    items = Fixture("items", rows=[{"v": 1}], load="table")
    async with Pools({"db": source}) as pools:
        await run_tests([UnitTest("held", body, (items,), isolation="schema")],
                        pools, sweep_stale=False)

anyio.run(main)
"""


def _server(engine: str) -> str:
    url, name, host, port = SERVERS[engine]
    require_server(name, host, port)
    return url


async def _names(url: str) -> list[str]:
    async with open_pool(DataSource(name="probe", url=url)) as pool:
        return [n.lower() for n in await scratch_objects(pool)]


@pytest.mark.parametrize("engine", sorted(SERVERS))
async def test_killed_run_is_cleaned_up_by_the_next_run(engine: str) -> None:
    url = _server(engine)
    child = await anyio.open_process(
        [sys.executable, "-c", CHILD, url], stderr=subprocess.DEVNULL
    )
    try:
        assert child.stdout is not None
        received = b""
        with anyio.fail_after(60):
            while not received.endswith(b"\n"):  # the test is inside its schema now
                received += await child.stdout.receive(1)
        line = received.decode().strip()
        parsed = RunId.parse(line)
        assert parsed is not None and parsed[0].pid == child.pid
        assert line in await _names(url)
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
        await child.aclose()
    assert child.returncode == -signal.SIGKILL
    assert line in await _names(url)  # nothing cleaned it up: it was killed

    async def noop(db: TestDB) -> None:
        assert await db.scalar("SELECT 1") == 1

    async with Pools({"db": DataSource(name="db", url=url)}) as pools:
        result = await run_tests([UnitTest("next", noop)], pools)
    assert result["next"].status == "passed"
    assert line not in await _names(url)


def _fake_alive(dead: set[int]) -> Callable[[int, int], bool]:
    return lambda pid, _started: pid not in dead


@pytest.mark.parametrize("engine", sorted(SERVERS))
async def test_sweep_drops_only_stale_scratch_objects(engine: str) -> None:
    url = _server(engine)
    now = int(time.time())
    here = RunId.new()
    live = RunId(now, here.pid, here.host).scratch_name(1)
    dead = RunId(now, 999_999, here.host).scratch_name(1)
    old = RunId(now - 7200, 1, "ffff").scratch_name(1)
    foreign = RunId(now, 5, "ffff").scratch_name(1)
    kind = "DATABASE" if engine == "mysql" else "SCHEMA"
    quote = "`" if engine == "mysql" else '"'
    async with open_pool(DataSource(name="db", url=url)) as pool:
        for name in (live, dead, old, foreign):
            await pool.execute(f"CREATE {kind} {quote}{name}{quote}")
        try:
            dropped = await sweep(pool, max_age=3600, alive=_fake_alive({999_999}))
            left = set(await scratch_objects(pool))
        finally:
            for name in (live, dead, old, foreign):
                cascade = "" if engine == "mysql" else " CASCADE"
                await pool.execute(
                    f"DROP {kind} IF EXISTS {quote}{name}{quote}{cascade}"
                )
    assert dead in dropped and old in dropped
    assert live not in dropped and foreign not in dropped
    assert {live, foreign} <= left and not {dead, old} & left


def test_staleness_rules() -> None:
    here = RunId.new()
    alive: dict[str, Any] = {"alive": lambda pid, started: True}
    assert not is_stale(here, max_age=60, **alive)
    assert is_stale(here, max_age=60, now=here.started + 61, **alive)
    assert is_stale(
        RunId(here.started, here.pid, here.host), max_age=60, alive=lambda p, s: False
    )
    assert not is_stale(
        RunId(here.started, 1, "ffff"), max_age=60, alive=lambda p, s: False
    )
    # the real check: this process is alive, a pid that never ran is not
    assert not is_stale(here, max_age=60)
    assert is_stale(RunId(here.started, 2**22 + 12345, here.host), max_age=60)


async def test_postgres_database_isolation_clones_a_template() -> None:
    url = _server("postgres")
    template = f"sqltest_tpl_{os.getpid()}"
    async with open_pool(DataSource(name="admin", url=url)) as admin:
        await admin.execute(f'DROP DATABASE IF EXISTS "{template}"')
        await admin.execute(f'CREATE DATABASE "{template}"')
        base = url.rsplit("/", 1)[0] + f"/{template}"
        async with open_pool(DataSource(name="tpl", url=base)) as tpl:
            await tpl.execute("CREATE TABLE seeded (v INT)")
            await tpl.execute("INSERT INTO seeded VALUES (7)")
        seen: list[Any] = []

        async def body(db: TestDB) -> None:
            seen.append(db.scratch.name)
            seen.append(await db.scalar("SELECT current_database()"))
            await db.execute("INSERT INTO seeded VALUES (8)")
            seen.append(await db.scalar("SELECT sum(v) FROM seeded"))

        try:
            async with Pools({"db": DataSource(name="db", url=url)}) as pools:
                result = await run_tests(
                    [UnitTest("clone", body, isolation="database")],
                    pools,
                    template=template,
                    sweep_stale=False,
                )
            assert result["clone"].status == "passed", result["clone"].reason
            assert seen[0] == seen[1] and seen[2] == 15
            left = await admin.fetch_arrow(
                "SELECT datname FROM pg_database WHERE datname = $1", [seen[0]]
            )
            assert left.num_rows == 0
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
