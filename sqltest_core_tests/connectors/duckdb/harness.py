"""Conformance harness for DuckDB: a fresh database file per scratch source."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqltest_core.config import DataSource

ENGINE = "duckdb"


@contextlib.asynccontextmanager
async def scratch(**overrides: Any) -> AsyncIterator[DataSource]:
    with tempfile.TemporaryDirectory(prefix="sqltest-duckdb-") as tmp:
        path = Path(tmp) / "scratch.duckdb"
        yield DataSource.model_validate(
            {"name": ENGINE, "url": f"duckdb:///{path}", **overrides}
        )


def sleep_sql(seconds: float) -> str:
    # No sleep function: a scan big enough to outlast any test timeout.
    return "select count(*) as n from range(100000000000) t(i) where i % 7 = 3"


async def running_statements(marker: str) -> int | None:
    return None


def bad_password_url(password: str) -> str | None:
    return None
