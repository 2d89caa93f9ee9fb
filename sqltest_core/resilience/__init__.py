"""Retries for transient failures and a circuit breaker per data source.

Only errors that say so (``ConnectorError.transient``: connection refused or lost,
server starting or shutting down, serialization failure, deadlock) are retried;
SQL errors never are. Both pieces take an injectable clock/sleep for tests.
"""

from __future__ import annotations

from sqltest_core.resilience._breaker import BreakerState, CircuitBreaker
from sqltest_core.resilience._retry import RetryPolicy, is_transient

__all__ = ["BreakerState", "CircuitBreaker", "RetryPolicy", "is_transient"]
