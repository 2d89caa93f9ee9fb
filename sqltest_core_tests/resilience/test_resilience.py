from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from sqltest_core import CircuitOpenError, ConnectError, QueryError, RetryExhausted
from sqltest_core.config import RetrySettings
from sqltest_core.resilience import BreakerState, CircuitBreaker, RetryPolicy


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def flaky(
    failures: list[Exception], result: str = "ok"
) -> tuple[Callable[[], Awaitable[str]], dict[str, int]]:
    calls = {"n": 0}

    async def op() -> str:
        calls["n"] += 1
        if failures:
            raise failures.pop(0)
        return result

    return op, calls


async def test_transient_failures_are_retried_with_growing_backoff() -> None:
    clock = Clock()
    policy = RetryPolicy(
        RetrySettings(attempts=5, initial_backoff=0.1, max_backoff=1, jitter=0),
        source="pg",
        sleep=clock.sleep,
    )
    op, calls = flaky(
        [ConnectError("refused"), ConnectError("reset"), ConnectError("x")]
    )
    assert await policy.call(op) == "ok"
    assert calls["n"] == 4
    assert clock.slept == [0.1, 0.2, 0.4]


async def test_sql_errors_are_never_retried() -> None:
    clock = Clock()
    policy = RetryPolicy(RetrySettings(attempts=5), source="pg", sleep=clock.sleep)
    op, calls = flaky([QueryError("syntax error")])
    with pytest.raises(QueryError):
        await policy.call(op)
    assert calls["n"] == 1
    assert clock.slept == []


async def test_transient_query_errors_are_retried() -> None:
    policy = RetryPolicy(
        RetrySettings(attempts=3, initial_backoff=0), source="pg", sleep=Clock().sleep
    )
    op, calls = flaky([QueryError("deadlock detected", transient=True)])
    assert await policy.call(op) == "ok"
    assert calls["n"] == 2


async def test_exhausted_retries_say_so_and_chain_the_last_error() -> None:
    policy = RetryPolicy(
        RetrySettings(attempts=3, initial_backoff=0), source="pg", sleep=Clock().sleep
    )
    last = ConnectError("refused 3")
    op, _ = flaky([ConnectError("refused 1"), ConnectError("refused 2"), last])
    with pytest.raises(RetryExhausted) as info:
        await policy.call(op)
    assert info.value.attempts == 3
    assert info.value.__cause__ is last
    assert info.value.source == "pg"
    assert "refused 3" in str(info.value)


async def test_single_attempt_raises_the_error_itself() -> None:
    policy = RetryPolicy(RetrySettings(attempts=1), source="pg", sleep=Clock().sleep)
    op, _ = flaky([ConnectError("refused")])
    with pytest.raises(ConnectError, match="refused"):
        await policy.call(op)


def test_breaker_opens_after_threshold_and_fails_fast() -> None:
    clock = Clock()
    breaker = CircuitBreaker("pg", failure_threshold=3, cooldown=10, clock=clock)
    for _ in range(2):
        breaker.before_call()
        breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    clock.now = 4
    with pytest.raises(CircuitOpenError) as info:
        breaker.before_call()
    assert info.value.retry_after == pytest.approx(6)
    assert info.value.source == "pg"


def test_breaker_lets_one_probe_through_after_cooldown() -> None:
    clock = Clock()
    breaker = CircuitBreaker("pg", failure_threshold=1, cooldown=10, clock=clock)
    breaker.record_failure()
    clock.now = 10
    breaker.before_call()  # the probe
    with pytest.raises(CircuitOpenError):
        breaker.before_call()  # others still fail fast while it runs
    breaker.record_failure()  # probe failed: open for another cool-down
    assert breaker.state is BreakerState.OPEN
    clock.now = 20
    breaker.before_call()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    breaker.before_call()


def test_cancelled_probe_frees_the_half_open_slot() -> None:
    clock = Clock()
    breaker = CircuitBreaker("pg", failure_threshold=1, cooldown=1, clock=clock)
    breaker.record_failure()
    clock.now = 2
    breaker.before_call()
    breaker.release_probe()
    breaker.before_call()  # another probe may go


async def test_policy_feeds_the_breaker_and_stops_retrying_when_open() -> None:
    clock = Clock()
    breaker = CircuitBreaker("pg", failure_threshold=2, cooldown=60, clock=clock)
    policy = RetryPolicy(
        RetrySettings(attempts=5, initial_backoff=0.01, jitter=0),
        source="pg",
        breaker=breaker,
        sleep=clock.sleep,
    )
    op, calls = flaky([ConnectError("down")] * 10)
    with pytest.raises(CircuitOpenError):
        await policy.call(op)
    assert calls["n"] == 2  # the third attempt was refused by the open breaker
    assert breaker.state is BreakerState.OPEN


async def test_sql_error_counts_as_a_live_server_for_the_breaker() -> None:
    breaker = CircuitBreaker("pg", failure_threshold=2, cooldown=60, clock=Clock())
    policy = RetryPolicy(
        RetrySettings(attempts=1), source="pg", breaker=breaker, sleep=Clock().sleep
    )
    breaker.record_failure()
    op, _ = flaky([QueryError("bad sql")])
    with pytest.raises(QueryError):
        await policy.call(op)
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED  # the count was reset in between
