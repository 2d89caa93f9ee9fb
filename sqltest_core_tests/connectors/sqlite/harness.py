"""Conformance harness for SQLite: a fresh database file per scratch source."""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqltest_core.config import DataSource

ENGINE = "sqlite"
_COUNT = (
    "with recursive sqltest_tick(n) as (select 1 union all "
    "select n + 1 from sqltest_tick where n < {n}) select count(*) as n from sqltest_tick"
)


@contextlib.asynccontextmanager
async def scratch(**overrides: Any) -> AsyncIterator[DataSource]:
    """A data source on a new database file, removed with its directory afterwards."""
    with tempfile.TemporaryDirectory(prefix="sqltest-sqlite-") as tmp:
        path = Path(tmp) / "scratch.sqlite"
        yield DataSource.model_validate(
            {"name": ENGINE, "url": f"sqlite:///{path}", **overrides}
        )


@functools.cache
def _steps_per_second() -> float:
    # SQLite has no sleep(): count in a recursive CTE instead (interruptible, unlike a
    # sleeping Python function), sized from this machine's measured counting speed.
    steps = 200_000
    with contextlib.closing(sqlite3.connect(":memory:")) as conn:
        started = time.perf_counter()
        conn.execute(_COUNT.format(n=steps)).fetchall()
        return steps / max(time.perf_counter() - started, 1e-6)


def sleep_sql(seconds: float) -> str:
    """A one-row SELECT that counts for at least ``seconds`` (twice the measured need)."""
    return _COUNT.format(n=max(1, int(seconds * _steps_per_second() * 2)))


async def running_statements(marker: str) -> int | None:
    return None  # in-process: no server to ask


def bad_password_url(password: str) -> str | None:
    return None  # SQLite has no passwords
