"""The SQL the compiler renders: one statement, quoted names, literal values."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from sqltest_core.rules import (
    AcceptedValues,
    Expression,
    Length,
    NotNull,
    Range,
    Regex,
    RowCount,
)
from sqltest_core.rules._compile import compile_rule, sample_queries, scan_plan
from sqltest_core.rules._dialects import SqltestSQLite

HOSTILE = 'a"; drop table x; --'
VALUE = "x'); drop table t; --"
RULES = [
    NotNull(id="n", table="sales.orders", column=HOSTILE),
    AcceptedValues(
        id="a", table="sales.orders", column="status", values=(VALUE, 1, 2.5, True)
    ),
    Range(
        id="r",
        table="sales.orders",
        column="amount",
        min=0,
        max=100,
        max_inclusive=False,
    ),
    Length(
        id="l", table="sales.orders", column="name", min=1, max=8, where="amount > 0"
    ),
    Regex(id="x", table="sales.orders", column="sku", pattern=r"^\d+'$"),
    Expression(id="e", table="sales.orders", expression="amount < 2 * price"),
    RowCount(id="c", table="sales.orders", min=1),
]
DIALECTS = ["duckdb", "sqlite", "postgres", "mysql", "snowflake"]


def _read(dialect: str) -> str | SqltestSQLite:
    return SqltestSQLite() if dialect == "sqlite" else dialect


@pytest.mark.parametrize("dialect", DIALECTS)
def test_fused_scan_parses_back_as_one_select(dialect: str) -> None:
    plan = scan_plan("sales.orders", [compile_rule(r, dialect) for r in RULES], dialect)
    statements = sqlglot.parse(plan.sql, read=_read(dialect))
    assert len(statements) == 1 and isinstance(statements[0], exp.Select)
    tree = statements[0]
    literals = {lit.this for lit in tree.find_all(exp.Literal) if lit.is_string}
    assert VALUE in literals and r"^\d+'$" in literals
    columns = {c.name for c in tree.find_all(exp.Column)}
    assert HOSTILE in columns
    assert not any(isinstance(node, exp.Drop | exp.Command) for node in tree.walk())
    # rows_scanned, one filter count, one failing count per row-level rule
    assert len(tree.expressions) == 1 + 1 + 6
    assert plan.failing_at == (2, 3, 4, 5, 6, 7, None)
    assert plan.scanned_at == (0, 0, 0, 1, 0, 0, 0)


def test_snowflake_sql_is_valid_snowflake_with_search_semantics() -> None:
    compiled = [compile_rule(r, "snowflake") for r in RULES]
    sql = scan_plan("sales.orders", compiled, "snowflake").sql
    tree = sqlglot.parse_one(sql, read="snowflake")
    table = tree.find(exp.Table)
    assert table is not None and (table.db, table.name) == ("SALES", "ORDERS")
    assert all(
        i.quoted for i in tree.find_all(exp.Identifier) if i.name in ("STATUS", HOSTILE)
    )
    # REGEXP_LIKE anchors the whole value on Snowflake: a search needs REGEXP_COUNT.
    assert "REGEXP_COUNT(" in sql and "REGEXP_LIKE" not in sql
    samples, bad = sample_queries(
        compiled[1], "snowflake", sample_size=5, bad_values_limit=3
    )
    assert samples is not None and bad is not None
    assert (
        sqlglot.parse_one(samples, read="snowflake").args["limit"].expression.this
        == "5"
    )
    assert sqlglot.parse_one(bad, read="snowflake").args["limit"].expression.this == "3"


@pytest.mark.parametrize(
    ("dialect", "fragment"),
    [
        ("duckdb", "REGEXP_MATCHES("),
        ("postgres", " ~ "),
        ("sqlite", " REGEXP "),
        ("mysql", "REGEXP_INSTR("),
        ("snowflake", "REGEXP_COUNT("),
    ],
)
def test_regex_renders_per_dialect(dialect: str, fragment: str) -> None:
    sql = scan_plan("t", [compile_rule(RULES[4], dialect)], dialect).sql
    assert fragment in sql


def test_sqlite_names_use_backticks_never_string_fallback() -> None:
    sql = scan_plan("t", [compile_rule(RULES[0], "sqlite")], "sqlite").sql
    assert '`a"; drop table x; --` IS NULL' in sql


def test_names_fold_only_on_snowflake_and_only_plain_lower_case() -> None:
    rule = NotNull(id="n", table="Sales.orders", column="MixedCase")
    assert (
        'FROM "Sales"."ORDERS"'
        in scan_plan("Sales.orders", [compile_rule(rule, "snowflake")], "snowflake").sql
    )
    assert (
        'FROM "Sales"."orders"'
        in scan_plan("Sales.orders", [compile_rule(rule, "postgres")], "postgres").sql
    )


@pytest.mark.parametrize("where", ["id >", "1 = 1; drop table x", "drop table x"])
def test_statements_and_fragments_are_rejected_as_filters(where: str) -> None:
    with pytest.raises(ValueError, match="is not one SQL boolean expression"):
        compile_rule(NotNull(id="n", table="t", column="c", where=where), "duckdb")


@pytest.mark.parametrize("table", ["a.b.c.d", "a..b", ""])
def test_bad_table_names_are_rejected(table: str) -> None:
    with pytest.raises(ValueError):
        compile_rule(RowCount.model_construct(id="c", table=table, min=1), "duckdb")
