"""Every rule kind on every engine, against a table with planted defects."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sqltest_core import Pool, open_pool
from sqltest_core.results import RuleResult, Status
from sqltest_core.rules import (
    AcceptedValues,
    BaseRule,
    Expression,
    Length,
    NotNull,
    Range,
    Regex,
    RowCount,
    Threshold,
    evaluate,
)
from sqltest_core_tests.rules.conftest import (
    BACKTICK,
    HOSTILE,
    create_planted,
    harness,
    hostile_columns,
    quote,
)

T = "planted"

# rule, failing count, failing ids (all fit in the default 5 samples)
EXPECTED: list[tuple[BaseRule, int, set[int]]] = [
    (NotNull(id="nn", table=T, column="code"), 3, {3, 7, 11}),
    (NotNull(id="nn_where", table=T, column="code", where="id > 5"), 2, {7, 11}),
    (
        AcceptedValues(
            id="av", table=T, column="status", values=("new", "paid", "shipped")
        ),
        2,
        {5, 9},
    ),
    (Range(id="rg", table=T, column="amount", min=0, max=100), 4, {2, 4, 6, 8}),
    (
        Range(
            id="rg_open",
            table=T,
            column="amount",
            min=0,
            max=100,
            min_inclusive=False,
            max_inclusive=False,
        ),
        6,
        {2, 4, 6, 8, 12, 14},
    ),
    (Range(id="rg_max", table=T, column="amount", max=150), 1, {6}),
    (
        Range(
            id="rg_date",
            table=T,
            column="day",
            min=dt.date(2024, 1, 3),
            max=dt.date(2024, 1, 18),
        ),
        4,
        {1, 2, 19, 20},
    ),
    (Length(id="len", table=T, column="name", min=2, max=8), 1, {15}),
    (Regex(id="rx", table=T, column="sku", pattern="^[A-Z]{3}-[0-9]{3}$"), 2, {17, 18}),
    (
        Regex(id="rx_escape", table=T, column="sku", pattern=r"^[A-Z]{3}-\d{3}$"),
        2,
        {17, 18},
    ),
    (Expression(id="ex", table=T, expression="amount <> 200"), 1, {6}),
]


def _lower(row: dict[str, Any]) -> dict[str, Any]:
    # Snowflake reports unquoted names in upper case.
    return {k.lower(): v for k, v in row.items()}


def _ids(result: RuleResult) -> set[int]:
    return {int(_lower(r)["id"]) for r in result.samples}


async def test_every_kind_counts_and_samples_exactly(planted: Pool) -> None:
    rules = [rule for rule, _, _ in EXPECTED]
    rules += [
        RowCount(id="rc_ok", table=T, min=10, max=30),
        RowCount(id="rc_short", table=T, min=25, severity="warn"),
        NotNull(id="pass", table=T, column="id", tags=("keys",)),
    ]
    results = await evaluate(rules, planted)
    assert [r.rule_id for r in results] == [r.id for r in rules]
    by_id = {r.rule_id: r for r in results}
    for rule, count, ids in EXPECTED:
        got = by_id[rule.id]
        assert (got.rule_id, got.status, got.failing_count) == (
            rule.id,
            Status.FAILED,
            count,
        )
        assert got.rows_scanned == (15 if rule.where else 20)
        assert len(got.samples) == min(count, 5), rule.id
        assert _ids(got) <= ids, rule.id  # all of them when 5 or fewer
        assert got.kind == rule.kind and got.table == T and got.source == planted.name
        assert len(got.sql) == 2 + (rule.kind == "accepted_values")
    assert by_id["av"].details == {"bad_values": ["lost", "void"]}
    sample = _lower(by_id["len"].samples[0])
    assert (sample["id"], sample["name"], sample["sku"]) == (
        15,
        "abcdefghij",
        "ABC-015",
    )
    assert (by_id["rc_ok"].status, by_id["rc_ok"].failing_count) == (Status.PASSED, 0)
    short = by_id["rc_short"]
    assert (short.status, short.failing_count, short.details) == (
        Status.WARNED,
        5,
        {"row_count": 20},
    )
    ok = by_id["pass"]
    assert (ok.status, ok.failing_count, ok.samples, ok.tags) == (
        Status.PASSED,
        0,
        (),
        ("keys",),
    )
    assert len(ok.sql) == 1 and ok.sql[0] == by_id["nn"].sql[0]  # one shared scan


async def test_thresholds_and_severity(planted: Pool) -> None:
    rules = [
        Range(
            id="tolerated",
            table=T,
            column="amount",
            min=0,
            max=100,
            threshold=Threshold(rows=4),
        ),
        Range(
            id="over",
            table=T,
            column="amount",
            min=0,
            max=100,
            threshold=Threshold(rows=3),
        ),
        Range(
            id="ratio",
            table=T,
            column="amount",
            min=0,
            max=100,
            threshold=Threshold(ratio=0.2),
        ),
        Range(id="warn", table=T, column="amount", min=0, max=100, severity="warn"),
        Range(
            id="info",
            table=T,
            column="amount",
            min=0,
            max=100,
            severity="info",
            threshold=Threshold(ratio=0.1),
        ),
    ]
    results = await evaluate(rules, planted, sample_size=2)
    got = [(r.status, r.failing_count, len(r.samples)) for r in results]
    assert got == [
        (Status.PASSED, 4, 0),
        (Status.FAILED, 4, 2),
        (Status.PASSED, 4, 0),
        (Status.WARNED, 4, 2),
        (Status.WARNED, 4, 2),
    ]


async def test_hostile_column_names_work_and_harm_nothing(engine: str) -> None:
    async with harness(engine).scratch() as source, open_pool(source) as pool:
        await create_planted(pool, engine)
        await pool.execute("CREATE TABLE x (v INTEGER)")
        rules: list[BaseRule] = [
            NotNull(id=f"h{i}", table=T, column=c)
            for i, c in enumerate(hostile_columns(engine))
        ]
        rules.append(
            AcceptedValues(
                id="values",
                table=T,
                column="status",
                values=("new", "paid", "shipped", "x'); drop table x; --"),
            )
        )
        results = await evaluate(rules, pool)
        assert [(r.status, r.failing_count) for r in results][:1] == [
            (Status.FAILED, 1)
        ]
        assert _ids(results[0]) == {20}
        if engine == "mysql":
            assert (results[1].failing_count, _ids(results[1])) == (1, {1})
        assert results[-1].failing_count == 2
        table = 't"; drop table x; --' if engine != "mysql" else "t`; drop table x; --"
        await pool.execute(f"CREATE TABLE {quote(table, engine)} (v INTEGER)")
        await pool.execute(
            f"INSERT INTO {quote(table, engine)} VALUES (1), (2), (NULL)"
        )
        odd = await evaluate(
            [
                RowCount(id="rc", table=table, min=3, max=3),
                NotNull(id="nn", table=table, column="v"),
            ],
            pool,
        )
        assert [(r.status, r.failing_count, r.rows_scanned) for r in odd] == [
            (Status.PASSED, 0, 3),
            (Status.FAILED, 1, 3),
        ]
        assert await pool.scalar("SELECT COUNT(*) FROM x") == 0
        assert await pool.scalar(f"SELECT COUNT(*) FROM {T}") == 20
        assert HOSTILE in results[0].samples[0]
        if engine == "mysql":
            assert BACKTICK in results[1].samples[0]


async def test_one_query_per_table_when_all_pass(
    planted: Pool, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await planted.execute("CREATE TABLE other (v INTEGER)")
    sent: list[str] = []
    fetch = planted.fetch_rows

    async def counting(sql: str, *args: Any, **kwargs: Any) -> Any:
        sent.append(sql)
        return await fetch(sql, *args, **kwargs)

    monkeypatch.setattr(planted, "fetch_rows", counting)
    rules = [
        NotNull(id="a", table=T, column="id"),
        Range(id="b", table=T, column="amount", min=-10, max=300),
        Regex(id="c", table=T, column="sku", pattern="[A-Za-z]"),
        Length(id="d", table=T, column="name", max=20, where="id < 10"),
        RowCount(id="e", table=T, min=20, max=20),
        RowCount(id="f", table="other", max=0),
        NotNull(id="g", table="other", column="v"),
    ]
    results = await evaluate(rules, planted)
    assert {r.status for r in results} == {Status.PASSED}
    assert len(sent) == 2
    assert {s for r in results for s in r.sql} == set(sent)
    assert results[3].rows_scanned == 9


async def test_broken_rules_are_isolated(planted: Pool) -> None:
    rules = [
        NotNull(id="good1", table=T, column="code"),
        Expression(id="bad_expr", table=T, expression="no_such_column > 0"),
        Range(id="good2", table=T, column="amount", min=0, max=100),
        NotNull(id="missing", table=T, column="nope"),
        Length(id="good3", table=T, column="name", min=2, max=8),
        NotNull(id="unparsable", table=T, column="code", where="id >"),
    ]
    results = await evaluate(rules, planted)
    got = {r.rule_id: (r.status, r.failing_count) for r in results}
    assert got == {
        "good1": (Status.FAILED, 3),
        "bad_expr": (Status.ERRORED, None),
        "good2": (Status.FAILED, 4),
        "missing": (Status.ERRORED, None),
        "good3": (Status.FAILED, 1),
        "unparsable": (Status.ERRORED, None),
    }
    by_id = {r.rule_id: r for r in results}
    assert "no_such_column" in (by_id["bad_expr"].reason or "").lower()
    assert "nope" in (by_id["missing"].reason or "").lower()
    assert (by_id["unparsable"].reason or "").startswith("cannot compile the rule")
    assert by_id["unparsable"].sql == ()
    assert _ids(by_id["good2"]) == {2, 4, 6, 8}


async def test_missing_table_errors_every_rule_in_two_queries(planted: Pool) -> None:
    rules = [NotNull(id=f"r{i}", table="no_such_table", column="id") for i in range(8)]
    results = await evaluate(rules, planted)
    assert {r.status for r in results} == {Status.ERRORED}
    assert all(len(r.sql) == 2 for r in results)
    assert all("no_such_table" in (r.reason or "").lower() for r in results)
