"""The Snowflake emulator, started once per test session."""

from __future__ import annotations

import pytest

from sqltest_core_tests.connectors.snowflake.harness import Emulator, emulator


@pytest.fixture(scope="session")
def snowflake_emulator() -> Emulator:
    """The running emulator; a failure to start fails the test (no skip)."""
    return emulator()
