from __future__ import annotations

import csv
import io

from sqltest_core.reporting import CSV_COLUMNS, CSVReporter
from sqltest_core_tests.reporting._fixture import HOSTILE, assert_golden, golden_run


def test_csv_matches_golden() -> None:
    assert_golden("report.csv", CSVReporter().render(golden_run()))


def test_csv_has_one_row_per_result() -> None:
    rows = list(csv.DictReader(io.StringIO(CSVReporter().render(golden_run()))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(r["rule_id"], r["status"]) for r in rows] == [
        ("orders.id_unique", "passed"),
        ("orders.status_known", "failed"),
        (HOSTILE, "warned"),
        ("customers.email_not_null", "errored"),
        ("customers.fresh", "skipped"),
        ("test.monthly_revenue", "failed"),
        ("orders.amount_positive", "passed"),
        ("顧客.名前_present", "passed"),
    ]
    assert rows[1] == {
        "run_id": "nightly-42",
        "rule_id": "orders.status_known",
        "kind": "accepted_values",
        "status": "failed",
        "severity": "error",
        "source": "warehouse",
        "table": "sales.orders",
        "tags": "finance",
        "failing_count": "12",
        "rows_scanned": "1000",
        "failing_ratio": "0.012",
        "duration_ms": "840.0",
        "started_at": "2026-11-28T06:00:00.100000+00:00",
        "cache_hit": "false",
        "reason": "",
        "description": "Status is one of the known values",
    }
    assert rows[6]["cache_hit"] == "true"
    assert rows[0]["tags"] == "finance;nightly"


def test_csv_defuses_spreadsheet_formulas() -> None:
    from sqltest_core.results import RuleResult, RunResult

    run = RunResult(
        results=[
            RuleResult(
                rule_id="=1+1", status="failed", description="@SUM(A1)", reason="-2"
            ),
            RuleResult(rule_id="+x", status="passed", tags=("=t",)),
        ]
    )
    rows = list(
        csv.DictReader(
            io.StringIO(CSVReporter(delimiter=";").render(run)), delimiter=";"
        )
    )
    assert [(r["rule_id"], r["description"], r["reason"], r["tags"]) for r in rows] == [
        ("'=1+1", "'@SUM(A1)", "'-2", ""),
        ("'+x", "", "", "'=t"),
    ]
