"""Run rules of one data source: one fused scan per table, samples for failures."""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import anyio

from sqltest_core._logging import get_logger
from sqltest_core.errors import ConnectorError, QueryError, RuleDefinitionError
from sqltest_core.results import RuleResult, Severity, Status
from sqltest_core.rules import _sql
from sqltest_core.rules._models import (
    AggregateRule,
    BaseRule,
    Bound,
    DistinctCount,
    DuplicateRows,
    Freshness,
    Maximum,
    Mean,
    Minimum,
    NullRatio,
    Predicate,
    PrimaryKey,
    Quantile,
    Query,
    Reconciliation,
    RowCount,
    Schema,
    StdDev,
    Sum,
    Unique,
)
from sqltest_core.rules._sql import Fragments, has_sample_keys, strategy

if TYPE_CHECKING:
    from sqltest_core.cache import QueryCache
    from sqltest_core.connectors import Pool, Pools, Rows
    from sqltest_core.rules._checks import Outcome

__all__ = ["evaluate"]

_log = get_logger("sqltest_core.rules")


@dataclass(slots=True)
class _Work:
    """One rule's progress: the statements it ran and where their rows came from."""

    index: int
    rule: BaseRule
    fragments: Fragments | None
    """The rule's parts of the fused scan (scan rules)."""
    started: float
    started_at: dt.datetime
    sql: list[str] = field(default_factory=list)
    queries: int = 0
    cache_hits: int = 0
    sample_keys: tuple[object, ...] | None = None
    """Keys whose rows the sample query fetches (see ``standalone_queries``)."""


async def evaluate(
    rules: Iterable[BaseRule],
    pool: Pool,
    *,
    pools: Pools | None = None,
    cache: QueryCache | None = None,
    sample_size: int = 5,
    bad_values_limit: int = 20,
    timeout: float | None = None,
) -> list[RuleResult]:
    """Evaluate rules of one data source, in one aggregate scan per table.

    Row-level and aggregate rules on a table fuse into a single
    ``SELECT COUNT(*), SUM(CASE ...) ...``. Key, duplicate, reference,
    sequence, quantile and custom-query rules each run one query of their own,
    concurrently with the scans when the pool has connections to spare;
    schema rules read the (cached) catalog, reconciliations fetch both sides'
    measures, and Python predicates stream the rows they need. If a scan
    fails, its batch is split in halves until the broken rules are isolated:
    they come back ``errored`` with the database's message and every other
    rule still gets its result. Rules that failed get up to ``sample_size``
    failing rows; ``accepted_values`` rules also get up to
    ``bad_values_limit`` distinct bad values.

    Args:
        rules: Rules whose ``source`` is the pool's data source (or unset).
        pool: An open pool for that data source.
        pools: Pools of other data sources, for reconciliations across two.
        cache: Reuse query results kept here (see
            :class:`~sqltest_core.cache.QueryCache`); rules with ``cache:
            false`` always query.
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
            parts = _sql.fragments(rule, dialect)
        except ValueError as exc:
            reason = f"cannot compile the rule: {' '.join(str(exc).split())}"
            results[index] = _result(rule, pool, Status.ERRORED, reason=reason)
            continue
        work = _Work(index, rule, parts, started, started_at)
        if parts is not None:
            tables.setdefault(rule.table, []).append(work)
        else:
            alone.append(work)
    run = _Run(
        pool, pools, cache, dialect, results, sample_size, bad_values_limit, timeout
    )
    try:
        async with anyio.create_task_group() as tg:
            for table, batch in tables.items():
                tg.start_soon(run.table, table, batch)
            for work in alone:
                tg.start_soon(run.alone, work)
    finally:
        _sql.flush()
    return [results[i] for i in range(len(rules))]


@dataclass(slots=True)
class _Run:
    pool: Pool
    pools: Pools | None
    cache: QueryCache | None
    dialect: str
    results: dict[int, RuleResult]
    sample_size: int
    bad_values_limit: int
    timeout: float | None

    async def _fetch(
        self,
        sql: str,
        batch: list[_Work],
        pool: Pool | None = None,
        *,
        record: bool = True,
    ) -> Rows:
        """Run ``sql`` for ``batch``'s rules, through the cache if they all allow.

        ``record=False`` when the caller listed the statement already (queries
        run concurrently are listed in a fixed order first).
        """
        pool = pool or self.pool
        for w in batch:
            if record:
                w.sql.append(sql)
            w.queries += 1
        cache = self.cache if all(w.rule.cache for w in batch) else None
        if cache is not None:
            cached = cache.get(pool.name, sql)
            if cached is not None:
                for w in batch:
                    w.cache_hits += 1
                return cached
        data = await pool.fetch_rows(sql, timeout=self.timeout)
        if cache is not None:
            cache.set(pool.name, sql, (), data)
        return data

    async def table(self, table: str, batch: list[_Work]) -> None:
        await self._scan(table, batch, probe=True)

    async def _scan(self, table: str, batch: list[_Work], *, probe: bool) -> None:
        plan = _sql.scan_plan([w.fragments for w in batch if w.fragments])
        try:
            data = await self._fetch(plan.sql, batch)
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
        row = list(data.rows[0])
        # Failed rules fetch their samples at once, each on its own connection
        # as the pool allows, rather than one after another.
        async with anyio.create_task_group() as tg:
            for w, scanned_at, failing_at, values_at in zip(
                batch, plan.scanned_at, plan.failing_at, plan.values_at, strict=True
            ):
                values = [row[i] for i in values_at]
                failing = None if failing_at is None else _count(row[failing_at])
                tg.start_soon(self._finish, w, _count(row[scanned_at]), failing, values)

    async def alone(self, w: _Work) -> None:
        """Evaluate a rule that does not join the fused scan."""
        rule = w.rule
        try:
            if isinstance(rule, Schema):
                from sqltest_core.rules import _checks

                table = await _checks.find_table(self.pool, rule.table)
                outcome = _checks.schema_outcome(rule, table, self.dialect)
                await self._finish(w, outcome.scanned, outcome.failing, (), outcome)
            elif isinstance(rule, Reconciliation):
                await self._reconcile(w, rule)
            elif isinstance(rule, Predicate):
                await self._predicate(w, rule)
            else:
                await self._standalone(w)
        except ConnectorError as exc:
            self._errored([w], exc)
        except Exception as exc:  # a predicate's own error or bad answer, or a bug
            # One rule's surprise must not sink the others' results.
            what = f"{type(exc).__name__}: {exc}"
            if isinstance(rule, Predicate):
                what = f"the predicate failed: {what}"
            else:
                _log.error("rule.internal_error", rule_id=rule.id, error=repr(exc))
                what = f"internal error, please report it: {what}"
            self._errored([w], QueryError(what, source=self.pool.name))

    async def _standalone(self, w: _Work) -> None:
        rule = w.rule
        if isinstance(rule, DuplicateRows) and rule.columns is None:
            from sqltest_core.rules import _checks

            table = await _checks.find_table(self.pool, rule.table)
            columns = tuple(c.name for c in table.columns)
            w.rule = rule.model_copy(update={"columns": columns})
        count_sql, _ = _sql.standalone_sql(w.rule, self.dialect, sample_size=0)
        data = await self._fetch(count_sql, [w])
        row = list(data.rows[0])
        if has_sample_keys(rule):
            w.sample_keys = tuple(k for k in row[-2:] if k is not None)
            row = row[:-2]
        if isinstance(rule, Query):
            await self._finish(w, None, _count(row[0]), ())
        elif isinstance(rule, AggregateRule):
            await self._finish(w, _count(row[0]), None, row[1:])
        else:
            await self._finish(w, _count(row[0]), _count(row[1]), row[2:])

    async def _reconcile(self, w: _Work, rule: Reconciliation) -> None:
        other = self.pool
        if rule.other_source is not None and rule.other_source != self.pool.name:
            if self.pools is None:
                raise QueryError(
                    f"data source {rule.other_source!r} is not available here: "
                    "run the rule with run_rules() or pass pools=",
                    source=self.pool.name,
                )
            other = await self.pools.get(rule.other_source)
        statements = _sql.reconcile_sql(
            rule, self.dialect, None if other is self.pool else other.dialect
        )
        pools = [self.pool] if len(statements) == 1 else [self.pool, other]
        fetched: dict[int, Rows] = {}
        w.sql.extend(statements)

        async def fetch(i: int) -> None:
            fetched[i] = await self._fetch(statements[i], [w], pools[i], record=False)

        async with anyio.create_task_group() as tg:
            for i in range(len(statements)):
                tg.start_soon(fetch, i)
        sides = [fetched[i] for i in range(len(statements))]
        from sqltest_core.rules import _checks

        outcome = _checks.reconcile(rule, sides, sample_size=self.sample_size)
        await self._finish(w, outcome.scanned, outcome.failing, (), outcome)

    async def _predicate(self, w: _Work, rule: Predicate) -> None:
        from sqltest_core.rules import _checks

        sql = _sql.predicate_sql(rule, self.dialect)
        w.sql.append(sql)
        w.queries += 1
        outcome = await _checks.predicate_outcome(
            rule, self.pool, sql, sample_size=self.sample_size, timeout=self.timeout
        )
        await self._finish(w, outcome.scanned, outcome.failing, (), outcome)

    async def _table_answers(self, table: str, batch: list[_Work]) -> bool:
        """Whether a bare count of ``table`` works; if not, every rule errored."""
        sql = _sql.count_sql(table, self.dialect)
        for w in batch:
            w.sql.append(sql)
        try:
            await self.pool.fetch_rows(sql, timeout=self.timeout)
        except ConnectorError as exc:
            self._errored(batch, exc)
            return False
        return True

    async def _finish(
        self,
        w: _Work,
        scanned: int | None,
        failing: int | None,
        values: Sequence[object],
        outcome: Outcome | None = None,
    ) -> None:
        rule = w.rule
        details: dict[str, Any] = {} if outcome is None else dict(outcome.details)
        if isinstance(rule, RowCount):
            assert scanned is not None
            details["row_count"] = scanned
            failing = max(
                (rule.min or 0) - scanned,
                scanned - rule.max if rule.max is not None else 0,
                0,
            )
        elif isinstance(rule, AggregateRule):
            value = _aggregate(rule, values, scanned or 0)
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
        elif isinstance(rule, Unique | DuplicateRows):
            details["duplicated_values"] = _count(values[0])
            if isinstance(rule, DuplicateRows):
                details["extra_rows"] = _count(values[1])
            elif isinstance(rule, PrimaryKey):
                details["null_rows"] = _count(values[1])
                assert failing is not None
                details["duplicated_rows"] = failing - details["null_rows"]
        assert failing is not None
        status = _status(rule, failing, scanned)
        samples: tuple[dict[str, Any], ...] = () if outcome is None else outcome.samples
        if status is not Status.PASSED and outcome is None:
            samples = await self._samples(w, details)
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
            cache_hit=w.queries > 0 and w.cache_hits == w.queries,
        )

    async def _samples(
        self, w: _Work, details: dict[str, Any]
    ) -> tuple[dict[str, Any], ...]:
        """A failed rule's sample rows (and accepted_values' bad values)."""
        if strategy(w.rule, self.dialect) == "query":
            sample_sql = _sql.standalone_sql(
                w.rule,
                self.dialect,
                sample_size=self.sample_size,
                sample_keys=w.sample_keys,
            )[1]
            bad_sql = None
        else:
            sample_sql, bad_sql = _sql.sample_sql(
                w.rule,
                self.dialect,
                sample_size=self.sample_size,
                bad_values_limit=self.bad_values_limit,
            )
        found: dict[str, Rows] = {}
        w.sql.extend(sql for sql in (sample_sql, bad_sql) if sql is not None)

        async def fetch(name: str, sql: str) -> None:
            found[name] = await self._fetch(sql, [w], record=False)

        try:
            async with anyio.create_task_group() as tg:
                for name, sql in (("samples", sample_sql), ("bad", bad_sql)):
                    if sql is not None:
                        tg.start_soon(fetch, name, sql)
        except* ConnectorError as group:
            first = group.exceptions[0]
            assert isinstance(first, ConnectorError)
            details["samples_error"] = first.message
        if "bad" in found:
            details["bad_values"] = found["bad"].column(0)
        return tuple(found["samples"].to_pylist()) if "samples" in found else ()

    def _errored(self, batch: list[_Work], exc: ConnectorError) -> None:
        for w in batch:
            self.results[w.index] = _result(
                w.rule,
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
    if isinstance(rule, Quantile):
        return _finish_quantile(rule.q, values)
    if isinstance(rule, StdDev):
        return _finish_stddev(values)
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


def _finish_quantile(q: float, values: Sequence[object]) -> float | None:
    """The quantile from the figures of its standalone query (after rows scanned)."""
    if len(values) == 1:
        return None if values[0] is None else float(values[0])  # type: ignore[arg-type]
    low, high, count = values
    if count is None or low is None or high is None:
        return None
    position = 1 + q * (int(count) - 1)  # type: ignore[call-overload]
    fraction = position - math.floor(position)
    low, high = float(low), float(high)  # type: ignore[arg-type]
    return float(low + fraction * (high - low))


def _finish_stddev(parts: Sequence[object]) -> float | None:
    """The deviation from ``_dialects.stddev_parts`` (computed on SQLite)."""
    if len(parts) == 1:
        return None if parts[0] is None else float(parts[0])  # type: ignore[arg-type]
    count, total, squares = (float(p or 0) for p in parts)  # type: ignore[arg-type]
    if count < 2:
        return None
    variance = (squares - total * total / count) / (count - 1)
    return math.sqrt(max(variance, 0.0))  # rounding can dip below 0


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


def _status(rule: BaseRule, failing: int, scanned: int | None) -> Status:
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
        column=getattr(rule, "column", None),
        tags=rule.tags,
        **fields,
    )
