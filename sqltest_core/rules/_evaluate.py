"""Run rules of one data source: one fused scan per table, samples for failures."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import anyio

from sqltest_core.errors import ConnectorError, QueryError, RuleDefinitionError
from sqltest_core.results import RuleResult, Severity, Status
from sqltest_core.rules._compile import (
    Compiled,
    compile_rule,
    count_query,
    sample_queries,
    scan_plan,
)
from sqltest_core.rules._models import BaseRule, RowCount

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

    Rules on a table fuse into a single ``SELECT COUNT(*), SUM(CASE ...) ...``.
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
        tables.setdefault(rule.table, []).append(work)
    run = _Run(pool, dialect, results, sample_size, bad_values_limit, timeout)
    async with anyio.create_task_group() as tg:
        for table, batch in tables.items():
            tg.start_soon(run.table, table, batch)
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
        row = [_count(data.column(i)[0].as_py()) for i in range(data.num_columns)]
        for w, scanned_at, failing_at in zip(
            batch, plan.scanned_at, plan.failing_at, strict=True
        ):
            await self._finish(w, row[scanned_at], row, failing_at)

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
        self, w: _Work, scanned: int, row: list[int], failing_at: int | None
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
        else:
            assert failing_at is not None
            failing = row[failing_at]
        status = _status(rule, failing, scanned)
        samples: tuple[dict[str, Any], ...] = ()
        if status is not Status.PASSED:
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
