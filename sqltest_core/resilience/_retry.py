"""Retry transient failures with exponential backoff and jitter (tenacity)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    RetryError,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
    wait_random,
)

from sqltest_core._logging import get_logger
from sqltest_core.config import RetrySettings
from sqltest_core.errors import RetryExhausted, SqltestError
from sqltest_core.resilience._breaker import CircuitBreaker

__all__ = ["RetryPolicy", "is_transient"]

T = TypeVar("T")
_log = get_logger("sqltest_core.resilience")


def is_transient(exc: BaseException) -> bool:
    """True when retrying ``exc`` may succeed.

    >>> from sqltest_core.errors import ConnectError, QueryError
    >>> is_transient(ConnectError("refused")), is_transient(QueryError("syntax"))
    (True, False)
    """
    return isinstance(exc, SqltestError) and exc.transient


class RetryPolicy:
    """Run an operation, retrying transient failures and feeding a breaker.

    Args:
        settings: Attempts, backoff and deadline.
        source: Data-source name, for errors and logs.
        breaker: Consulted before each attempt and told of each outcome.
        sleep: Awaitable sleep; tests pass a fake.
    """

    def __init__(
        self,
        settings: RetrySettings,
        *,
        source: str,
        breaker: CircuitBreaker | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self.settings = settings
        self.source = source
        self.breaker = breaker
        self._sleep = sleep

    async def call(self, operation: Callable[[], Awaitable[T]]) -> T:
        """Await ``operation()`` until it succeeds, fails for good or tries run out."""
        s = self.settings
        started = time.monotonic()
        retrying = AsyncRetrying(
            stop=stop_after_attempt(s.attempts) | stop_after_delay(s.deadline),
            wait=wait_exponential(multiplier=s.initial_backoff, max=s.max_backoff)
            + wait_random(0, s.jitter),
            retry=retry_if_exception(is_transient),
            sleep=self._sleep,
            before_sleep=self._log_retry,
        )
        try:
            return await retrying(self.guarded, operation)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            assert last is not None
            if s.attempts == 1:
                raise last from None
            elapsed = time.monotonic() - started
            raise RetryExhausted(
                f"gave up after {exc.last_attempt.attempt_number} attempts in "
                f"{elapsed:.1f}s: {last}",
                source=self.source,
                attempts=exc.last_attempt.attempt_number,
            ) from last

    async def guarded(self, operation: Callable[[], Awaitable[T]]) -> T:
        """One attempt through the breaker, with no retry."""
        breaker = self.breaker
        if breaker is not None:
            breaker.before_call()
        try:
            result = await operation()
        except SqltestError as exc:
            if breaker is not None:
                if exc.transient:
                    breaker.record_failure()
                else:
                    breaker.record_success()  # the server answered
            raise
        except BaseException:
            if breaker is not None:
                breaker.release_probe()  # cancelled: no verdict on the server
            raise
        if breaker is not None:
            breaker.record_success()
        return result

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        _log.warning(
            "retrying",
            source=self.source,
            attempt=state.attempt_number,
            wait_s=round(state.next_action.sleep, 3) if state.next_action else None,
            error=str(exc),
        )
