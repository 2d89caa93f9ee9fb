"""Results: what rules and tests produce, and what every reporter reads.

A failing rule is a :class:`RuleResult` with status ``failed``, never an
exception. :class:`RunResult` holds a run's results in a deterministic order and
round-trips through JSON without loss.
"""

from __future__ import annotations

from sqltest_core.results._models import (
    Coverage,
    RuleResult,
    RunResult,
    Severity,
    Status,
)

__all__ = ["Coverage", "RuleResult", "RunResult", "Severity", "Status"]
