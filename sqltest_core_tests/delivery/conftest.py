from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from sqltest_core import configure_logging
from sqltest_core.config import RetrySettings

#: Three tries, no waiting: tests pass a recording sleep anyway.
FAST = RetrySettings(attempts=3, initial_backoff=0, max_backoff=0, jitter=0)


class Sleeps(list[float]):
    """A fake sleep that records the waits asked for."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """Every log line of sqltest_core, as JSON lines, at DEBUG."""
    out = io.StringIO()
    configure_logging(format="json", level="DEBUG", stream=out)
    yield out
    configure_logging(level="WARNING")
