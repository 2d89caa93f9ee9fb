"""Run history kept in SQL tables: an embedded file or a configured data source."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import sqlglot
from sqlglot import exp

from sqltest_core.connectors import Pool, open_pool, placeholder
from sqltest_core.errors import ConfigError
from sqltest_core.history._trend import result_rows, run_counts, trend_frame
from sqltest_core.results import RunResult

if TYPE_CHECKING:
    import polars as pl

__all__ = ["DEFAULT_PATH", "HistoryStore", "SQLHistory", "open_history"]

DEFAULT_PATH = Path(".sqltest") / "history.duckdb"
"""Where the ``sqltest`` command keeps its history unless told otherwise."""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}")
_INSERT_CHUNK = 500  # rows per multi-row INSERT: far below every engine's limits

# Written in MySQL's dialect (LONGTEXT holds any report) and transpiled by
# sqlglot for the target engine: TEXT on PostgreSQL, DuckDB, SQLite, Snowflake.
_RUNS_COLUMNS = (
    ("run_id", "VARCHAR(255)"),
    ("at_epoch", "DOUBLE"),
    ("recorded_epoch", "DOUBLE"),
    ("duration_ms", "DOUBLE"),
    ("total", "INT"),
    ("passed", "INT"),
    ("failed", "INT"),
    ("warned", "INT"),
    ("errored", "INT"),
    ("skipped", "INT"),
    ("payload", "LONGTEXT"),
)
_RESULT_COLUMNS = (
    ("run_id", "VARCHAR(255)"),
    ("at_epoch", "DOUBLE"),
    ("ordinal", "INT"),
    ("rule_id", "VARCHAR(1000)"),
    ("kind", "VARCHAR(100)"),
    ("status", "VARCHAR(20)"),
    ("severity", "VARCHAR(20)"),
    ("source_name", "VARCHAR(255)"),
    ("table_name", "VARCHAR(1000)"),
    ("failing_count", "BIGINT"),
    ("rows_scanned", "BIGINT"),
    ("duration_ms", "DOUBLE"),
)


@runtime_checkable
class HistoryStore(Protocol):
    """Where runs are recorded and read back; every method is a coroutine."""

    async def record(self, run: RunResult) -> None:
        """Store ``run`` (again: replaces an earlier record with its ``run_id``)."""
        ...

    async def runs(
        self, *, limit: int | None = None, since: dt.datetime | None = None
    ) -> list[RunResult]:
        """Recorded runs, oldest first: the latest ``limit``, from ``since`` on."""
        ...

    async def previous(self, run: RunResult) -> RunResult | None:
        """The latest run recorded before ``run`` (``run`` itself excluded)."""
        ...

    async def trend(
        self, rule_id: str | None = None, *, limit: int | None = None
    ) -> pl.DataFrame:
        """Pass rates and durations per run, or one rule's results over time."""
        ...

    async def aclose(self) -> None:
        """Release what the store opened."""
        ...


class SQLHistory:
    """A history in two tables of any data source: ``<table>`` and ``<table>_results``.

    ``<table>`` holds one row per run with its counts and the run's lossless
    JSON; ``<table>_results`` one row per rule or test, so trends are read
    without parsing reports. Both are created when missing. Times are stored as
    seconds since the epoch (UTC), which every engine sorts alike.

    Args:
        pool: An open pool, or one this store opens and closes (``owns_pool``).
        table: Table name, optionally schema-qualified (``ops.sqltest_history``).
        owns_pool: Close the pool in :meth:`aclose`.

    >>> import anyio
    >>> from sqltest_core.results import RuleResult, RunResult
    >>> async def main():
    ...     async with open_history("duckdb://:memory:") as store:
    ...         for n, status in enumerate(["passed", "failed", "passed"]):
    ...             await store.record(RunResult(run_id=f"run-{n}", results=[
    ...                 RuleResult(rule_id="orders.id_unique", status=status)]))
    ...         runs = await store.runs(limit=2)
    ...         before = await store.previous(runs[-1])
    ...         return [r.run_id for r in runs], before.run_id
    >>> anyio.run(main)
    (['run-1', 'run-2'], 'run-1')
    """

    def __init__(
        self, pool: Pool, *, table: str = "sqltest_history", owns_pool: bool = False
    ) -> None:
        self.pool = pool
        self._owns_pool = owns_pool
        dialect = pool.dialect
        if not _NAME.fullmatch(table):
            raise ConfigError(
                f"bad history table name {table!r}: expected name, schema.name "
                "or db.schema.name of letters, digits and underscores"
            )
        # Plain names stay unquoted, so each engine folds them its own way.
        runs = exp.to_table(table, dialect=dialect)
        results = runs.copy()
        results.set("this", exp.to_identifier(f"{runs.name}_results"))
        self.table = table
        self._runs = runs.sql(dialect=dialect)
        self._results = results.sql(dialect=dialect)
        self._dialect = dialect
        self._ready = False

    async def __aenter__(self) -> SQLHistory:
        await self.pool.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pool if this store opened it."""
        if self._owns_pool:
            await self.pool.aclose()

    # -- writing -------------------------------------------------------------------

    async def _ensure(self) -> None:
        if self._ready:
            return
        await self.pool.open()
        for name, columns in (
            (self._runs, _RUNS_COLUMNS),
            (self._results, _RESULT_COLUMNS),
        ):
            body = ", ".join(f"{col} {kind}" for col, kind in columns)
            ddl = f"CREATE TABLE IF NOT EXISTS {name} ({body})"
            await self.pool.execute(
                sqlglot.transpile(ddl, read="mysql", write=self._dialect)[0]
            )
        self._ready = True

    def _params(self, count: int, start: int = 0) -> str:
        style = self.pool.connector.paramstyle
        return ", ".join(placeholder(style, start + i) for i in range(count))

    def _insert(self, table: str, columns: Sequence[tuple[str, str]], rows: int) -> str:
        width = len(columns)
        values = ", ".join(f"({self._params(width, r * width)})" for r in range(rows))
        names = ", ".join(col for col, _ in columns)
        return f"INSERT INTO {table} ({names}) VALUES {values}"

    async def record(self, run: RunResult) -> None:
        """Store ``run`` and one row per result, in one transaction.

        Recording a ``run_id`` again replaces the earlier record.
        """
        await self._ensure()
        at = _epoch(run.started_at or run.finished_at) or time.time()
        counts = run_counts(run)
        run_row: list[object] = [
            run.run_id,
            at,
            time.time(),
            _duration_ms(run),
            *counts,
            run.model_dump_json(),
        ]
        rows = result_rows(run, at)
        by_id = self._params(1)
        async with self.pool.transaction() as conn:
            for table in (self._results, self._runs):
                await conn.execute(
                    f"DELETE FROM {table} WHERE run_id = {by_id}", [run.run_id]
                )
            await conn.execute(self._insert(self._runs, _RUNS_COLUMNS, 1), run_row)
            for start in range(0, len(rows), _INSERT_CHUNK):
                chunk = rows[start : start + _INSERT_CHUNK]
                flat = [value for row in chunk for value in row]
                sql = self._insert(self._results, _RESULT_COLUMNS, len(chunk))
                await conn.execute(sql, flat)

    # -- reading -------------------------------------------------------------------

    async def runs(
        self, *, limit: int | None = None, since: dt.datetime | None = None
    ) -> list[RunResult]:
        """Recorded runs, oldest first: the latest ``limit`` from ``since`` on.

        Each is the run exactly as recorded (its JSON read back).
        """
        await self._ensure()
        where, params = "", []
        if since is not None:
            where, params = f" WHERE at_epoch >= {self._params(1)}", [_epoch(since)]
        sql = (
            f"SELECT payload FROM {self._runs}{where} "
            "ORDER BY at_epoch DESC, recorded_epoch DESC"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        table = await self.pool.fetch_arrow(sql, params)
        payloads = table.column(0).to_pylist()
        return [RunResult.model_validate_json(p) for p in reversed(payloads)]

    async def previous(self, run: RunResult) -> RunResult | None:
        """The latest run other than ``run`` recorded at or before its start."""
        await self._ensure()
        at = _epoch(run.started_at or run.finished_at) or time.time()
        sql = (
            f"SELECT payload FROM {self._runs} "
            f"WHERE run_id <> {self._params(1)} AND at_epoch <= {self._params(1, 1)} "
            "ORDER BY at_epoch DESC, recorded_epoch DESC LIMIT 1"
        )
        table = await self.pool.fetch_arrow(sql, [run.run_id, at])
        if not table.num_rows:
            return None
        return RunResult.model_validate_json(table.column(0)[0].as_py())

    async def trend(
        self, rule_id: str | None = None, *, limit: int | None = None
    ) -> pl.DataFrame:
        """Trends as a polars frame, oldest run first (see ``docs/history.md``).

        Without ``rule_id``: one row per run with its counts, ``pass_rate``
        (passed over evaluated, as the reports compute it) and ``duration_ms``.
        With ``rule_id``: one row per run that ran the rule, with its
        ``status``, ``failing_count``, ``rows_scanned``, ``failing_ratio`` and
        ``duration_ms``. ``limit`` keeps the latest runs.
        """
        await self._ensure()
        if rule_id is None:
            cols = "run_id, at_epoch, total, passed, failed, warned, errored, skipped"
            sql = f"SELECT {cols}, duration_ms FROM {self._runs}"
            params: list[object] = []
        else:
            cols = "run_id, at_epoch, rule_id, kind, status, severity, failing_count"
            sql = (
                f"SELECT {cols}, rows_scanned, duration_ms FROM {self._results} "
                f"WHERE rule_id = {self._params(1)}"
            )
            params = [rule_id]
        sql += " ORDER BY at_epoch DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        table = await self.pool.fetch_arrow(sql, params)
        return trend_frame(table, per_rule=rule_id is not None)


def open_history(
    target: str | os.PathLike[str] | Pool | None = None,
    *,
    table: str = "sqltest_history",
) -> SQLHistory:
    """A history store for ``target``; use ``async with`` (or call ``aclose``).

    Args:
        target: An open :class:`~sqltest_core.connectors.Pool` (a table in a
            configured data source; not closed by the store), a data-source URL
            (``postgresql://...``, ``duckdb:///h.duckdb``), or a file path: a
            ``.sqlite``/``.sqlite3``/``.db`` file is SQLite, anything else an
            embedded DuckDB file. Default: ``.sqltest/history.duckdb``.
        table: Table name (schema-qualified if you like).
    """
    if isinstance(target, Pool):
        return SQLHistory(target, table=table)
    text = os.fspath(DEFAULT_PATH if target is None else target)
    if "://" in text:
        url = text
    else:
        path = Path(text).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = "sqlite" if path.suffix in (".sqlite", ".sqlite3", ".db") else "duckdb"
        url = f"{engine}:///{path}"
    pool = open_pool(url, name="history", pool={"min_size": 0, "max_size": 1})
    return SQLHistory(pool, table=table, owns_pool=True)


def _epoch(value: dt.datetime | None) -> float | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


def _duration_ms(run: RunResult) -> float | None:
    if run.started_at is None or run.finished_at is None:
        return None
    return (run.finished_at - run.started_at).total_seconds() * 1000
