"""A circuit breaker: closed, open for a cool-down, then half-open for one probe."""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable

from sqltest_core._logging import get_logger
from sqltest_core.errors import CircuitOpenError

__all__ = ["BreakerState", "CircuitBreaker"]

_log = get_logger("sqltest_core.resilience")


class BreakerState(enum.Enum):
    """Where a breaker stands."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Fail fast after ``failure_threshold`` consecutive failures.

    After ``cooldown`` seconds one probe call is let through: its success closes the
    breaker, its failure opens it again for another cool-down.

    >>> now = [0.0]
    >>> b = CircuitBreaker("pg", failure_threshold=2, cooldown=30, clock=lambda: now[0])
    >>> b.record_failure(); b.record_failure(); b.state
    <BreakerState.OPEN: 'open'>
    >>> now[0] = 31; b.before_call(); b.state
    <BreakerState.HALF_OPEN: 'half_open'>
    >>> b.record_success(); b.state
    <BreakerState.CLOSED: 'closed'>
    """

    def __init__(
        self,
        source: str,
        *,
        failure_threshold: int = 5,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> BreakerState:
        """The current state (an open breaker past its cool-down reads half-open)."""
        with self._lock:
            return self._state()

    def _state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._probing or self._clock() - self._opened_at >= self.cooldown:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def before_call(self) -> None:
        """Admit a call, or raise :class:`CircuitOpenError` while open."""
        with self._lock:
            state = self._state()
            if state is BreakerState.CLOSED:
                return
            if state is BreakerState.HALF_OPEN and not self._probing:
                self._probing = True
                return
            assert self._opened_at is not None
            retry_after = max(0.0, self.cooldown - (self._clock() - self._opened_at))
        raise CircuitOpenError(
            f"circuit open after {self._failures} consecutive failures; "
            f"failing fast for {retry_after:.1f}s more",
            source=self.source,
            retry_after=retry_after,
        )

    def record_success(self) -> None:
        """A call reached the database: close the breaker."""
        with self._lock:
            if self._opened_at is not None:
                _log.info("circuit_closed", source=self.source)
            self._failures = 0
            self._opened_at = None
            self._probing = False

    def release_probe(self) -> None:
        """A call ended with no verdict (cancelled): let another probe through."""
        with self._lock:
            self._probing = False

    def record_failure(self) -> None:
        """A call failed for a transient reason: count it, open at the threshold."""
        with self._lock:
            self._failures += 1
            if self._probing or self._failures >= self.failure_threshold:
                if self._opened_at is None or self._probing:
                    _log.warning(
                        "circuit_opened",
                        source=self.source,
                        failures=self._failures,
                        cooldown=self.cooldown,
                    )
                self._opened_at = self._clock()
                self._probing = False
