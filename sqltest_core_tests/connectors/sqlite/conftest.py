"""Fixtures for the SQLite tests: scratch files, pools and bare connections."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sqltest_core import Pool, open_pool
from sqltest_core.config import DataSource
from sqltest_core.connectors.sqlite import SQLiteConnection, SQLiteConnector
from sqltest_core_tests.connectors.sqlite import harness


@pytest.fixture
async def source() -> AsyncIterator[DataSource]:
    async with harness.scratch() as src:
        yield src


@pytest.fixture
async def db(source: DataSource) -> AsyncIterator[Pool]:
    async with open_pool(source) as pool:
        yield pool


@pytest.fixture
async def conn() -> AsyncIterator[SQLiteConnection]:
    connector = SQLiteConnector(DataSource(name="mem", url="sqlite://:memory:"))
    connection = await connector.connect()
    try:
        yield connection
    finally:
        await connection.aclose()
