"""Run rules of one data source: one fused scan per table, samples for failures."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import anyio

from sqltest_core.errors import ConnectorError, QueryError, RuleDefinitionError
from sqltest_core.results import RuleResult, Severity, Status
from sqltest_core.rules import _dialects as d
from sqltest_core.rules._compile import (
    Compiled,
    compile_rule,
    count_query,
    is_standalone,
    sample_queries,
    scan_plan,
    standalone_queries,
)
from sqltest_core.rules._models import (
    AggregateRule,
    BaseRule,
    Bound,
    DistinctCount,
    Freshness,
    Maximum,
    Mean,
    Minimum,
    NullRatio,
    RowCount,
    StdDev,
    Sum,
    Unique,
)

if TYPE_CHECKING:
    from sqltest_core.connectors import Pool

__all__ = ["evaluate"]


@dataclass(slots=True)
class _Work:
    """One rule's progress: the statements it shared and its counts."""

    index: int
    compiled: Compiled
    started: float
    started_at: dt.datetime
    sql: list[str] = field(default_factory=list)


async def evaluate(
    rules: Iterable[BaseRule],
    pool: Pool,
    *,
    sample_size: int = 5,
    bad_values_limit: int = 20,
    timeout: float | None = None,
) -> list[RuleResult]:
    """Evaluate rules of one data source, in one aggregate scan per table.

    Rules on a table fuse into a single ``SELECT COUNT(*), SUM(CASE ...) ...``;
    ``unique`` and ``referential_integrity`` rules each run one query of their
    own, concurrently with the scans when the pool has connections to spare.
    If that query fails, the batch is split in halves until the broken rules are
    isolated: they come back ``errored`` with the database's message and every
    other rule still gets its result. Rules that failed get up to
    ``sample_size`` failing rows; ``accepted_values`` rules also get up to
    ``bad_values_limit`` distinct bad values.

    Args:
        rules: Rules whose ``source`` is the pool's data source (or unset).
        pool: An open pool for that data source.
        sample_size: Failing rows to fetch per failed rule (0: none).
        bad_values_limit: Distinct bad values to list per accepted_values rule.
        timeout: Statement timeout in seconds for each query; a scan that times
            out errors its rules (no bisecting).

    Returns:
        One result per rule, in the order given.

    Raises:
        RuleDefinitionError: when a rule names another data source.
    """
    rules = list(rules)
    dialect = pool.dialect
    results: dict[int, RuleResult] = {}
    tables: dict[str, list[_Work]] = {}
    alone: list[_Work] = []
    for index, rule in enumerate(rules):
        if rule.source is not None and rule.source != pool.name:
            raise RuleDefinitionError(
                f"rule {rule.id!r} is for data source {rule.source!r}, "
                f"not {pool.name!r}",
                source=pool.name,
            )
        started, started_at = time.perf_counter(), dt.datetime.now(dt.UTC)
        try:
            compiled = compile_rule(rule, dialect)
        except ValueError as exc:
            reason = f"cannot compile the rule: {' '.join(str(exc).split())}"
            results[index] = _result(rule, pool, Status.ERRORED, reason=reason)
            continue
        work = _Work(index, compiled, started, started_at)
        if is_standalone(rule):
            alone.append(work)
        else:
            tables.setdefault(rule.table, []).append(work)
    run = _Run(pool, dialect, results, sample_size, bad_values_limit, timeout)
    async with anyio.create_task_group() as tg:
        for table, batch in tables.items():
            tg.start_soon(run.table, table, batch)
        for work in alone:
            tg.start_soon(run.standalone, work)
    return [results[i] for i in range(len(rules))]


@dataclass(slots=True)
class _Run:
    pool: Pool
    dialect: str
    results: dict[int, RuleResult]
    sample_size: int
    bad_values_limit: int
    timeout: float | None

    async def table(self, table: str, batch: list[_Work]) -> None:
        await self._scan(table, batch, probe=True)

    async def _scan(self, table: str, batch: list[_Work], *, probe: bool) -> None:
        plan = scan_plan(table, [w.compiled for w in batch], self.dialect)
        for w in batch:
            w.sql.append(plan.sql)
        try:
            data = await self.pool.fetch_arrow(plan.sql, timeout=self.timeout)
        except QueryError as exc:
            if len(batch) == 1:
                self._errored(batch, exc)
            elif probe and not await self._table_answers(table, batch):
                return
            else:
                # Bisect: each half is scanned alone, so a broken rule costs
                # about 2 log2(n) extra scans and never sinks the others.
                half = len(batch) // 2
                await self._scan(table, batch[:half], probe=False)
                await self._scan(table, batch[half:], probe=False)
            return
        except ConnectorError as exc:
            self._errored(batch, exc)
            return
        row = [data.column(i)[0].as_py() for i in range(data.num_columns)]
        for w, scanned_at, failing_at, values_at in zip(
            batch, plan.scanned_at, plan.failing_at, plan.values_at, strict=True
        ):
            values = [row[i] for i in values_at]
            failing = None if failing_at is None else _count(row[failing_at])
            await self._finish(w, _count(row[scanned_at]), failing, values)

    async def standalone(self, w: _Work) -> None:
        count_sql, _ = standalone_queries(w.compiled, self.dialect, sample_size=0)
        w.sql.append(count_sql)
        try:
            data = await self.pool.fetch_arrow(count_sql, timeout=self.timeout)
        except ConnectorError as exc:
            self._errored([w], exc)
            return
        row = [_count(data.column(i)[0].as_py()) for i in range(data.num_columns)]
        await self._finish(w, row[0], row[1], row[2:])

    async def _table_answers(self, table: str, batch: list[_Work]) -> bool:
        """Whether a bare count of ``table`` works; if not, every rule errored."""
        sql = count_query(table, self.dialect)
        for w in batch:
            w.sql.append(sql)
        try:
            await self.pool.fetch_arrow(sql, timeout=self.timeout)
        except ConnectorError as exc:
            self._errored(batch, exc)
            return False
        return True

    async def _finish(
        self, w: _Work, scanned: int, failing: int | None, values: Sequence[object]
    ) -> None:
        rule = w.compiled.rule
        details: dict[str, Any] = {}
        if isinstance(rule, RowCount):
            details["row_count"] = scanned
            failing = max(
                (rule.min or 0) - scanned,
                scanned - rule.max if rule.max is not None else 0,
                0,
            )
        elif isinstance(rule, AggregateRule):
            value = _aggregate(rule, values, scanned)
            details["value"] = _json(value)
            failing = int(value is None or not _within(value, rule.min, rule.max))
        elif isinstance(rule, Freshness):
            newest = _instant(values[0])
            details["newest"] = _json(newest)
            age = None
            if newest is not None:
                age = (dt.datetime.now(dt.UTC) - newest).total_seconds()
            details["age_seconds"] = age
            failing = int(age is None or age > rule.max_age)
        elif isinstance(rule, Unique):
            details["duplicated_values"] = values[0]
        assert failing is not None
        status = _status(rule, failing, scanned)
        samples: tuple[dict[str, Any], ...] = ()
        if status is not Status.PASSED:
            if is_standalone(rule):
                sample_sql = standalone_queries(
                    w.compiled, self.dialect, sample_size=self.sample_size
                )[1]
                bad_sql = None
            else:
                sample_sql, bad_sql = sample_queries(
                    w.compiled,
                    self.dialect,
                    sample_size=self.sample_size,
                    bad_values_limit=self.bad_values_limit,
                )
            try:
                if sample_sql is not None:
                    w.sql.append(sample_sql)
                    samples = tuple(
                        (
                            await self.pool.fetch_arrow(
                                sample_sql, timeout=self.timeout
                            )
                        ).to_pylist()
                    )
                if bad_sql is not None:
                    w.sql.append(bad_sql)
                    bad = await self.pool.fetch_arrow(bad_sql, timeout=self.timeout)
                    details["bad_values"] = bad.column(0).to_pylist()
            except ConnectorError as exc:
                details["samples_error"] = exc.message
        self.results[w.index] = _result(
            rule,
            self.pool,
            status,
            failing_count=failing,
            rows_scanned=scanned,
            samples=samples,
            details=details,
            sql=tuple(w.sql),
            started_at=w.started_at,
            duration_ms=(time.perf_counter() - w.started) * 1000,
        )

    def _errored(self, batch: list[_Work], exc: ConnectorError) -> None:
        for w in batch:
            self.results[w.index] = _result(
                w.compiled.rule,
                self.pool,
                Status.ERRORED,
                reason=exc.message,
                sql=tuple(w.sql),
                started_at=w.started_at,
                duration_ms=(time.perf_counter() - w.started) * 1000,
            )


def _count(value: object) -> int:
    # SUM over no rows is NULL; PostgreSQL and MySQL return it as a Decimal.
    if value is None:
        return 0
    assert isinstance(value, int | Decimal | float)
    return int(value)


def _number(value: object) -> object:
    # PostgreSQL and MySQL return integer sums and averages as Decimals.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _aggregate(rule: AggregateRule, values: Sequence[object], scanned: int) -> object:
    """The measured value: floats for ratios and averages, ints for counts."""
    if isinstance(rule, StdDev):
        return d.finish_stddev(values)
    if isinstance(rule, NullRatio):
        return _count(values[0]) / scanned if scanned else None
    if isinstance(rule, Mean):
        total, count = values
        if not count:
            return None
        assert isinstance(total, int | float | Decimal)
        return float(total / _count(count))
    (value,) = values
    if isinstance(rule, DistinctCount):
        return _count(value)
    if value is None:
        return None
    assert isinstance(rule, Sum | Minimum | Maximum)
    return _number(value)


def _json(value: object) -> object:
    # Details must survive a JSON round trip unchanged: times become ISO text.
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


def _within(value: object, low: Bound | None, high: Bound | None) -> bool:
    return (low is None or not _less(value, low)) and (
        high is None or not _less(high, value)
    )


def _less(a: object, b: object) -> bool:
    a, b = _comparable(a, b)
    return bool(a < b)  # type: ignore[operator]


def _comparable(a: object, b: object) -> tuple[object, object]:
    """``a`` and ``b`` as one type: SQLite returns dates as text, some engines
    return naive timestamps (taken as UTC) against aware bounds."""
    if isinstance(a, str) and isinstance(b, dt.date):
        return a, b.isoformat(sep=" ") if isinstance(b, dt.datetime) else b.isoformat()
    if isinstance(b, str) and isinstance(a, dt.date):
        return tuple(reversed(_comparable(b, a)))  # type: ignore[return-value]
    if isinstance(a, dt.date) or isinstance(b, dt.date):
        return _instant(a), _instant(b)
    return a, b


def _instant(value: object) -> dt.datetime | None:
    """A time as an aware datetime: naive ones are UTC, dates are midnight."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        assert isinstance(value, dt.date)
        value = dt.datetime.combine(value, dt.time())
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _status(rule: BaseRule, failing: int, scanned: int) -> Status:
    if rule.threshold is not None:
        broken = rule.threshold.exceeded(failing, scanned)
    else:
        broken = failing > 0
    if not broken:
        return Status.PASSED
    return Status.FAILED if rule.severity is Severity.ERROR else Status.WARNED


def _result(rule: BaseRule, pool: Pool, status: Status, **fields: Any) -> RuleResult:
    return RuleResult(
        rule_id=rule.id,
        status=status,
        kind=rule.kind,
        description=rule.description,
        severity=rule.severity,
        source=rule.source or pool.name,
        table=rule.table,
        tags=rule.tags,
        **fields,
    )
