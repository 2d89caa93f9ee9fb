"""Evaluation edge cases on DuckDB: failures that are not the rules' fault."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from sqltest_core import Pool, open_pool
from sqltest_core.errors import ConnectError, QueryError, RuleDefinitionError
from sqltest_core.results import Status
from sqltest_core.rules import (
    AcceptedValues,
    NotNull,
    Range,
    RowCount,
    Threshold,
    evaluate,
)


@pytest.fixture
async def db() -> AsyncIterator[Pool]:
    async with open_pool("duckdb://:memory:", pool={"max_size": 1}) as pool:
        await pool.execute(
            "CREATE TABLE t AS SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, NULL)) v(id, s)"
        )
        yield pool


def _fail_when(
    pool: Pool, monkeypatch: pytest.MonkeyPatch, prefix: str, error: Exception
) -> list[str]:
    sent: list[str] = []
    fetch = pool.fetch_rows

    async def flaky(sql: str, *args: Any, **kwargs: Any) -> Any:
        sent.append(sql)
        if sql.startswith(prefix):
            raise error
        return await fetch(sql, *args, **kwargs)

    monkeypatch.setattr(pool, "fetch_rows", flaky)
    return sent


async def test_a_lost_connection_errors_the_batch_without_bisecting(
    db: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = _fail_when(
        db,
        monkeypatch,
        "SELECT COUNT(*)",
        ConnectError("connection lost", source="duckdb"),
    )
    rules = [NotNull(id=f"r{i}", table="t", column="s") for i in range(4)]
    results = await evaluate(rules, db)
    assert [(r.status, r.reason) for r in results] == [
        (Status.ERRORED, "connection lost")
    ] * 4
    assert len(sent) == 1


async def test_a_failing_sample_query_keeps_the_count(
    db: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_when(
        db, monkeypatch, "SELECT *", QueryError("out of memory", source="duckdb")
    )
    (result,) = await evaluate([NotNull(id="s", table="t", column="s")], db)
    assert (result.status, result.failing_count, result.samples) == (
        Status.FAILED,
        1,
        (),
    )
    assert result.details == {"samples_error": "out of memory"}


async def test_empty_table_passes_with_zero_rows(db: Pool) -> None:
    await db.execute("CREATE TABLE empty (id INTEGER)")
    rules = [
        NotNull(id="nn", table="empty", column="id"),
        Range(
            id="rg", table="empty", column="id", min=0, threshold=Threshold(ratio=0.1)
        ),
        RowCount(id="rc", table="empty", max=0),
    ]
    results = await evaluate(rules, db)
    assert [(r.status, r.failing_count, r.rows_scanned) for r in results] == [
        (Status.PASSED, 0, 0)
    ] * 3


async def test_filter_matching_no_rows_scans_zero(db: Pool) -> None:
    (result,) = await evaluate(
        [NotNull(id="nn", table="t", column="s", where="id > 10")], db
    )
    assert (result.status, result.failing_count, result.rows_scanned) == (
        Status.PASSED,
        0,
        0,
    )


async def test_sample_size_and_bad_values_limit(db: Pool) -> None:
    await db.execute(
        "CREATE TABLE many AS SELECT i AS id, 'v' || (i % 7) AS s FROM range(100) r(i)"
    )
    (result,) = await evaluate(
        [AcceptedValues(id="av", table="many", column="s", values=("v0",))],
        db,
        sample_size=0,
        bad_values_limit=3,
    )
    assert (result.failing_count, result.samples, result.details) == (
        85,
        (),
        {"bad_values": ["v1", "v2", "v3"]},
    )
    assert len(result.sql) == 2


async def test_rules_of_another_source_are_refused(db: Pool) -> None:
    with pytest.raises(
        RuleDefinitionError, match="rule 'x' is for data source 'warehouse'"
    ):
        await evaluate([NotNull(id="x", table="t", column="s", source="warehouse")], db)


async def test_result_carries_rule_metadata(db: Pool) -> None:
    rule = NotNull(
        id="x",
        table="t",
        column="s",
        description="s is set",
        tags=("a", "b"),
        severity="info",
    )
    (result,) = await evaluate([rule], db)
    assert (
        result.kind,
        result.description,
        result.severity,
        result.tags,
        result.source,
        result.table,
    ) == ("not_null", "s is set", "info", ("a", "b"), db.name, "t")
    assert result.status is Status.WARNED
    assert (
        result.started_at is not None
        and result.duration_ms is not None
        and result.duration_ms >= 0
    )


def test_reconciled_totals_mix_decimals_and_floats() -> None:
    """PostgreSQL sums integers as NUMERIC, another source may give a float."""
    from decimal import Decimal

    from sqltest_core.connectors import Rows
    from sqltest_core.rules import Reconciliation
    from sqltest_core.rules._checks import reconcile

    rule = Reconciliation(
        id="r",
        table="a",
        other_table="b",
        other_source="lake",
        measure="sum",
        column="x",
        tolerance=0.5,
    )
    this = Rows(("n", "v"), [(3, Decimal("10.25"))])
    that = Rows(("n", "v"), [(3, 10.0)])
    outcome = reconcile(rule, [this, that], sample_size=5)
    assert (outcome.failing, outcome.scanned) == (0, 3)
    assert outcome.details == {"value": 10.25, "other_value": 10, "difference": 0.25}
