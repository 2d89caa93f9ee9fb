from __future__ import annotations

from pathlib import Path

from sqltest_core.reporting import MarkdownReporter
from sqltest_core.results import RuleResult, RunResult
from sqltest_core_tests.reporting._fixture import (
    assert_golden,
    golden_run,
    history_runs,
)


def test_markdown_matches_golden() -> None:
    assert_golden(
        "report.md", MarkdownReporter().render(golden_run(), history=history_runs())
    )


def test_markdown_headline_counts_and_failing_table() -> None:
    lines = MarkdownReporter().render(golden_run()).splitlines()
    assert (
        lines[0]
        == "## ❌ sqltest: 3 of 8 passed, 2 failed, 1 warned, 1 errored, 1 skipped"
    )
    assert (
        lines[2]
        == "Run <code>nightly-42</code> · started 2026-11-28T06:00:00+00:00 · took 4.25 s"
    )
    assert "| 3 | 2 | 1 | 1 | 1 | 42.86% |" in lines
    table = [line for line in lines if line.startswith(("| ❌", "| ⚠️", "| 💥"))]
    assert table == [
        "| ❌ failed | orders.status\\_known | accepted\\_values | warehouse | sales.orders | 12 | 1.20% | error |",
        "| ❌ failed | test.monthly\\_revenue | test | warehouse | analytics.monthly\\_revenue | 3 |  | error |",
        "| ⚠️ warned | &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; | custom | warehouse | sales.&lt;orders&gt; | 1 | 33.33% | warn |",
        "| 💥 errored | customers.email\\_not\\_null | not\\_null | crm | public.customers |  |  | error |",
    ]
    assert sum(line.startswith("<details>") for line in lines) == 5


def test_markdown_never_emits_raw_html_from_data() -> None:
    text = MarkdownReporter().render(golden_run())
    assert "<script>" not in text
    assert "<img" not in text
    assert "<b>" not in text
    assert "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "\\[link\\](http://x)" in text


def test_markdown_reports_changes_since_the_previous_run() -> None:
    text = MarkdownReporter().render(golden_run(), history=history_runs())
    assert "Since the previous run: 4 newly failing, 0 fixed." in text
    assert text.count("- 🆕 ") == 4


def test_markdown_limits_collapsible_sections() -> None:
    text = MarkdownReporter(max_details=1).render(golden_run())
    assert text.count("<details>") == 2  # one failure and the skipped list
    assert "…and 3 more; see the full report." in text


def test_markdown_masks_and_all_green() -> None:
    text = MarkdownReporter(mask_columns=["customer_email"]).render(golden_run())
    assert "zoë@example.com" not in text
    assert "| 7 | lost | •••• |" in text
    ok = MarkdownReporter().render(
        RunResult(results=[RuleResult(rule_id="a", status="passed")])
    )
    assert ok == (
        "## ✅ sqltest: 1 of 1 passed\n\n"
        "| passed | failed | warned | errored | skipped | pass rate |\n"
        "| ---: | ---: | ---: | ---: | ---: | ---: |\n"
        "| 1 | 0 | 0 | 0 | 0 | 100.00% |\n"
    )


def test_markdown_template_can_be_overridden(tmp_path: Path) -> None:
    (tmp_path / "markdown.md.j2").write_text(
        "{{ s.total }} results, {{ run.run_id | md }}\n"
    )
    assert (
        MarkdownReporter(template_dir=tmp_path).render(golden_run())
        == "8 results, nightly-42\n"
    )
