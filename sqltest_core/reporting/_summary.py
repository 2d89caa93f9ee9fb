"""Figures and text shared by the human-facing formats (Markdown, HTML, JUnit)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqltest_core.results import RuleResult, RunResult, Severity, Status

__all__ = ["Group", "Summary", "summarize"]

STATUSES = tuple(Status)
BAD = (Status.FAILED, Status.WARNED, Status.ERRORED)
SLOWEST = 5
SPARK_RUNS = 20


def fmt_value(value: object) -> str:
    """A sample value as text: ``NULL`` for None, JSON for containers."""
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def fmt_ratio(ratio: float | None) -> str:
    """``0.0123`` as ``1.23%``; empty when unknown."""
    return "" if ratio is None else f"{ratio:.2%}"


def fmt_ms(ms: float | None) -> str:
    """A duration in milliseconds, readable: ``7.8 ms``, ``850 ms``, ``2.50 s``."""
    if ms is None:
        return ""
    if ms < 10:
        return f"{ms:.1f} ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{ms / 1000:.2f} s"


def fmt_time(value: dt.datetime | None) -> str:
    """An instant as ISO 8601 to the second; empty when unknown."""
    return "" if value is None else value.isoformat(timespec="seconds")


def failing_text(r: RuleResult) -> str:
    """``12 of 1,000 rows (1.20%)``, or what is known of it (``3 rows``)."""
    if r.failing_count is None:
        return ""
    if r.rows_scanned is None:
        return f"{r.failing_count:,} row{'' if r.failing_count == 1 else 's'}"
    ratio = f" ({fmt_ratio(r.failing_ratio)})" if r.failing_ratio is not None else ""
    return f"{r.failing_count:,} of {r.rows_scanned:,} rows{ratio}"


def columns_of(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every key of ``rows`` in order of first appearance."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def diff_rows(
    details: Mapping[str, Any],
) -> tuple[list[str], list[tuple[str, dict[str, Any]]]]:
    """A unit test's row diff as (columns, [(mark, row)]), ``-`` missing, ``+`` extra.

    The diff is ``details["diff"] = {"missing": [row, ...], "unexpected": [...]}``
    with rows as column -> value; anything else yields no rows.
    """
    diff = details.get("diff")
    if not isinstance(diff, Mapping):
        return [], []
    marked: list[tuple[str, dict[str, Any]]] = []
    for side, mark in (("missing", "-"), ("unexpected", "+")):
        rows = diff.get(side)
        if isinstance(rows, list):
            marked.extend((mark, dict(r)) for r in rows if isinstance(r, Mapping))
    columns = diff.get("columns")
    if not isinstance(columns, list):
        columns = columns_of(r for _, r in marked)
    return [str(c) for c in columns], marked


def other_details(details: Mapping[str, Any]) -> dict[str, str]:
    """Kind-specific details other than the row diff, each as display text."""
    return {k: fmt_value(v) for k, v in details.items() if k != "diff"}


@dataclass(frozen=True, slots=True)
class Group:
    """Results of one source, table, severity, ...: counts per status."""

    key: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        """Results in the group."""
        return sum(self.counts.values())

    @property
    def bad(self) -> int:
        """Failed, warned or errored results in the group."""
        return sum(self.counts[s.value] for s in BAD)


def _groups(results: Sequence[RuleResult], key: Any) -> list[Group]:
    counts: dict[str, Counter[str]] = {}
    for r in results:
        counts.setdefault(key(r), Counter())[r.status.value] += 1
    groups = [
        Group(k, {s.value: c[s.value] for s in STATUSES}) for k, c in counts.items()
    ]
    return sorted(groups, key=lambda g: (-g.bad, g.key))


@dataclass(frozen=True, slots=True)
class Summary:
    """What a reader wants first: counts, pass rate, where failures are, changes."""

    total: int
    counts: dict[str, int]
    pass_rate: float | None
    """Passed over evaluated (all but skipped); None when nothing was evaluated."""
    by_severity: dict[str, int]
    """Failed or warned results per severity."""
    by_source: list[Group]
    by_table: list[Group]
    by_kind: list[Group]
    slowest: list[RuleResult]
    tags: list[str]
    newly_failing: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    has_previous: bool = False
    spark: dict[str, list[str]] = field(default_factory=dict)
    """Per rule id, its statuses over the history then this run (oldest first)."""
    pass_rates: list[float] = field(default_factory=list)
    """The pass rate of each earlier run then this one (oldest first)."""


def summarize(run: RunResult, history: Sequence[RunResult] | None = None) -> Summary:
    """Compute the :class:`Summary` of ``run`` against earlier runs."""
    results = run.results
    counts = {s.value: 0 for s in STATUSES}
    for r in results:
        counts[r.status.value] += 1
    evaluated = len(results) - counts[Status.SKIPPED.value]
    by_severity = {s.value: 0 for s in Severity}
    for r in results:
        if r.status in (Status.FAILED, Status.WARNED):
            by_severity[r.severity.value] += 1
    timed = [r for r in results if r.duration_ms is not None]
    slowest = sorted(timed, key=lambda r: (-(r.duration_ms or 0.0), r.rule_id))
    newly_failing: list[str] = []
    fixed: list[str] = []
    previous = history[-1] if history else None
    if previous is not None:
        before = {r.rule_id: r.status for r in previous.results}
        for r in results:
            was = before.get(r.rule_id)
            if r.status in BAD and was not in BAD:
                newly_failing.append(r.rule_id)
            elif r.status is Status.PASSED and was in BAD:
                fixed.append(r.rule_id)
    spark: dict[str, list[str]] = {}
    pass_rates = [
        rate
        for past in [*(history or ())[-(SPARK_RUNS - 1) :], run]
        if (rate := _pass_rate(past)) is not None
    ]
    if history:
        runs = [*history[-(SPARK_RUNS - 1) :], run]
        for r in results:
            spark[r.rule_id] = [_status_in(past, r.rule_id) for past in runs[:-1]] + [
                r.status.value
            ]
    return Summary(
        total=len(results),
        counts=counts,
        pass_rate=counts[Status.PASSED.value] / evaluated if evaluated else None,
        by_severity=by_severity,
        by_source=_groups(results, lambda r: r.source or "(default)"),
        by_table=_groups(
            [r for r in results if r.table],
            lambda r: f"{r.source}.{r.table}" if r.source else r.table,
        ),
        by_kind=_groups(results, lambda r: r.kind),
        slowest=slowest[:SLOWEST],
        tags=sorted({t for r in results for t in r.tags}),
        newly_failing=newly_failing,
        fixed=fixed,
        has_previous=previous is not None,
        spark=spark,
        pass_rates=pass_rates if history else [],
    )


def _pass_rate(run: RunResult) -> float | None:
    evaluated = [r for r in run.results if r.status is not Status.SKIPPED]
    if not evaluated:
        return None
    return sum(r.status is Status.PASSED for r in evaluated) / len(evaluated)


def _status_in(run: RunResult, rule_id: str) -> str:
    for r in run.results:
        if r.rule_id == rule_id:
            return r.status.value
    return "absent"
