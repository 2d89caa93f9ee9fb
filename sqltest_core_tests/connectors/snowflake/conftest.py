"""The Snowflake emulator (once per session), a scratch source and a connection."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sqltest_core.config import DataSource
from sqltest_core.connectors.snowflake import SnowflakeConnection, SnowflakeConnector
from sqltest_core_tests.connectors.snowflake.harness import Emulator, emulator, scratch


@pytest.fixture(scope="session")
def snowflake_emulator() -> Emulator:
    """The running emulator; a failure to start fails the test (no skip)."""
    return emulator()


@pytest.fixture
async def source() -> AsyncIterator[DataSource]:
    """A fresh database and schema on the emulator (modules override it to add DDL)."""
    async with scratch() as ds:
        yield ds


@pytest.fixture
async def conn(source: DataSource) -> AsyncIterator[SnowflakeConnection]:
    """One connection to ``source``, closed afterwards."""
    connection = await SnowflakeConnector(source).connect()
    try:
        yield connection
    finally:
        await connection.aclose()
