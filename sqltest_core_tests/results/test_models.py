from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from sqltest_core.results import RuleResult, RunResult, Severity, Status


def sample_run() -> RunResult:
    return RunResult(
        run_id="r1",
        started_at=dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC),
        finished_at=dt.datetime(2026, 11, 28, 12, 0, 1, tzinfo=dt.UTC),
        results=[
            RuleResult(
                rule_id="a", status=Status.PASSED, rows_scanned=10, failing_count=0
            ),
            RuleResult(
                rule_id="b",
                status="failed",
                kind="accepted_values",
                severity=Severity.ERROR,
                source="wh",
                table="sales.orders",
                tags=("finance",),
                failing_count=2,
                rows_scanned=8,
                samples=({"id": 1, "status": "lost"}, {"id": 7, "status": None}),
                details={"bad_values": ["lost", "<x>"]},
                sql=("select 1",),
                duration_ms=3.5,
            ),
            RuleResult(rule_id="c", status="skipped", reason="dependency b failed"),
        ],
    )


def test_json_round_trip_is_lossless() -> None:
    run = sample_run()
    again = RunResult.model_validate_json(run.model_dump_json())
    assert again == run
    assert again["b"].samples[0] == {"id": 1, "status": "lost"}


def test_counts_ratio_and_ok() -> None:
    run = sample_run()
    assert run.counts == {"passed": 1, "failed": 1, "skipped": 1}
    assert not run.ok
    assert run["b"].failing_ratio == 0.25
    assert run["c"].failing_ratio is None
    assert RunResult(results=[RuleResult(rule_id="w", status="warned")]).ok
    with pytest.raises(KeyError):
        run["zzz"]


def test_arrow_and_polars_have_one_row_per_result() -> None:
    table = sample_run().to_arrow()
    assert table.num_rows == 3
    assert table.column("failing_ratio").to_pylist() == [0.0, 0.25, None]
    assert table.column("tags").to_pylist()[1] == ["finance"]
    frame = sample_run().to_polars()
    assert frame["status"].to_list() == ["passed", "failed", "skipped"]


def test_html_escapes_and_colours() -> None:
    html = sample_run()._repr_html_()
    assert "dependency b failed" in html
    assert "#cf222e" in html
    evil = RunResult(results=[RuleResult(rule_id="<script>", status="passed")])
    assert "<script>" not in evil._repr_html_()


def test_results_are_frozen_and_strict() -> None:
    result = RuleResult(rule_id="a", status="passed")
    with pytest.raises(ValidationError):
        result.status = Status.FAILED  # type: ignore[misc]
    with pytest.raises(ValidationError):
        RuleResult(rule_id="a", status="exploded")
