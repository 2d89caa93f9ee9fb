"""Running unit tests: each one a scheduler task, isolated, with its fixtures.

:func:`run_tests` hands every test to the same :class:`~sqltest_core.scheduler.
LocalExecutor` that runs rules: tests run concurrently within each pool's size,
and each ends as a :class:`~sqltest_core.results.RuleResult` of kind ``test``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
import traceback
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqltest_core._logging import get_logger
from sqltest_core.errors import (
    ConfigError,
    ConnectorError,
)
from sqltest_core.results import RuleResult, Status
from sqltest_core.testing._case import UnitTest, as_unit_tests
from sqltest_core.testing._db import RunOptions, TestDB
from sqltest_core.testing._diff import ResultMismatch
from sqltest_core.testing._isolation import (
    Isolation,
    RunId,
    default_isolation,
    isolate,
    sweep,
    with_database,
)

if TYPE_CHECKING:
    from sqltest_core.connectors import Connection, Pool, Pools
    from sqltest_core.results import RunResult
    from sqltest_core.scheduler import Listener, RunContext

__all__ = ["TestTask", "execute_test", "run_tests"]

_log = get_logger("sqltest_core.testing")
_INSERT_CELLS = 2_000


async def execute_test(test: UnitTest, pool: Pool, options: RunOptions) -> RuleResult:
    """Run one test on ``pool`` inside its isolation; its result (never raises)."""
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    base: dict[str, Any] = {
        "rule_id": test.id,
        "kind": "test",
        "description": test.description,
        "source": pool.name,
        "tags": test.marks,
        "started_at": started,
    }
    if test.skip is not None:
        return RuleResult(status=Status.SKIPPED, reason=test.skip, **base)
    db: TestDB | None = None
    status, reason = Status.PASSED, None
    details: dict[str, Any] = {}
    failing: int | None = None
    samples: tuple[dict[str, Any], ...] = ()
    try:
        async with pool.acquire() as conn:
            loads = any(f.load == "table" for f in test.fixtures)
            mode = (
                test.isolation
                or options.isolation
                or default_isolation(pool.dialect, tables=loads)
            )
            async with isolate(
                conn,
                mode,
                dialect=pool.dialect,
                run=options.run,
                template=options.template,
                open_database=lambda name: _connect(pool, name),
            ) as scratch:
                db = TestDB(
                    scratch,
                    dialect=pool.dialect,
                    test_id=test.id,
                    options=options,
                    freeze_time=test.freeze_time,
                )
                tables = await options.store.resolve(
                    test.fixtures, module=test.module, query=db._fixture_query
                )
                await db.install(test.fixtures, tables)
                try:
                    await test.body(db)
                finally:
                    await db.cleanup()
    except ResultMismatch as exc:
        status, reason = Status.FAILED, str(exc)
        failing, samples, details = _diff_details(exc.diff)
    except AssertionError as exc:
        status = Status.FAILED
        reason = str(exc) or _where(exc) or "assertion failed"
    except Exception as exc:
        status, reason = Status.ERRORED, f"{type(exc).__name__}: {exc}"
    if db is not None:
        details["source_sql"] = list(db.source_sql)
        details["asserted_columns"] = sorted(db.asserted)
    return RuleResult(
        status=status,
        reason=reason,
        failing_count=failing,
        samples=samples,
        details=details,
        sql=tuple(db.statements) if db is not None else (),
        duration_ms=(time.perf_counter() - clock) * 1000,
        **base,
    )


def _where(exc: AssertionError) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    return f"assertion failed at {Path(last.filename).name}:{last.lineno}: {last.line}"


def _diff_details(
    diff: Mapping[str, Any],
) -> tuple[int | None, tuple[dict[str, Any], ...], dict[str, Any]]:
    if not any(k in diff for k in ("missing", "unexpected", "changed")):
        return None, (), {"mismatch": dict(diff)}
    missing = list(diff.get("missing", ()))
    unexpected = list(diff.get("unexpected", ()))
    changed = list(diff.get("changed", ()))
    columns = list(
        diff.get("columns") or dict.fromkeys(k for r in missing + unexpected for k in r)
    )
    count = sum(
        int(diff.get(f"{k}_count", len(diff.get(k, ()))))
        for k in ("missing", "unexpected", "changed")
    )
    samples = [{"_diff": "-", **r} for r in missing[:3]]
    samples += [{"_diff": "+", **r} for r in unexpected[:3]]
    shape = {
        "columns": columns,
        "missing": missing,
        "unexpected": unexpected,
        "changed": changed,
    }
    return count, tuple(samples), {"diff": shape}


@contextlib.asynccontextmanager
async def _connect(pool: Pool, database: str) -> AsyncIterator[Connection]:
    from sqltest_core.connectors import connector_for

    conn = await connector_for(with_database(pool.source, database)).connect()
    try:
        yield conn
    finally:
        await conn.aclose()


@dataclass(frozen=True, slots=True)
class TestTask:
    """A unit test as a scheduler :class:`~sqltest_core.scheduler.Task`."""

    __test__ = False

    test: UnitTest
    source: str
    options: RunOptions

    @property
    def id(self) -> str:
        """The test's id."""
        return self.test.id

    @property
    def depends_on(self) -> tuple[str, ...]:
        """Tests depend on nothing."""
        return ()

    @property
    def timeout(self) -> float | None:
        """The test's own timeout."""
        return self.test.timeout

    @property
    def result_fields(self) -> dict[str, object]:
        """What a result says of the test even when it never ran."""
        return {
            "kind": "test",
            "description": self.test.description,
            "tags": self.test.marks,
        }

    async def run(self, ctx: RunContext) -> RuleResult:
        """Run the test on its data source's pool."""
        return await execute_test(
            self.test, await ctx.pools.get(self.source), self.options
        )


async def run_tests(
    tests: Iterable[object],
    pools: Pools,
    *,
    source: str | None = None,
    max_concurrency: int = 8,
    isolation: Isolation | None = None,
    timeout: float | None = None,
    sweep_stale: bool = True,
    max_age: float = 6 * 3600,
    snapshot_dir: str = "__snapshots__",
    update_snapshots: bool | None = None,
    listeners: Sequence[Listener] = (),
    run_id: RunId | None = None,
    template: str | None = None,
) -> RunResult:
    """Run unit tests concurrently over ``pools``, through the rules' scheduler.

    Args:
        tests: TestCase subclasses, SQLTests, UnitTests, ``async def f(db)``.
        pools: The data sources' pools.
        source: Data source of tests that name none (default: the only one).
        max_concurrency: Tests running at once (each pool also caps its own).
        isolation: Overrides each engine's default isolation.
        timeout: Seconds for the whole run.
        sweep_stale: First drop scratch objects of dead or old runs.
        max_age: Seconds after which any run's scratch objects are stale.
        snapshot_dir: Directory of snapshot files.
        update_snapshots: Rewrite snapshots (default: ``SQLTEST_UPDATE_SNAPSHOTS``).
        listeners: Receive the scheduler's progress events.
        run_id: The run's id (names scratch objects); new by default.
        template: PostgreSQL template database for ``isolation: database``.

    Returns:
        One ``kind="test"`` result per test, in order; ``run_id`` is the
        scratch prefix's run id.
    """
    from sqltest_core.scheduler import LocalExecutor

    units = as_unit_tests(*tests)
    default = source or (pools.names[0] if len(pools.sources) == 1 else None)
    options = RunOptions(
        run=run_id or RunId.new(),
        isolation=isolation,
        snapshot_dir=snapshot_dir,
        update_snapshots=update_snapshots,
        template=template,
    )
    tasks = []
    for unit in units:
        name = unit.source or default
        if name is None or name not in pools.sources:
            raise ConfigError(
                f"test {unit.id!r}: no data source {name!r} "
                f"(configured: {', '.join(pools.names) or 'none'})"
            )
        tasks.append(TestTask(unit, name, options))
    if sweep_stale:
        for name in sorted({t.source for t in tasks}):
            pool = await pools.get(name)
            if pool.dialect == "sqlite":
                continue
            try:
                dropped = await sweep(pool, max_age=max_age)
            except ConnectorError as exc:
                _log.warning("sweep_failed", source=name, error=str(exc))
                continue
            if dropped:
                _log.info("swept_scratch", source=name, dropped=dropped)
    executor = LocalExecutor(
        max_concurrency=max_concurrency,
        on_failure="run",
        listeners=listeners,
        max_batch=1,
    )
    return await executor.run(tasks, pools, run_id=str(options.run), timeout=timeout)
