"""Rules' SQL as text: everything evaluation needs, without importing sqlglot.

sqlglot builds and renders each rule's SQL (``_compile``, ``_queries``,
``_checks``); the text it produces depends only on the rule's *shape* (kind and
checked fields, not id or metadata), the dialect and a few arguments, so it is
memoised on exactly that, in memory and on disk
(:class:`~sqltest_core.cache.DiskMemo`, keyed by a fingerprint of this package
and of sqlglot). A process whose rules were seen before neither imports sqlglot
nor renders anything: start-up is what small tables wait for.

Only sqlglot output and fixed aliases go into the text assembled here.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqltest_core.rules._models import (
    BaseRule,
    DistinctCount,
    DuplicateRows,
    Monotonic,
    Predicate,
    Quantile,
    Query,
    Reconciliation,
    ReferentialIntegrity,
    Schema,
    Unique,
)

if TYPE_CHECKING:
    from sqltest_core.cache import DiskMemo

__all__ = [
    "Fragments",
    "ScanPlan",
    "Strategy",
    "count_sql",
    "flush",
    "fragments",
    "has_sample_keys",
    "predicate_sql",
    "reconcile_sql",
    "sample_sql",
    "scan_plan",
    "shape",
    "standalone_sql",
    "strategy",
]

Strategy = Literal["scan", "query", "schema", "reconcile", "predicate"]
"""How a rule is evaluated: in the fused scan, by a query of its own, from the
catalog, by comparing two measures, or by streaming rows to Python."""


def strategy(rule: BaseRule, dialect: str) -> Strategy:
    """How ``rule`` is evaluated on ``dialect`` (see :data:`Strategy`).

    ``distinct_count`` leaves PostgreSQL's fused scan: an aggregate holding
    ``COUNT(DISTINCT ...)`` cannot run in parallel there.
    """
    if isinstance(rule, Unique | DuplicateRows | ReferentialIntegrity):
        return "query"  # PrimaryKey is a Unique
    if isinstance(rule, Monotonic | Quantile | Query):
        return "query"
    if isinstance(rule, DistinctCount) and dialect == "postgres":
        return "query"
    if isinstance(rule, Schema):
        return "schema"
    if isinstance(rule, Reconciliation):
        return "reconcile"
    if isinstance(rule, Predicate):
        return "predicate"
    return "scan"


def has_sample_keys(rule: BaseRule) -> bool:
    """Whether ``rule``'s count query ends with two sample keys (first, last)."""
    return isinstance(rule, Unique) and len(rule.columns) == 1


# Never part of any SQL: metadata, a Python predicate's function (whose repr
# holds an address that changes with every process) and batch size, and
# whether results may come from the query cache.
_NOT_SQL = frozenset(
    (
        *("id", "description", "severity", "threshold", "tags", "depends_on"),
        *("source", "predicate", "batch_size", "cache"),
    )
)


def shape(rule: BaseRule) -> str:
    """What a rule's SQL depends on: kind and checked fields, not id or metadata.

    ``repr`` keeps types apart (``1``, ``1.0`` and ``True`` are equal and hash
    alike, but render differently).
    """
    fields = [(n, v) for n, v in rule if n not in _NOT_SQL]
    return repr((type(rule), fields))


@dataclass(frozen=True, slots=True)
class Fragments:
    """A scan rule's parts of the fused scan, as SQL text."""

    source: str
    """The table, quoted."""
    filter: str | None
    """The filter itself: rules with equal filters share one count."""
    filter_count: str | None
    """Rows passing the filter: ``SUM(CASE WHEN <filter> ...)``."""
    failing_count: str | None
    """Failing rows: ``SUM(CASE WHEN <filter> AND <failing> ...)``."""
    aggregates: tuple[str, ...]


def fragments(rule: BaseRule, dialect: str) -> Fragments | None:
    """Check that ``rule`` compiles; a scan rule's parts of the fused scan.

    Raises:
        ValueError: a bad name, or a ``where``/``expression``/``sql`` that is
            not what it must be (memoised too: the same message again).
    """

    def build() -> list[Any]:
        from sqltest_core.rules._compile import compile_text

        try:
            parts = compile_text(rule, dialect)
        except ValueError as exc:
            return [None, str(exc)]
        return [None if parts is None else _as_list(parts), None]

    parts, error = _memoised("compile", rule, dialect, (), build)
    if error is not None:
        raise ValueError(error)
    if parts is None:
        return None
    source, filter_, filter_count, failing_count, aggregates = parts
    return Fragments(source, filter_, filter_count, failing_count, tuple(aggregates))


def _as_list(f: Fragments) -> list[Any]:
    return [f.source, f.filter, f.filter_count, f.failing_count, list(f.aggregates)]


@dataclass(frozen=True, slots=True)
class ScanPlan:
    """The fused query and where each rule's figures sit in its single row.

    Results are read by position: engines disagree on the case of aliases.
    """

    sql: str
    scanned_at: tuple[int, ...]
    """Per rule: column holding its rows scanned (0 = all rows)."""
    failing_at: tuple[int | None, ...]
    """Per rule: column holding its failing count (None for table rules)."""
    values_at: tuple[tuple[int, ...], ...]
    """Per rule: columns holding its aggregates (empty for row-level rules)."""


def scan_plan(parts: Sequence[Fragments]) -> ScanPlan:
    """One aggregate query over one table counting every rule's failures.

    Rules whose counts or aggregates render alike read the same column.
    """
    columns = ["COUNT(*) AS rows_scanned"]  # alike in every dialect
    filters: dict[str, int] = {}
    scanned_at: list[int] = []
    for p in parts:
        if p.filter is None or p.filter_count is None:
            scanned_at.append(0)
            continue
        if p.filter not in filters:
            filters[p.filter] = len(columns)
            columns.append(f"{p.filter_count} AS f{len(filters) - 1}")
        scanned_at.append(filters[p.filter])
    # Equal text is an equal figure: rules of the same shape (one check on
    # many rules, a rule repeated with other ids) share one column, which
    # keeps the engine's planning of wide scans short.
    shared: dict[str, int] = {}

    def column(sql: str, alias: str) -> int:
        if sql not in shared:
            shared[sql] = len(columns)
            columns.append(f"{sql} AS {alias}")
        return shared[sql]

    failing_at: list[int | None] = []
    values_at: list[tuple[int, ...]] = []
    for i, p in enumerate(parts):
        values_at.append(
            tuple(column(agg, f"v{i}_{j}") for j, agg in enumerate(p.aggregates))
        )
        if p.failing_count is None:
            failing_at.append(None)
        else:
            failing_at.append(column(p.failing_count, f"r{i}"))
    return ScanPlan(
        f"SELECT {', '.join(columns)} FROM {parts[0].source}",
        tuple(scanned_at),
        tuple(failing_at),
        tuple(values_at),
    )


def sample_sql(
    rule: BaseRule, dialect: str, *, sample_size: int, bad_values_limit: int
) -> tuple[str | None, str | None]:
    """A failed scan rule's sample query and (accepted_values) bad-values query."""

    def build() -> list[Any]:
        from sqltest_core.rules._compile import compile_rule, sample_queries

        return list(
            sample_queries(
                compile_rule(rule, dialect),
                dialect,
                sample_size=sample_size,
                bad_values_limit=bad_values_limit,
            )
        )

    samples, bad = _memoised(
        "samples", rule, dialect, (sample_size, bad_values_limit), build
    )
    return samples, bad


def standalone_sql(
    rule: BaseRule,
    dialect: str,
    *,
    sample_size: int,
    sample_keys: Sequence[object] | None = None,
) -> tuple[str, str | None]:
    """A query rule's count query and sample query (see ``standalone_queries``)."""
    keys = None if sample_keys is None else tuple(sample_keys)

    def build() -> list[Any]:
        from sqltest_core.rules._compile import compile_rule
        from sqltest_core.rules._queries import standalone_queries

        return list(
            standalone_queries(
                compile_rule(rule, dialect),
                dialect,
                sample_size=sample_size,
                sample_keys=keys,
            )
        )

    count, samples = _memoised("standalone", rule, dialect, (sample_size, keys), build)
    return count, samples


def predicate_sql(rule: Predicate, dialect: str) -> str:
    """The query streaming a Python predicate's columns (filtered)."""

    def build() -> list[Any]:
        from sqltest_core.rules._compile import predicate_query

        return [predicate_query(rule, dialect)]

    (sql,) = _memoised("predicate", rule, dialect, (), build)
    return str(sql)


def reconcile_sql(
    rule: Reconciliation, dialect: str, other_dialect: str | None
) -> list[str]:
    """The statements measuring a reconciliation's two sides (see ``_checks``)."""

    def build() -> list[Any]:
        from sqltest_core.rules._checks import reconcile_queries

        return list(reconcile_queries(rule, dialect, other_dialect=other_dialect))

    return list(_memoised("reconcile", rule, dialect, (other_dialect,), build))


def count_sql(table: str, dialect: str) -> str:
    """``SELECT COUNT(*) FROM table``: tells a missing table from a broken rule."""

    def build() -> list[Any]:
        from sqltest_core.rules._compile import count_query

        return [count_query(table, dialect)]

    (sql,) = _memoised("count", repr(table), dialect, (), build)
    return str(sql)


def _memoised(
    purpose: str,
    subject: BaseRule | str,
    dialect: str,
    args: tuple[object, ...],
    build: Callable[[], list[Any]],
) -> list[Any]:
    """``build()``'s SQL, kept under what it depends on: the purpose, the
    dialect, the rule's shape (or a text standing for it) and the arguments."""
    what = subject if isinstance(subject, str) else shape(subject)
    key = f"{purpose}\x1f{dialect}\x1f{what}\x1f{args!r}"
    memo = _memo()
    cached = memo.get(key)
    if cached is None:
        cached = build()
        memo.put(key, cached)
    assert isinstance(cached, list)
    return cached


_MEMO: DiskMemo | None = None


def _memo() -> DiskMemo:
    global _MEMO
    if _MEMO is None:
        from sqltest_core.cache import DiskMemo

        _MEMO = DiskMemo("rules-sql", _fingerprint())
    return _MEMO


def flush() -> None:
    """Store the SQL rendered since the last flush (called after each evaluation)."""
    if _MEMO is not None:
        _MEMO.flush()


def _fingerprint() -> bytes:
    """This package's source and sqlglot's version: what the stored SQL depends on."""
    parts = [p.read_bytes() for p in sorted(Path(__file__).parent.glob("*.py"))]
    spec = importlib.util.find_spec("sqlglot")  # found, not imported
    if spec is not None and spec.origin is not None:
        version = Path(spec.origin).with_name("_version.py")
        parts.append(version.read_bytes() if version.exists() else spec.origin.encode())
    return b"\0".join(parts)
