"""HTML: one self-contained, interactive report file (no network, CSS and JS inline)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from sqltest_core.reporting._base import MASK, mask_samples
from sqltest_core.reporting._markdown import run_duration_ms
from sqltest_core.reporting._summary import (
    STATUSES,
    columns_of,
    diff_rows,
    failing_text,
    other_details,
    summarize,
)
from sqltest_core.reporting._templates import environment
from sqltest_core.results import RuleResult, RunResult, Severity

__all__ = ["HTMLReporter"]

_STATUS_RANK = {s.value: i for i, s in enumerate(STATUSES)}
_SEVERITY_RANK = {s.value: i for i, s in enumerate(Severity)}


def _search_text(r: RuleResult) -> str:
    parts = [r.rule_id, r.kind, r.description, r.source, r.table, r.reason, *r.tags]
    return " ".join(p for p in parts if p).casefold()


@dataclass(frozen=True, slots=True)
class HTMLReporter:
    """One HTML file: executive summary, a sortable filterable table, drill-downs.

    The file needs no network (a Content-Security-Policy forbids it) and
    opens from disk. Every value is escaped by jinja2's autoescaping, and the
    data reaches the script only through escaped ``data-`` attributes.

    Args:
        title: Heading and ``<title>`` of the page.
        template_dir: Folder searched before the built-in templates
            (``report.html.j2``, ``report.css``, ``report.js``), to override
            any of them.
        mask_columns: Sensitive sample columns (names or globs) to mask.

    >>> from sqltest_core.results import RuleResult, RunResult
    >>> run = RunResult(results=[RuleResult(rule_id="<script>", status="failed")])
    >>> page = HTMLReporter().render(run)
    >>> "&lt;script&gt;" in page, "<script>alert" in page
    (True, False)
    """

    name: ClassVar[str] = "html"
    suffix: ClassVar[str] = ".html"

    title: str = "sqltest report"
    template_dir: str | os.PathLike[str] | None = None
    mask_columns: Sequence[str] = ()

    def render(
        self, run: RunResult, *, history: Sequence[RunResult] | None = None
    ) -> str:
        """The page; ``history`` (oldest first) adds changes and sparklines."""
        run = mask_samples(run, self.mask_columns)
        env = environment(self.template_dir, autoescape=True)
        summary = summarize(run, history)
        positions = {id(r): i for i, r in enumerate(run.results, 1)}
        return env.get_template("report.html.j2").render(
            title=self.title,
            run=run,
            s=summary,
            duration=run_duration_ms(run),
            statuses=[s.value for s in STATUSES],
            severities=[s.value for s in Severity],
            status_rank=_STATUS_RANK,
            severity_rank=_SEVERITY_RANK,
            sources=sorted({r.source for r in run.results if r.source}),
            tables=sorted({(r.source, r.table) for r in run.results if r.table}),
            kinds=sorted({r.kind for r in run.results}),
            mask=MASK,
            columns=columns_of,
            diff=diff_rows,
            details=lambda r: other_details(r.details),
            failing=failing_text,
            search_text=_search_text,
            pos=lambda r: positions[id(r)],
        )
