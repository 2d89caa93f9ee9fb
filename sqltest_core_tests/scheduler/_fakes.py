"""Small tasks for scheduler tests: the scheduler does not know about rules."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest

from sqltest_core.config import Settings
from sqltest_core.connectors import Pools
from sqltest_core.results import RuleResult, Status
from sqltest_core.scheduler import RunContext

Action = Callable[[RunContext], Awaitable[None]]


@dataclass(frozen=True)
class Fake:
    id: str
    depends_on: tuple[str, ...] = ()
    source: str | None = None
    timeout: float | None = None
    status: Status = Status.PASSED
    action: Action | None = None

    async def run(self, ctx: RunContext) -> RuleResult:
        if self.action is not None:
            await self.action(ctx)
        return RuleResult(rule_id=self.id, status=self.status)


def settings(max_size: int = 10) -> Settings:
    return Settings(
        data_sources={
            "local": {"url": "duckdb://:memory:", "pool": {"max_size": max_size}}
        }
    )


@pytest.fixture
async def pools() -> AsyncIterator[Pools]:
    async with Pools(settings()) as p:
        yield p
