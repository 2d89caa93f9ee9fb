"""A real PostgreSQL restart under load: retried work completes, the pool recovers."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import anyio
import pytest

from sqltest_core import open_pool
from sqltest_core_tests._servers import POSTGRES_HOST, POSTGRES_PORT, require_server

pytestmark = [pytest.mark.server, pytest.mark.slow]


def restart_postgres() -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    subprocess.run(
        [
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            version,
            "main",
            "restart",
            "-m",
            "fast",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


async def test_workload_survives_a_server_restart() -> None:
    require_server("PostgreSQL", POSTGRES_HOST, POSTGRES_PORT)
    source: dict[str, Any] = {
        "pool": {"min_size": 2, "max_size": 4, "ping_after_idle": 0},
        "retry": {
            "attempts": 60,
            "initial_backoff": 0.05,
            "max_backoff": 0.5,
            "deadline": 60,
        },
        "breaker": {"failure_threshold": 1000},
    }
    results: list[int] = []
    async with open_pool(
        f"postgresql://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/test", **source
    ) as pool:
        before = pool.stats

        async def worker(offset: int) -> None:
            for i in range(60):
                value = await pool.scalar("select $1::int + 0", [offset + i])
                results.append(value)
                await anyio.sleep(0.05)

        async with anyio.create_task_group() as tg:
            for w in range(4):
                tg.start_soon(worker, w * 1000)
            await anyio.sleep(0.5)
            await anyio.to_thread.run_sync(restart_postgres)

        assert sorted(results) == sorted(
            w * 1000 + i for w in range(4) for i in range(60)
        )
        after = pool.stats
        assert after.in_use == 0
        assert after.closed >= 1  # connections killed by the restart were dropped...
        assert after.opened > before.opened  # ...and replaced
        assert await pool.scalar("select 1") == 1
