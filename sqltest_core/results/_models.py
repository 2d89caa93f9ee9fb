"""Typed results of rules and tests: one model every reporter reads."""

from __future__ import annotations

import datetime as dt
import enum
import html
from collections import Counter
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

__all__ = ["Coverage", "RuleResult", "RunResult", "Severity", "Status"]


class Status(enum.StrEnum):
    """How a rule or test ended."""

    PASSED = "passed"
    FAILED = "failed"
    """Failed at ``error`` severity."""
    WARNED = "warned"
    """Failed at ``warn`` or ``info`` severity."""
    ERRORED = "errored"
    """Could not be evaluated (bad SQL, unreachable source, timeout)."""
    SKIPPED = "skipped"
    """Not run, for example because a dependency did not pass."""


class Severity(enum.StrEnum):
    """What a failure means: ``error`` fails the run, ``warn``/``info`` do not."""

    ERROR = "error"
    WARN = "warn"
    INFO = "info"


class RuleResult(BaseModel):
    """The outcome of one rule or test.

    >>> r = RuleResult(rule_id="orders.amount_positive", status="failed",
    ...                failing_count=3, rows_scanned=1000)
    >>> r.failing_ratio, r.status
    (0.003, <Status.FAILED: 'failed'>)
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    rule_id: str
    status: Status
    kind: str = "custom"
    description: str = ""
    severity: Severity = Severity.ERROR
    source: str | None = None
    """Data source the rule ran on."""
    table: str | None = None
    column: str | None = None
    """The column a column rule checks (reports mask its values when sensitive)."""
    tags: tuple[str, ...] = ()
    failing_count: int | None = None
    """Rows that broke the rule (see docs for each kind's counting convention)."""
    rows_scanned: int | None = None
    samples: tuple[dict[str, Any], ...] = ()
    """A few failing rows, as column -> value."""
    details: dict[str, Any] = Field(default_factory=dict)
    """Kind-specific figures: duplicated values, distinct bad values, drift, ..."""
    sql: tuple[str, ...] = ()
    """Statements executed for this rule (shared fused scans included)."""
    reason: str | None = None
    """Why a rule was skipped or errored."""
    started_at: dt.datetime | None = None
    duration_ms: float | None = None
    cache_hit: bool = False

    @property
    def failing_ratio(self) -> float | None:
        """``failing_count / rows_scanned``, when both are known."""
        if self.failing_count is None or not self.rows_scanned:
            return None
        return self.failing_count / self.rows_scanned


class Coverage(BaseModel):
    """Which tables and columns of a schema the SQL that ran read.

    Attributes:
        schema_name: The schema measured.
        tables: Every table and view of the catalog, sorted.
        tables_read: Those that some statement read.
        columns: Every ``table.column`` of the catalog.
        columns_read: Those that some statement read.
        outputs: Output columns of unit tests' queries (``test: column``).
        outputs_asserted: Those that an expectation compared.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    schema_name: str
    tables: tuple[str, ...]
    tables_read: tuple[str, ...]
    columns: tuple[str, ...]
    columns_read: tuple[str, ...]
    outputs: tuple[str, ...] = ()
    outputs_asserted: tuple[str, ...] = ()

    @staticmethod
    def _pct(part: int, whole: int) -> float:
        return round(100.0 * part / whole, 1) if whole else 100.0

    @property
    def table_percent(self) -> float:
        """Percentage of tables and views read."""
        return self._pct(len(self.tables_read), len(self.tables))

    @property
    def column_percent(self) -> float:
        """Percentage of columns read."""
        return self._pct(len(self.columns_read), len(self.columns))

    @property
    def asserted_percent(self) -> float:
        """Percentage of unit-test output columns that an expectation compared."""
        return self._pct(len(self.outputs_asserted), len(self.outputs))

    @property
    def uncovered_tables(self) -> tuple[str, ...]:
        """Tables and views nothing read."""
        read = set(self.tables_read)
        return tuple(t for t in self.tables if t not in read)

    @property
    def uncovered_columns(self) -> tuple[str, ...]:
        """Columns nothing read."""
        read = set(self.columns_read)
        return tuple(c for c in self.columns if c not in read)

    def to_dict(self) -> dict[str, Any]:  # Any: JSON values
        """The figures as JSON-ready data (for a run's metadata or a report)."""
        return {
            "schema": self.schema_name,
            "table_percent": self.table_percent,
            "column_percent": self.column_percent,
            "asserted_percent": self.asserted_percent,
            "uncovered_tables": list(self.uncovered_tables),
            "uncovered_columns": list(self.uncovered_columns),
        }


class RunResult(BaseModel):
    """Every result of one run, in a deterministic order; JSON round-trips losslessly.

    >>> run = RunResult(results=[RuleResult(rule_id="a", status="passed"),
    ...                          RuleResult(rule_id="b", status="failed")])
    >>> run.counts, run.ok
    ({'passed': 1, 'failed': 1}, False)
    >>> RunResult.model_validate_json(run.model_dump_json()) == run
    True
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    schema_version: int = 1
    run_id: str = ""
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    results: tuple[RuleResult, ...] = ()
    coverage: Coverage | None = None
    """How much of the target schema the run's SQL read (``sqltest run --coverage``)."""

    @property
    def counts(self) -> dict[str, int]:
        """Results per status, in the order statuses first appear."""
        return dict(Counter(r.status.value for r in self.results))

    @property
    def ok(self) -> bool:
        """True when nothing failed at error severity and nothing errored."""
        return not any(
            r.status in (Status.FAILED, Status.ERRORED) for r in self.results
        )

    def __getitem__(self, rule_id: str) -> RuleResult:
        for result in self.results:
            if result.rule_id == rule_id:
                return result
        raise KeyError(rule_id)

    def to_arrow(self) -> pa.Table:
        """One row per result (samples and details as JSON text)."""
        import json

        import pyarrow as pa

        rows = []
        for r in self.results:
            row = r.model_dump(mode="json")
            row["samples"] = json.dumps(row["samples"])
            row["details"] = json.dumps(row["details"])
            row["failing_ratio"] = r.failing_ratio
            rows.append(row)
        schema = pa.schema(
            [
                ("rule_id", pa.string()),
                ("status", pa.string()),
                ("kind", pa.string()),
                ("description", pa.string()),
                ("severity", pa.string()),
                ("source", pa.string()),
                ("table", pa.string()),
                ("column", pa.string()),
                ("tags", pa.list_(pa.string())),
                ("failing_count", pa.int64()),
                ("rows_scanned", pa.int64()),
                ("failing_ratio", pa.float64()),
                ("samples", pa.string()),
                ("details", pa.string()),
                ("sql", pa.list_(pa.string())),
                ("reason", pa.string()),
                ("started_at", pa.string()),
                ("duration_ms", pa.float64()),
                ("cache_hit", pa.bool_()),
            ]
        )
        return pa.Table.from_pylist(rows, schema=schema)

    def to_polars(self) -> pl.DataFrame:
        """:meth:`to_arrow` as a polars frame."""
        from sqltest_core.connectors import to_polars

        return to_polars(self.to_arrow())

    def _repr_html_(self) -> str:
        head = " · ".join(f"{n} {s}" for s, n in self.counts.items()) or "no results"
        rows = "".join(_html_row(r) for r in self.results)
        return (
            f"<div><b>RunResult</b> {html.escape(head)}<table>"
            "<tr><th>rule</th><th>status</th><th>source</th><th>failing</th>"
            f"<th>ratio</th><th>note</th></tr>{rows}</table></div>"
        )


_COLOURS = {
    Status.PASSED: "#1a7f37",
    Status.FAILED: "#cf222e",
    Status.WARNED: "#9a6700",
    Status.ERRORED: "#8250df",
    Status.SKIPPED: "#6e7781",
}


def _html_row(r: RuleResult) -> str:
    failing = "" if r.failing_count is None else str(r.failing_count)
    ratio = "" if r.failing_ratio is None else f"{r.failing_ratio:.2%}"
    cells = [
        f"<td>{html.escape(r.rule_id)}</td>",
        f"<td style='color:{_COLOURS[r.status]};font-weight:600'>{r.status.value}</td>",
        f"<td>{html.escape(r.source or '')}</td>",
        f"<td style='text-align:right'>{failing}</td>",
        f"<td style='text-align:right'>{ratio}</td>",
        f"<td>{html.escape(r.reason or r.description)}</td>",
    ]
    return "<tr>" + "".join(cells) + "</tr>"
