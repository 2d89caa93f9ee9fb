"""Fixtures for the PostgreSQL tests: a scratch schema and a session on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sqltest_core.config import DataSource
from sqltest_core.connectors.postgres import PostgresConnection, PostgresConnector

from .harness import scratch


@pytest.fixture
async def source() -> AsyncIterator[DataSource]:
    async with scratch() as src:
        yield src


@pytest.fixture
async def conn(source: DataSource) -> AsyncIterator[PostgresConnection]:
    connection = await PostgresConnector(source).connect()
    try:
        yield connection
    finally:
        await connection.aclose()
