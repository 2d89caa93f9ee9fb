"""What the command prints: coloured statuses, the summary table, progress."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from sqltest_core.results import Coverage, RuleResult, RunResult, Status
from sqltest_core.scheduler import Event, RunStarted, TaskFinished

if TYPE_CHECKING:
    from sqltest_core.history import Changes

__all__ = [
    "STYLES",
    "RunProgress",
    "coverage_line",
    "status_text",
    "summary_line",
    "summary_table",
]

STYLES = {
    Status.PASSED: "green",
    Status.FAILED: "bold red",
    Status.WARNED: "yellow",
    Status.ERRORED: "bold magenta",
    Status.SKIPPED: "dim",
}
SHOW_ALL_UP_TO = 40  # results; beyond, passed ones are left out unless --verbose


def status_text(status: Status) -> Text:
    """The status word in its colour."""
    return Text(status.value, style=STYLES[status])


def _failing(r: RuleResult) -> str:
    if r.failing_count is None:
        return ""
    if r.failing_ratio is not None:
        return f"{r.failing_count:,} ({r.failing_ratio:.1%})"
    return f"{r.failing_count:,}"


def _note(r: RuleResult) -> str:
    if r.reason:
        return r.reason.strip().splitlines()[0]
    details = r.details
    for key in ("bad_values", "duplicated_values", "value", "newest"):
        if key in details and r.status is not Status.PASSED:
            text = str(details[key])
            return f"{key}: {text[:60]}{'...' if len(text) > 60 else ''}"
    return ""


def summary_table(
    run: RunResult, *, verbose: bool = False, width: int = 160
) -> tuple[Table, int]:
    """A table of the results; passed ones only when few or ``verbose``.

    Below 120 columns, kind, data source and timing are left out so that the
    ids stay readable. Returns the table and how many passed results it omits.
    """
    show_all = verbose or len(run.results) <= SHOW_ALL_UP_TO
    shown = [r for r in run.results if show_all or r.status is not Status.PASSED]
    wide = width >= 120
    # Fixed widths: rich would otherwise squeeze the ids to nothing when a
    # note is long. Each column costs 3 characters of padding and border.
    widths = {"status": 7, "failing": 12}
    if wide:
        widths |= {"kind": 14, "where": 20, "ms": 5}
    used = sum(widths.values()) + 3 * (len(widths) + 2)
    longest = max((len(r.rule_id) for r in shown), default=11)
    id_width = max(11, min(longest, width - used - 16))
    note_width = max(10, width - used - id_width)
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("status", no_wrap=True, width=7)
    table.add_column("rule / test", width=id_width, overflow="fold")
    if wide:
        table.add_column("kind", no_wrap=True, overflow="ellipsis", width=14)
        table.add_column("where", no_wrap=True, overflow="ellipsis", width=20)
    table.add_column("failing", justify="right", no_wrap=True, width=12)
    if wide:
        table.add_column("ms", justify="right", no_wrap=True, width=5)
    table.add_column("note", no_wrap=True, overflow="ellipsis", max_width=note_width)
    for r in shown:
        where = ".".join(p for p in (r.source, r.table) if p)
        ms = "" if r.duration_ms is None else f"{r.duration_ms:,.0f}"
        cells = (
            (r.rule_id, r.kind, where, _failing(r), ms, _note(r))
            if wide
            else (r.rule_id, _failing(r), _note(r))
        )
        table.add_row(status_text(r.status), *(Text(c) for c in cells))
    return table, len(run.results) - len(shown)


def coverage_line(coverage: Coverage) -> Text:
    """``coverage of main: tables 80.0%, columns 52.5% (12 unread), ...``."""
    text = (
        f"coverage of {coverage.schema_name}: tables {coverage.table_percent}%, "
        f"columns {coverage.column_percent}%"
    )
    unread = coverage.uncovered_columns
    if unread:
        text += f" ({len(unread)} unread: {', '.join(unread[:5])}"
        text += ", ...)" if len(unread) > 5 else ")"
    if coverage.outputs:
        text += f", test outputs asserted {coverage.asserted_percent}%"
    return Text(text)


def summary_line(run: RunResult) -> Text:
    """``✔ passed: 12 of 12`` or ``✘ failed: 9 of 12 passed, 2 failed, 1 warned``."""
    counts = run.counts
    total = len(run.results)
    parts = [
        Text(f"{counts[s.value]} {s.value}", style=STYLES[s])
        for s in Status
        if s is not Status.PASSED and counts.get(s.value)
    ]
    head = (
        Text("✔ all passed", style="bold green")
        if run.ok
        else Text("✘ failed", style="bold red")
    )
    line = Text.assemble(head, f": {counts.get('passed', 0)} of {total} passed")
    for part in parts:
        line.append(", ")
        line.append_text(part)
    if run.started_at and run.finished_at:
        seconds = (run.finished_at - run.started_at).total_seconds()
        line.append(f" in {seconds:.2f}s")
    return line


def changes_lines(found: Changes) -> list[Text]:
    """What changed since the previous recorded run."""
    lines = []
    if found.newly_failing:
        names = ", ".join(found.newly_failing)
        lines.append(Text(f"newly failing: {names}", style="red"))
    if found.fixed:
        lines.append(Text(f"fixed: {', '.join(found.fixed)}", style="green"))
    if not lines:
        lines.append(Text("no change in failures since the previous run", style="dim"))
    return lines


class RunProgress:
    """A rich progress bar fed by the scheduler's events (a listener)."""

    def __init__(self, console: Console, *, enabled: bool) -> None:
        self.enabled = enabled
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[bad]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not enabled,
        )
        self._task = self._progress.add_task("running", total=0, bad="")
        self._total = 0
        self._bad: dict[str, int] = {}

    def __enter__(self) -> RunProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._progress.stop()

    def describe(self, text: str) -> None:
        """Say what is running (rules, tests)."""
        self._progress.update(self._task, description=text)

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._total += event.total
            self._progress.update(self._task, total=self._total)
        elif isinstance(event, TaskFinished):
            status = event.result.status
            if status in (Status.FAILED, Status.ERRORED, Status.WARNED):
                self._bad[status.value] = self._bad.get(status.value, 0) + 1
            bad = " ".join(
                f"[{STYLES[Status(k)]}]{n} {k}[/]" for k, n in self._bad.items()
            )
            self._progress.update(self._task, advance=1, bad=bad)


def merge_runs(runs: Sequence[RunResult], run_id: str) -> RunResult:
    """One run holding the results of several (rules, then tests)."""
    starts = [r.started_at for r in runs if r.started_at]
    ends = [r.finished_at for r in runs if r.finished_at]
    return RunResult(
        run_id=run_id,
        started_at=min(starts) if starts else None,
        finished_at=max(ends) if ends else None,
        results=tuple(r for run in runs for r in run.results),
    )
