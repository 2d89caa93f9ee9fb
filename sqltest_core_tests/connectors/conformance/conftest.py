"""The conformance suite: every connector passes the same tests.

Each engine's test folder holds a ``harness`` module (see
``sqltest_core_tests/connectors/duckdb/harness.py``) giving a scratch data source
and a few engine-specific bits of SQL. Known gaps are declared with
``@pytest.mark.unsupported("engine", reason=...)`` and become strict xfails.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from types import ModuleType

import pytest

from sqltest_core import Pool, open_pool
from sqltest_core.config import DataSource

ENGINES = ["duckdb", "sqlite", "postgres", "mysql", "snowflake"]


def _harness(engine: str) -> ModuleType:
    return importlib.import_module(f"sqltest_core_tests.connectors.{engine}.harness")


@pytest.fixture(params=ENGINES)
def harness(request: pytest.FixtureRequest) -> ModuleType:
    engine: str = request.param
    for mark in request.node.iter_markers("unsupported"):
        if mark.args and mark.args[0] == engine:
            request.applymarker(
                pytest.mark.xfail(
                    reason=mark.kwargs.get("reason", "unsupported"), strict=True
                )
            )
    return _harness(engine)


@pytest.fixture
async def source(harness: ModuleType) -> AsyncIterator[DataSource]:
    async with harness.scratch() as src:
        yield src


@pytest.fixture
async def pool(source: DataSource) -> AsyncIterator[Pool]:
    async with open_pool(source) as p:
        yield p
