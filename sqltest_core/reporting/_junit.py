"""JUnit XML: what CI systems (GitHub, GitLab, Jenkins, Azure) show as test results."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from sqltest_core.reporting._base import mask_samples
from sqltest_core.reporting._summary import (
    columns_of,
    diff_rows,
    failing_text,
    fmt_value,
    other_details,
)
from sqltest_core.results import RuleResult, RunResult, Status

__all__ = ["JUnitReporter"]

# Characters XML 1.0 cannot carry at all, even escaped.
_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _timestamp(when: dt.datetime) -> str:
    # The JUnit schema's timestamp has no zone: write UTC.
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when.isoformat(timespec="seconds")


def _seconds(ms: float | None) -> str:
    return f"{(ms or 0.0) / 1000:.3f}"


def _table(columns: list[str], rows: list[list[str]]) -> list[str]:
    widths = [
        max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(columns)
    ]
    lines = [columns, ["-" * w for w in widths], *rows]
    sep = [" | "] * (len(columns) - 1)
    return [
        "".join(
            c.ljust(w) + (("-+-" if i == 1 else s) if s else "")
            for c, w, s in zip(line, widths, [*sep, ""], strict=True)
        ).rstrip()
        for i, line in enumerate(lines)
    ]


def _body(r: RuleResult) -> str:
    lines: list[str] = []
    if r.description:
        lines.append(r.description)
    if r.reason:
        lines.append(f"Reason: {r.reason}")
    if r.failing_count is not None:
        lines.append(f"Failing: {failing_text(r)}")
    for key, value in other_details(r.details).items():
        lines.append(f"{key}: {value}")
    if r.samples:
        columns = columns_of(r.samples)
        rows = [[fmt_value(s.get(c)) for c in columns] for s in r.samples]
        lines += [
            "",
            f"Sample failing rows ({len(r.samples)}):",
            *_table(columns, rows),
        ]
    columns, marked = diff_rows(r.details)
    if marked:
        rows = [[m, *(fmt_value(row.get(c)) for c in columns)] for m, row in marked]
        lines += ["", "Row diff (- expected, missing; + actual, unexpected):"]
        lines += _table(["", *columns], rows)
    for sql in r.sql:
        lines += ["", "SQL:", sql]
    return "\n".join(lines)


def _message(r: RuleResult) -> str:
    failing = failing_text(r)
    if failing:
        return f"{r.kind} {r.status.value} on {failing}"
    return f"{r.kind} {r.status.value}" + (f": {r.reason}" if r.reason else "")


@dataclass(frozen=True, slots=True)
class JUnitReporter:
    """JUnit XML: a ``testsuite`` per data source, a ``testcase`` per result.

    ``classname`` is ``<source>.<kind>`` so CI groups rules by kind within a
    source. Failed results become ``<failure>`` with counts, samples and SQL;
    errored ``<error>``; skipped ``<skipped>``. Warned results pass (they do
    not fail a run) with their details in ``<system-out>``, unless
    ``warned_as_failure``.

    Args:
        suite_name: Name of the top ``testsuites`` element.
        warned_as_failure: Report warned results as failures.
        mask_columns: Sensitive sample columns (names or globs) to mask.
    """

    name: ClassVar[str] = "junit"
    suffix: ClassVar[str] = ".xml"

    suite_name: str = "sqltest"
    warned_as_failure: bool = False
    mask_columns: Sequence[str] = ()

    def render(
        self, run: RunResult, *, history: Sequence[RunResult] | None = None
    ) -> bytes:
        """The XML document, UTF-8 encoded with a declaration."""
        run = mask_samples(run, self.mask_columns)
        suites: dict[str, list[RuleResult]] = {}
        for r in run.results:
            suites.setdefault(r.source or "default", []).append(r)
        root = ET.Element("testsuites", name=_clean(self.suite_name))
        totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
        total_ms = 0.0
        for source, results in suites.items():
            suite = ET.SubElement(root, "testsuite", name=_clean(source))
            counts = dict.fromkeys(totals, 0)
            for r in results:
                counts["tests"] += 1
                outcome = self._case(suite, source, r)
                if outcome is not None:
                    counts[outcome] += 1
            ms = sum(r.duration_ms or 0.0 for r in results)
            for key, value in counts.items():
                suite.set(key, str(value))
                totals[key] += value
            suite.set("time", _seconds(ms))
            if run.started_at is not None:
                suite.set("timestamp", _timestamp(run.started_at))
            total_ms += ms
            if run.run_id:
                props = ET.Element("properties")
                ET.SubElement(
                    props, "property", name="run_id", value=_clean(run.run_id)
                )
                suite.insert(0, props)
        for key, value in totals.items():
            root.set(key, str(value))
        root.set("time", _seconds(total_ms))
        ET.indent(root)
        xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        return xml + b"\n"

    def _case(self, suite: ET.Element, source: str, r: RuleResult) -> str | None:
        """Add ``r`` to ``suite``; return the counter it adds to, if any."""
        case = ET.SubElement(
            suite,
            "testcase",
            name=_clean(r.rule_id),
            classname=_clean(f"{source}.{r.kind}"),
            time=_seconds(r.duration_ms),
        )
        failed = r.status is Status.FAILED or (
            r.status is Status.WARNED and self.warned_as_failure
        )
        if failed:
            el = ET.SubElement(
                case, "failure", message=_clean(_message(r)), type=_clean(r.kind)
            )
            el.text = _clean(_body(r))
            return "failures"
        if r.status is Status.ERRORED:
            el = ET.SubElement(
                case,
                "error",
                message=_clean(r.reason or "errored"),
                type=_clean(r.kind),
            )
            el.text = _clean(_body(r))
            return "errors"
        if r.status is Status.SKIPPED:
            ET.SubElement(case, "skipped", message=_clean(r.reason or "skipped"))
            return "skipped"
        if r.status is Status.WARNED:
            out = ET.SubElement(case, "system-out")
            out.text = _clean(
                f"{_message(r)} (severity {r.severity.value})\n{_body(r)}"
            )
        return None
