"""A fixed run with every status, hostile strings and unicode, and golden files."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from sqltest_core.results import RuleResult, RunResult, Severity, Status

GOLDEN = Path(__file__).parent / "golden"
T0 = dt.datetime(2026, 11, 28, 6, 0, 0, tzinfo=dt.UTC)
HOSTILE = '<script>alert("x")</script>'
HOSTILE_SAMPLE = '<img src=x onerror="window.__pwned=1">'


def _at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def golden_run(run_id: str = "nightly-42", shift: float = 0.0) -> RunResult:
    """Eight results: every status, samples, details, a row diff, hostile text."""
    return RunResult(
        run_id=run_id,
        started_at=_at(shift),
        finished_at=_at(shift + 4.25),
        results=[
            RuleResult(
                rule_id="orders.id_unique",
                status=Status.PASSED,
                kind="unique",
                description="Order ids are unique",
                source="warehouse",
                table="sales.orders",
                tags=("finance", "nightly"),
                failing_count=0,
                rows_scanned=1000,
                details={"duplicated_values": 0},
                sql=("SELECT count(*) FROM sales.orders",),
                started_at=_at(shift + 0.1),
                duration_ms=12.5,
            ),
            RuleResult(
                rule_id="orders.status_known",
                status=Status.FAILED,
                kind="accepted_values",
                description="Status is one of the known values",
                severity=Severity.ERROR,
                source="warehouse",
                table="sales.orders",
                tags=("finance",),
                failing_count=12,
                rows_scanned=1000,
                samples=(
                    {"id": 7, "status": "lost", "customer_email": "zoë@example.com"},
                    {"id": 9, "status": None, "customer_email": "bob@example.com"},
                    {"id": 11, "status": "??", "customer_email": None},
                ),
                details={"bad_values": ["lost", "??", None]},
                sql=(
                    "SELECT count(*) FILTER (WHERE status NOT IN ('new', 'paid'))\nFROM sales.orders",
                    "SELECT * FROM sales.orders WHERE status NOT IN ('new', 'paid') LIMIT 5",
                ),
                started_at=_at(shift + 0.1),
                duration_ms=840.0,
            ),
            RuleResult(
                rule_id=HOSTILE,
                status=Status.WARNED,
                kind="custom",
                description="Pipes | *stars* _under_ [link](http://x) ]]> & <b>bold</b>",
                severity=Severity.WARN,
                source="warehouse",
                table="sales.<orders>",
                tags=("pii", "<b>tag</b>"),
                failing_count=1,
                rows_scanned=3,
                samples=(
                    {
                        "note": HOSTILE_SAMPLE,
                        "formula": '=HYPERLINK("http://x")',
                        "customer_email": "eve@example.com",
                    },
                ),
                sql=("SELECT '</pre><script>alert(1)</script>' AS x",),
                started_at=_at(shift + 0.2),
                duration_ms=33.0,
            ),
            RuleResult(
                rule_id="customers.email_not_null",
                status=Status.ERRORED,
                kind="not_null",
                source="crm",
                table="public.customers",
                tags=("pii",),
                reason='QueryError: relation "public.customers" does not exist',
                sql=("SELECT count(*) FROM public.customers WHERE email IS NULL",),
                started_at=_at(shift + 0.3),
                duration_ms=5.0,
            ),
            RuleResult(
                rule_id="customers.fresh",
                status=Status.SKIPPED,
                kind="freshness",
                severity=Severity.INFO,
                source="crm",
                table="public.customers",
                reason="dependency customers.email_not_null did not pass",
            ),
            RuleResult(
                rule_id="test.monthly_revenue",
                status=Status.FAILED,
                kind="test",
                description="Monthly revenue view sums paid orders",
                source="warehouse",
                table="analytics.monthly_revenue",
                tags=("finance",),
                failing_count=3,
                details={
                    "diff": {
                        "columns": ["month", "revenue"],
                        "missing": [{"month": "2026-01", "revenue": 100.5}],
                        "unexpected": [
                            {"month": "2026-01", "revenue": 99.5},
                            {"month": "2026-02", "revenue": None},
                        ],
                    }
                },
                sql=(
                    "SELECT month, revenue FROM analytics.monthly_revenue ORDER BY 1",
                ),
                started_at=_at(shift + 1.0),
                duration_ms=1500.0,
            ),
            RuleResult(
                rule_id="orders.amount_positive",
                status=Status.PASSED,
                kind="expression",
                source="warehouse",
                table="sales.orders",
                failing_count=0,
                rows_scanned=1000,
                cache_hit=True,
                started_at=_at(shift + 0.1),
                duration_ms=0.25,
            ),
            RuleResult(
                rule_id="顧客.名前_present",
                status=Status.PASSED,
                kind="not_null",
                description="Bell \x07 and tab\tcharacters, 🚀",
                source="crm",
                table="顧客",
                tags=("nightly",),
                failing_count=0,
                rows_scanned=42,
                started_at=_at(shift + 0.4),
                duration_ms=7.75,
            ),
        ],
    )


def history_runs() -> list[RunResult]:
    """Two earlier runs: status_known passed then, id_unique failed once."""
    base = golden_run()
    older = []
    for n, flips in ((40, {"orders.id_unique": Status.FAILED}), (41, {})):
        results = []
        for r in base.results:
            status = flips.get(r.rule_id, Status.PASSED)
            if r.rule_id == "customers.fresh":
                continue  # absent from earlier runs
            results.append(r.model_copy(update={"status": status}))
        older.append(
            base.model_copy(
                update={"run_id": f"nightly-{n}", "results": tuple(results)}
            )
        )
    return older


def assert_golden(name: str, actual: str | bytes) -> None:
    """Compare with ``golden/<name>``; ``SQLTEST_UPDATE_GOLDEN=1`` rewrites it."""
    data = actual.encode("utf-8") if isinstance(actual, str) else actual
    path = GOLDEN / name
    if os.environ.get("SQLTEST_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return
    assert path.exists(), f"{path} missing: run with SQLTEST_UPDATE_GOLDEN=1"
    assert data.decode("utf-8") == path.read_bytes().decode("utf-8")
