"""A small run for delivery tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqltest_core.results import RuleResult, RunResult

T0 = dt.datetime(2026, 11, 28, 6, 0, tzinfo=dt.UTC)


def small_run(run_id: str = "nightly-42") -> RunResult:
    return RunResult(
        run_id=run_id,
        started_at=T0,
        finished_at=T0 + dt.timedelta(seconds=4),
        results=[
            RuleResult(
                rule_id="orders.id_unique",
                status="passed",
                kind="unique",
                rows_scanned=1000,
                failing_count=0,
            ),
            RuleResult(
                rule_id="orders.status_known",
                status="failed",
                kind="accepted_values",
                rows_scanned=1000,
                failing_count=12,
                samples=({"id": 7, "email": "zoe@example.com"},),
            ),
            RuleResult(
                rule_id="customers.fresh",
                status="errored",
                kind="freshness",
                reason="table customers not found",
            ),
            RuleResult(
                rule_id="orders.total_positive",
                status="warned",
                severity="warn",
                rows_scanned=1000,
                failing_count=2,
            ),
            RuleResult(
                rule_id="customers.email_not_null",
                status="skipped",
                reason="dependency did not pass",
            ),
        ],
    )


def big_run(n: int) -> RunResult:
    return RunResult(
        run_id="big",
        results=[
            RuleResult(
                rule_id=f"table_{i:04d}.column_{'x' * 60}_not_null",
                status="failed",
                rows_scanned=10_000,
                failing_count=i + 1,
            )
            for i in range(n)
        ],
    )


def listing(folder: Path) -> list[str]:
    """The names of the files in ``folder``, sorted."""
    return sorted(p.name for p in folder.iterdir())
