"""Rows written per run and result, trend frames, and what changed between runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqltest_core.results import RunResult, Status

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

__all__ = ["Changes", "changes", "result_rows", "run_counts", "trend_frame"]

_BAD = (Status.FAILED, Status.WARNED, Status.ERRORED)


def run_counts(run: RunResult) -> tuple[int, int, int, int, int, int]:
    """``total, passed, failed, warned, errored, skipped`` of ``run``."""
    counts = run.counts
    return (
        len(run.results),
        *(counts.get(s.value, 0) for s in Status),  # type: ignore[return-value]
    )


def result_rows(run: RunResult, at: float) -> list[tuple[object, ...]]:
    """One row per result, in the columns of the ``<table>_results`` table."""
    return [
        (
            run.run_id,
            at,
            i,
            r.rule_id,
            r.kind,
            r.status.value,
            r.severity.value,
            r.source,
            r.table,
            r.failing_count,
            r.rows_scanned,
            r.duration_ms,
        )
        for i, r in enumerate(run.results)
    ]


def trend_frame(table: pa.Table, *, per_rule: bool) -> pl.DataFrame:
    """The frame :meth:`SQLHistory.trend` returns, from rows newest first."""
    import polars as pl

    from sqltest_core.connectors import to_polars

    frame = to_polars(table).reverse()
    frame = frame.with_columns(
        pl.from_epoch(pl.col("at_epoch").cast(pl.Float64) * 1e6, time_unit="us")
        .dt.replace_time_zone("UTC")
        .alias("started_at")
    ).drop("at_epoch")
    if per_rule:
        ints = ("failing_count", "rows_scanned")
        frame = frame.with_columns(
            *(pl.col(c).cast(pl.Int64) for c in ints),
            pl.col("duration_ms").cast(pl.Float64),
        )
        ratio = pl.when(pl.col("rows_scanned") > 0).then(
            pl.col("failing_count") / pl.col("rows_scanned")
        )
        frame = frame.with_columns(ratio.alias("failing_ratio"))
        order = [
            "run_id",
            "started_at",
            "rule_id",
            "kind",
            "status",
            "severity",
            "failing_count",
            "rows_scanned",
            "failing_ratio",
            "duration_ms",
        ]
    else:
        counts = ("total", "passed", "failed", "warned", "errored", "skipped")
        frame = frame.with_columns(
            *(pl.col(c).cast(pl.Int64) for c in counts),
            pl.col("duration_ms").cast(pl.Float64),
        )
        evaluated = pl.col("total") - pl.col("skipped")
        frame = frame.with_columns(
            pl.when(evaluated > 0).then(pl.col("passed") / evaluated).alias("pass_rate")
        )
        order = ["run_id", "started_at", *counts, "pass_rate", "duration_ms"]
    return frame.select(order)


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed between two runs, by rule or test id (each list sorted)."""

    newly_failing: tuple[str, ...]
    """Failed, warned or errored now; passed, skipped or absent before."""
    fixed: tuple[str, ...]
    """Passed now; failed, warned or errored before."""
    added: tuple[str, ...]
    """Not in the previous run."""
    removed: tuple[str, ...]
    """In the previous run only."""

    def __bool__(self) -> bool:
        return bool(self.newly_failing or self.fixed or self.added or self.removed)


def changes(previous: RunResult | None, current: RunResult) -> Changes:
    """Compare ``current`` with ``previous`` (the same way the reports do).

    >>> from sqltest_core.results import RuleResult, RunResult
    >>> before = RunResult(results=[RuleResult(rule_id="a", status="failed"),
    ...                             RuleResult(rule_id="b", status="passed")])
    >>> now = RunResult(results=[RuleResult(rule_id="a", status="passed"),
    ...                          RuleResult(rule_id="b", status="warned"),
    ...                          RuleResult(rule_id="c", status="passed")])
    >>> changes(before, now)
    Changes(newly_failing=('b',), fixed=('a',), added=('c',), removed=())
    """
    before = {r.rule_id: r.status for r in previous.results} if previous else {}
    now = {r.rule_id: r.status for r in current.results}
    newly = [i for i, s in now.items() if s in _BAD and before.get(i) not in _BAD]
    fixed = [i for i, s in now.items() if s is Status.PASSED and before.get(i) in _BAD]
    return Changes(
        newly_failing=tuple(sorted(newly)),
        fixed=tuple(sorted(fixed)),
        added=tuple(sorted(set(now) - set(before))) if previous else (),
        removed=tuple(sorted(set(before) - set(now))),
    )
