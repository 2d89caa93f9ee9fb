"""``sqltest run``: rules and tests from paths, progress, history, reports."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from sqltest_core.cli._console import RunProgress, merge_runs
from sqltest_core.config import Settings
from sqltest_core.connectors import Pool, Pools
from sqltest_core.delivery import DeliveryResult, Target
from sqltest_core.errors import (
    CircuitOpenError,
    ConnectError,
    RetryExhausted,
    SqltestError,
)
from sqltest_core.history import HistoryStore, SQLHistory, open_history
from sqltest_core.results import RunResult, Status
from sqltest_core.rules import BaseRule
from sqltest_core.scheduler import (
    Event,
    Listener,
    TaskFinished,
    run_rules,
)

__all__ = [
    "FAIL_FAST_REASON",
    "Outcome",
    "RunOptions",
    "execute",
    "publish",
    "unreachable",
]

FAIL_FAST_REASON = "not run: --fail-fast stopped the run"
_SKIPPED_DEP = re.compile(r"dependency (.+) (?:failed|errored|was skipped)")


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What ``sqltest run`` was asked to do (after parsing the command line)."""

    concurrency: int = 8
    source: str | None = None
    fail_fast: bool = False
    tags: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    history: bool = True
    history_path: Path | None = None
    history_source: str | None = None
    history_table: str = "sqltest_history"
    history_runs: int = 20
    show_progress: bool = True
    run_id: str | None = None
    coverage: bool = False
    """Measure how much of the default source's schema the run's SQL read."""


@dataclass(slots=True)
class Outcome:
    """A finished run and what happened around it."""

    run: RunResult
    previous: list[RunResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stopped_early: bool = False


def unreachable(exc: BaseException) -> bool:
    """True when ``exc`` means a data source could not be reached at all."""
    if isinstance(exc, ConnectError | CircuitOpenError):
        return True
    return isinstance(exc, RetryExhausted) and isinstance(exc.__cause__, ConnectError)


def needed_sources(
    work: Sequence[object], settings: Settings, default: str | None = None
) -> list[str]:
    """Data sources rules and tests will use, to connect to before anything runs."""
    names: set[str] = set()
    configured = list(settings.data_sources)
    if default is None and len(configured) == 1:
        default = configured[0]
    for item in work:
        source = getattr(item, "source", None)
        for name in (source, getattr(item, "other_source", None)):
            if isinstance(name, str):
                names.add(name)
        if source is None and default is not None:
            names.add(default)
    return sorted(n for n in names if n in settings.data_sources)


async def _open_history(
    options: RunOptions, pools: Pools, project: Path
) -> HistoryStore | None:
    if not options.history:
        return None
    if options.history_source:
        pool = await pools.get(options.history_source)
        return SQLHistory(pool, table=options.history_table)
    path = options.history_path or project / ".sqltest" / "history.duckdb"
    return open_history(path, table=options.history_table)


async def execute(
    settings: Settings,
    rules: Sequence[BaseRule],
    tests: Sequence[Any],  # Any: tests as sqltest_core.testing.load_tests gives them
    options: RunOptions,
    *,
    project: Path,
    console: Console,
) -> Outcome:
    """Connect, run rules then tests, record history; return the merged run.

    Raises:
        ConfigError: before anything ran (unknown source, bad dependencies).
        ConnectError: a needed data source is unreachable, before anything ran.
    """
    run_id = options.run_id or secrets.token_hex(6)
    notes: list[str] = []
    pools = _StoppablePools(settings)
    async with pools:
        for name in needed_sources([*rules, *tests], settings, options.source):
            try:
                await pools.get(name)
            except Exception as exc:
                if unreachable(exc):
                    raise ConnectError(
                        f"data source {name!r} is unreachable: {_first_line(exc)}",
                        source=None,
                    ) from exc
                raise
        store = await _open_history(options, pools, project)
        previous: list[RunResult] = []
        if store is not None:
            try:
                previous = await store.runs(limit=options.history_runs)
            except Exception as exc:
                notes.append(f"history not read: {_first_line(exc)}")
        started = dt.datetime.now(dt.UTC)
        runs: list[RunResult] = []
        stopped = False
        with RunProgress(console, enabled=options.show_progress) as progress:
            if rules:
                progress.describe("rules")

                def check(listeners: Sequence[Listener]) -> Awaitable[RunResult]:
                    return run_rules(
                        rules,
                        pools,
                        source=options.source,
                        max_concurrency=options.concurrency,
                        listeners=listeners,
                        run_id=run_id,
                    )

                run, stopped = await _until_failure(check, pools, options, progress)
                runs.append(run)
            if tests and not stopped:
                progress.describe("tests")

                def test(listeners: Sequence[Listener]) -> Awaitable[RunResult]:
                    from sqltest_core.testing import run_tests

                    return run_tests(
                        list(tests),
                        pools,
                        source=options.source,
                        max_concurrency=options.concurrency,
                        listeners=listeners,
                    )

                run, stopped = await _until_failure(test, pools, options, progress)
                runs.append(run)
        merged = merge_runs(runs, run_id)
        if merged.started_at is None:
            now = dt.datetime.now(dt.UTC)
            merged = merged.model_copy(
                update={"started_at": started, "finished_at": now}
            )
        if options.coverage:
            merged = await _with_coverage(merged, settings, pools, options, notes)
        if store is not None:
            try:
                await store.record(merged)
            except Exception as exc:
                notes.append(f"history not recorded: {_first_line(exc)}")
            finally:
                await store.aclose()
    return Outcome(merged, previous, notes, stopped)


async def _with_coverage(
    run: RunResult,
    settings: Settings,
    pools: Pools,
    options: RunOptions,
    notes: list[str],
) -> RunResult:
    """``run`` with the coverage of its data source's default schema."""
    from sqltest_core.testing import measure_coverage

    names = needed_sources(run.results, settings, options.source)
    if len(names) != 1:
        notes.append(
            "coverage not measured: it needs exactly one data source "
            f"(used: {', '.join(names) or 'none'})"
        )
        return run
    pool = await pools.get(names[0])
    catalog = await pool.catalog()
    coverage = measure_coverage(run, catalog, dialect=pool.dialect)
    return run.model_copy(update={"coverage": coverage})


async def _until_failure(
    start: Callable[[Sequence[Listener]], Awaitable[RunResult]],
    pools: _StoppablePools,
    options: RunOptions,
    progress: RunProgress,
) -> tuple[RunResult, bool]:
    """Run ``start``; with ``--fail-fast``, start nothing after the first failure.

    Work already running finishes (scans are short); work not yet started finds
    the pools closed to it and ends ``skipped``. Stopping this way, rather than
    by cancelling the run, never interrupts a driver call halfway.
    """

    def stop_on_failure(event: Event) -> None:
        if (
            options.fail_fast
            and isinstance(event, TaskFinished)
            and event.result.status in (Status.FAILED, Status.ERRORED)
            and event.result.reason != FAIL_FAST_REASON
        ):
            pools.stopped = True

    run = await start([progress, stop_on_failure])
    if not pools.stopped:
        return run, False
    return _mark_not_run(run), True


def _mark_not_run(run: RunResult) -> RunResult:
    """Results cut off by ``--fail-fast`` become ``skipped``, and say so."""
    cut: set[str] = set()
    results = list(run.results)
    changed = True
    while changed:  # dependents may come before their dependencies in the list
        changed = False
        for i, r in enumerate(results):
            dep = _SKIPPED_DEP.fullmatch(r.reason or "")
            if r.reason == FAIL_FAST_REASON and r.status is Status.ERRORED:
                pass
            elif not (dep and dep[1] in cut and r.status is Status.SKIPPED):
                continue
            if r.rule_id not in cut:
                cut.add(r.rule_id)
                results[i] = r.model_copy(
                    update={"status": Status.SKIPPED, "reason": FAIL_FAST_REASON}
                )
                changed = True
    return run.model_copy(update={"results": tuple(results)})


class _StoppablePools(Pools):
    """Pools that refuse new work once ``stopped`` (for ``--fail-fast``)."""

    stopped = False

    async def get(self, name: str) -> Pool:
        if self.stopped:
            raise SqltestError(FAIL_FAST_REASON)
        return await super().get(name)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


async def publish(
    run: RunResult,
    formats: Sequence[str],
    folder: Path,
    targets: Sequence[Target],
    *,
    history: Sequence[RunResult],
    mask: Sequence[str],
) -> tuple[Mapping[str, Path], list[DeliveryResult]]:
    """Write the reports, then send them to ``targets`` (never losing the files)."""
    from sqltest_core.delivery import send, write_reports

    reports = await write_reports(
        run, folder=folder, formats=formats, history=history, mask_columns=mask
    )
    sent = await send(reports, targets) if targets else []
    return reports.paths, sent
