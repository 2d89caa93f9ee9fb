"""Reporting: render a :class:`~sqltest_core.results.RunResult` as files people read.

Built-in formats: ``json`` (lossless, versioned), ``junit`` (CI test results),
``csv``, ``markdown`` (job summaries, PR comments), ``html`` (one
self-contained interactive file) and ``pdf`` (the HTML laid out for print; the
``pdf`` extra). Reporters only read results.

Add a format by publishing a class that fits :class:`Reporter` under the
``sqltest_core.reporters`` entry-point group, or for a test,
``registry.register("name", MyReporter)``.

>>> from sqltest_core.results import RuleResult, RunResult
>>> run = RunResult(results=[RuleResult(rule_id="a", status="passed")])
>>> sorted(registry.names())
['csv', 'html', 'json', 'junit', 'markdown', 'pdf']
>>> make_reporter("json").render(run).startswith("{")
True
"""

from __future__ import annotations

from sqltest_core.reporting._base import (
    MASK,
    Reporter,
    ReporterFactory,
    make_reporter,
    mask_samples,
    registry,
    render_all,
    reporter_for_path,
    write,
)
from sqltest_core.reporting._csv import CSV_COLUMNS, CSVReporter
from sqltest_core.reporting._html import HTMLReporter
from sqltest_core.reporting._json import (
    SCHEMA_VERSION,
    JSONReporter,
    json_schema,
    load_run,
)
from sqltest_core.reporting._junit import JUnitReporter
from sqltest_core.reporting._markdown import MarkdownReporter
from sqltest_core.reporting._pdf import PDFReporter

__all__ = [
    "CSV_COLUMNS",
    "MASK",
    "SCHEMA_VERSION",
    "CSVReporter",
    "HTMLReporter",
    "JSONReporter",
    "JUnitReporter",
    "MarkdownReporter",
    "PDFReporter",
    "Reporter",
    "ReporterFactory",
    "json_schema",
    "load_run",
    "make_reporter",
    "mask_samples",
    "registry",
    "render_all",
    "reporter_for_path",
    "write",
]
