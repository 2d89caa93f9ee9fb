"""Compiled rules are reused per shape, and equal figures share one column."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from sqltest_core import open_pool
from sqltest_core.results import Status
from sqltest_core.rules import AcceptedValues, Mean, NotNull, Range, evaluate
from sqltest_core.rules._compile import compile_rule
from sqltest_core.rules._sql import fragments, scan_plan


def test_same_shape_compiles_once_and_keeps_its_own_rule() -> None:
    a = NotNull(id="a", table="t", column="x", description="one", depends_on=("z",))
    b = NotNull(id="b", table="t", column="x", severity="warn")
    ca, cb = compile_rule(a, "duckdb"), compile_rule(b, "duckdb")
    assert (ca.rule, cb.rule) == (a, b)
    assert ca.failing is cb.failing and ca.fragments is cb.fragments


def test_values_that_compare_equal_but_render_apart_are_not_shared() -> None:
    # 1 == 1.0 and hash alike; the SQL (and an engine's typing) differs.
    rules = [
        AcceptedValues(id="i", table="t", column="x", values=(1,)),
        AcceptedValues(id="f", table="t", column="x", values=(1.0,)),
        AcceptedValues(id="b", table="t", column="x", values=(True,)),
    ]
    plan = scan_plan([f for r in rules if (f := fragments(r, "duckdb"))])
    assert plan.failing_at == (1, 2, 3)
    assert "IN (1)" in plan.sql and "IN (1.0)" in plan.sql and "IN (TRUE)" in plan.sql


def test_equal_counts_share_a_column() -> None:
    rules = [
        NotNull(id="n0", table="t", column="x"),
        Range(id="r0", table="t", column="x", min=0),
        NotNull(id="n1", table="t", column="x"),
        NotNull(id="w", table="t", column="x", where="y > 1"),
        Mean(id="m0", table="t", column="x", min=0),
        Mean(id="m1", table="t", column="x", max=9),
        NotNull(id="n2", table="t", column="y"),
    ]
    plan = scan_plan([f for r in rules if (f := fragments(r, "duckdb"))])
    tree = sqlglot.parse_one(plan.sql, read="duckdb")
    assert isinstance(tree, exp.Select)
    assert [e.alias for e in tree.expressions] == [
        "rows_scanned",
        "f0",
        "r0",
        "r1",
        "r3",
        "v4_0",
        "v4_1",
        "r6",
    ]
    assert plan.scanned_at == (0, 0, 0, 1, 0, 0, 0)
    assert plan.failing_at == (2, 3, 2, 4, None, None, 7)
    assert plan.values_at == ((), (), (), (), (5, 6), (5, 6), ())


async def test_shared_columns_give_each_rule_its_result() -> None:
    async with open_pool("duckdb://:memory:", pool={"max_size": 1}) as db:
        await db.execute(
            "CREATE TABLE t AS SELECT * FROM (VALUES (1, 5), (NULL, 0), (3, 2)) v(x, y)"
        )
        rules = [
            NotNull(id="n0", table="t", column="x"),
            NotNull(id="n1", table="t", column="x", severity="warn"),
            NotNull(id="w", table="t", column="x", where="y > 1"),
            Mean(id="m0", table="t", column="x", min=0),
            Mean(id="m1", table="t", column="x", max=1),
        ]
        results = await evaluate(rules, db, sample_size=0)
    assert [
        (r.rule_id, r.status, r.failing_count, r.rows_scanned) for r in results
    ] == [
        ("n0", Status.FAILED, 1, 3),
        ("n1", Status.WARNED, 1, 3),
        ("w", Status.PASSED, 0, 2),
        ("m0", Status.PASSED, 0, 3),
        ("m1", Status.FAILED, 1, 3),
    ]
    assert [r.details.get("value") for r in results[3:]] == [2.0, 2.0]
    assert len({r.sql for r in results}) == 1
