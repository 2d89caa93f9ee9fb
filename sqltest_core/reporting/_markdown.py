"""Markdown: a summary for a CI job summary or a pull-request comment."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from sqltest_core.reporting._base import mask_samples
from sqltest_core.reporting._summary import (
    columns_of,
    diff_rows,
    other_details,
    summarize,
)
from sqltest_core.reporting._templates import environment
from sqltest_core.results import RuleResult, RunResult, Status

__all__ = ["ICONS", "MarkdownReporter", "run_duration_ms"]

ICONS = {
    Status.PASSED.value: "✅",
    Status.FAILED.value: "❌",
    Status.WARNED.value: "⚠️",
    Status.ERRORED.value: "💥",
    Status.SKIPPED.value: "⏭️",
}


def run_duration_ms(run: RunResult) -> float | None:
    """Wall time of the run, when both ends are known."""
    if run.started_at is None or run.finished_at is None:
        return None
    return (run.finished_at - run.started_at).total_seconds() * 1000


def _details(r: RuleResult) -> dict[str, str]:
    return other_details(r.details)


@dataclass(frozen=True, slots=True)
class MarkdownReporter:
    """GitHub-flavoured Markdown: counts, a table of what failed, collapsible details.

    Fits ``$GITHUB_STEP_SUMMARY`` and pull-request comments; every value is
    escaped, so a hostile rule id or sample renders as text.

    Args:
        max_details: Collapsible sections at most (comments are size-limited).
        template_dir: Folder searched before the built-in templates for
            ``markdown.md.j2``.
        mask_columns: Sensitive sample columns (names or globs) to mask.

    >>> from sqltest_core.results import RuleResult, RunResult
    >>> run = RunResult(results=[RuleResult(rule_id="a", status="passed")])
    >>> MarkdownReporter().render(run).splitlines()[0]
    '## ✅ sqltest: 1 of 1 passed'
    """

    name: ClassVar[str] = "markdown"
    suffix: ClassVar[str] = ".md"

    max_details: int = 50
    template_dir: str | os.PathLike[str] | None = None
    mask_columns: Sequence[str] = ()

    def render(
        self, run: RunResult, *, history: Sequence[RunResult] | None = None
    ) -> str:
        """The Markdown text; ``history`` adds newly failing and fixed rules."""
        run = mask_samples(run, self.mask_columns)
        env = environment(self.template_dir, autoescape=False)
        bad = (Status.FAILED, Status.WARNED, Status.ERRORED)
        order = {s: i for i, s in enumerate(bad)}
        attention = sorted(
            (r for r in run.results if r.status in bad),
            key=lambda r: order[r.status],
        )
        return env.get_template("markdown.md.j2").render(
            run=run,
            s=summarize(run, history),
            duration=run_duration_ms(run),
            attention=attention,
            skipped=[r for r in run.results if r.status is Status.SKIPPED],
            max_details=self.max_details,
            icons=ICONS,
            columns=columns_of,
            diff=diff_rows,
            details=_details,
        )
