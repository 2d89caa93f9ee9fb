"""CSV: one row per rule or test, for spreadsheets and ad-hoc loading."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from sqltest_core.results import RuleResult, RunResult

__all__ = ["CSV_COLUMNS", "CSVReporter"]

CSV_COLUMNS = (
    "run_id",
    "rule_id",
    "kind",
    "status",
    "severity",
    "source",
    "table",
    "tags",
    "failing_count",
    "rows_scanned",
    "failing_ratio",
    "duration_ms",
    "started_at",
    "cache_hit",
    "reason",
    "description",
)
"""The CSV header, in order."""

# Spreadsheets run a cell starting with one of these as a formula
# (https://owasp.org/www-community/attacks/CSV_Injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str | None) -> str:
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _number(value: float | int | None) -> str:
    return "" if value is None else repr(value)


@dataclass(frozen=True, slots=True)
class CSVReporter:
    """One row per result; header :data:`CSV_COLUMNS`, ``\\n`` line ends.

    Tags are joined with ``;``. Text that a spreadsheet would run as a formula
    (starting with ``=``, ``+``, ``-``, ``@``) is prefixed with ``'``. Samples and
    details are not included: use JSON for those.

    >>> from sqltest_core.results import RuleResult, RunResult
    >>> run = RunResult(results=[RuleResult(rule_id="a", status="failed",
    ...     failing_count=1, rows_scanned=4)])
    >>> print(CSVReporter().render(run).splitlines()[1])
    ,a,custom,failed,error,,,,1,4,0.25,,,false,,
    """

    name: ClassVar[str] = "csv"
    suffix: ClassVar[str] = ".csv"

    delimiter: str = ","

    def render(
        self, run: RunResult, *, history: Sequence[RunResult] | None = None
    ) -> str:
        """One header row then one row per result, in run order."""
        out = io.StringIO()
        writer = csv.writer(out, delimiter=self.delimiter, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(self._row(run, r) for r in run.results)
        return out.getvalue()

    @staticmethod
    def _row(run: RunResult, r: RuleResult) -> list[str]:
        return [
            _text(run.run_id),
            _text(r.rule_id),
            _text(r.kind),
            r.status.value,
            r.severity.value,
            _text(r.source),
            _text(r.table),
            _text(";".join(r.tags)),
            _number(r.failing_count),
            _number(r.rows_scanned),
            _number(r.failing_ratio),
            _number(r.duration_ms),
            r.started_at.isoformat() if r.started_at else "",
            "true" if r.cache_hit else "false",
            _text(r.reason),
            _text(r.description),
        ]
