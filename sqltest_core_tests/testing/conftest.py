"""Engine fixtures shared by the testing package's tests."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator

import pyarrow as pa
import pytest

from sqltest_core import Pool, open_pool

ENGINES = ["duckdb", "sqlite", "postgres", "mysql", "snowflake"]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def pool(engine: str) -> AsyncIterator[Pool]:
    """A scratch data source of ``engine``, opened."""
    harness = importlib.import_module(f"sqltest_core_tests.connectors.{engine}.harness")
    async with harness.scratch() as source, open_pool(source) as p:
        yield p


def lowered(table: pa.Table) -> pa.Table:
    """Snowflake folds unquoted names to upper case: compare in lower case."""
    return table.rename_columns([c.lower() for c in table.column_names])
