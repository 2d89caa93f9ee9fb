"""The SQL the compiler renders: one statement, quoted names, literal values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
import sqlglot
from sqlglot import exp

from sqltest_core.rules import (
    AcceptedValues,
    BaseRule,
    DistinctCount,
    DuplicateRows,
    Expression,
    Format,
    Freshness,
    Length,
    Mean,
    Minimum,
    Monotonic,
    NoFutureTimestamps,
    NotNull,
    NullRatio,
    PrimaryKey,
    Quantile,
    Range,
    ReferentialIntegrity,
    Regex,
    RowCount,
    StdDev,
    Unique,
)
from sqltest_core.rules import _dialects as d
from sqltest_core.rules._compile import compile_rule, sample_queries
from sqltest_core.rules._dialects import SqltestSQLite
from sqltest_core.rules._queries import standalone_queries
from sqltest_core.rules._sql import ScanPlan, fragments, scan_plan, strategy

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


def _plan(rules: Sequence[BaseRule], dialect: str) -> ScanPlan:
    """The fused scan of ``rules``' scan rules."""
    return scan_plan([f for r in rules if (f := fragments(r, dialect)) is not None])


def _read(dialect: str) -> str | SqltestSQLite:
    return SqltestSQLite() if dialect == "sqlite" else dialect


@pytest.mark.parametrize("dialect", DIALECTS)
def test_fused_scan_parses_back_as_one_select(dialect: str) -> None:
    plan = _plan(RULES, dialect)
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
    sql = _plan(RULES, "snowflake").sql
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
    sql = _plan([RULES[4]], dialect).sql
    assert fragment in sql


def test_sqlite_names_use_backticks_never_string_fallback() -> None:
    sql = _plan([RULES[0]], "sqlite").sql
    assert '`a"; drop table x; --` IS NULL' in sql


def test_names_fold_only_on_snowflake_and_only_plain_lower_case() -> None:
    rule = NotNull(id="n", table="Sales.orders", column="MixedCase")
    assert 'FROM "Sales"."ORDERS"' in _plan([rule], "snowflake").sql
    assert 'FROM "Sales"."orders"' in _plan([rule], "postgres").sql


@pytest.mark.parametrize("where", ["id >", "1 = 1; drop table x", "drop table x"])
def test_statements_and_fragments_are_rejected_as_filters(where: str) -> None:
    with pytest.raises(ValueError, match="is not one SQL boolean expression"):
        compile_rule(NotNull(id="n", table="t", column="c", where=where), "duckdb")


@pytest.mark.parametrize("table", ["a.b.c.d", "a..b", ""])
def test_bad_table_names_are_rejected(table: str) -> None:
    with pytest.raises(ValueError):
        compile_rule(RowCount.model_construct(id="c", table=table, min=1), "duckdb")


NEW_RULES = [
    NoFutureTimestamps(id="f", table="sales.orders", column="at"),
    Format(id="m", table="sales.orders", column=HOSTILE, format="email"),
    Mean(id="mean", table="sales.orders", column="amount", min=0, where="id > 1"),
    StdDev(id="sd", table="sales.orders", column="amount", max=5),
    DistinctCount(id="dc", table="sales.orders", column=HOSTILE, min=1),
    NullRatio(id="nr", table="sales.orders", column="amount", max=0.1),
    Minimum(id="lo", table="sales.orders", column="day", min=dt.date(2024, 1, 1)),
    Freshness(id="fr", table="sales.orders", column="at", max_age="24h"),
]
STANDALONE = [
    Unique(id="u", table="sales.orders", columns=(HOSTILE, "b"), where="id > 1"),
    ReferentialIntegrity(
        id="ri",
        table="sales.orders",
        columns=(HOSTILE,),
        parent="sales.customers",
        parent_columns=("id",),
        where="id > 1",
    ),
    PrimaryKey(id="pk", table="sales.orders", columns=(HOSTILE,), where="id > 1"),
    DuplicateRows(
        id="dup", table="sales.orders", columns=(HOSTILE, "b"), where="id > 1"
    ),
    Monotonic(id="mono", table="sales.orders", column=HOSTILE, order_by=("id",)),
]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_new_kinds_fuse_into_the_one_select(dialect: str) -> None:
    plan = _plan([*RULES, *NEW_RULES], dialect)
    (tree,) = sqlglot.parse(plan.sql, read=_read(dialect))
    assert isinstance(tree, exp.Select)
    assert not any(isinstance(node, exp.Drop | exp.Command) for node in tree.walk())
    stddev_width = 3 if dialect == "sqlite" else 1
    # PostgreSQL counts distinct values in a query of its own (see _sql.strategy).
    distinct = [] if dialect == "postgres" else [1]
    assert [len(v) for v in plan.values_at][len(RULES) :] == [
        0,
        0,
        2,
        stddev_width,
        *distinct,
        1,
        1,
        1,
    ]
    # rows_scanned, two filter counts, six row-level counts, then these two
    assert plan.failing_at[len(RULES) : len(RULES) + 2] == (9, 10)
    assert all(f is None for f in plan.failing_at[len(RULES) + 2 :])


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("rule", STANDALONE, ids=lambda r: r.kind)
def test_standalone_queries_parse_back(dialect: str, rule: BaseRule) -> None:
    compiled = compile_rule(rule, dialect)
    assert strategy(rule, dialect) == "query"
    count, samples = standalone_queries(compiled, dialect, sample_size=5)
    for sql in (count, samples):
        assert sql is not None
        (tree,) = sqlglot.parse(sql, read=_read(dialect))
        assert isinstance(tree, exp.Select)
        assert HOSTILE in {c.name for c in tree.find_all(exp.Column)}
        assert not any(isinstance(n, exp.Drop | exp.Command) for n in tree.walk())
    assert standalone_queries(compiled, dialect, sample_size=0)[1] is None


def test_snowflake_sql_for_new_kinds() -> None:
    compiled = [compile_rule(r, "snowflake") for r in NEW_RULES + STANDALONE]
    sql = _plan(NEW_RULES, "snowflake").sql
    tree = sqlglot.parse_one(sql, read="snowflake")
    functions = {type(f).__name__ for f in tree.find_all(exp.Func)}
    assert {"CurrentTimestamp", "Count", "Sum", "Min", "Max"} <= functions
    assert "STDDEV_SAMP(" in sql and "REGEXP_COUNT(" in sql
    unique, ri = (
        standalone_queries(c, "snowflake", sample_size=3)
        for c in compiled[len(NEW_RULES) : len(NEW_RULES) + 2]
    )
    parsed = sqlglot.parse_one(unique[0], read="snowflake")
    assert [e.alias for e in parsed.expressions] == [
        "rows_scanned",
        "failing",
        "duplicated_values",
    ]
    group = parsed.find(exp.Group)
    assert group is not None and len(group.expressions) == 2
    join = sqlglot.parse_one(ri[0], read="snowflake").find(exp.Join)
    assert join is not None and join.side == "LEFT"
    tables = {
        t.name
        for t in sqlglot.parse_one(ri[1] or "", read="snowflake").find_all(exp.Table)
    }
    assert tables == {"ORDERS", "CUSTOMERS"}


@pytest.mark.parametrize(
    ("dialect", "fragment"),
    [
        ("duckdb", "> CURRENT_TIMESTAMP"),
        ("postgres", "> CURRENT_TIMESTAMP"),
        ("mysql", "> CURRENT_TIMESTAMP()"),
        ("snowflake", "> CURRENT_TIMESTAMP()"),
        ("sqlite", "JULIANDAY(`at`) > JULIANDAY('now')"),
    ],
)
def test_future_renders_per_dialect(dialect: str, fragment: str) -> None:
    sql = _plan([NEW_RULES[0]], dialect).sql
    assert fragment in sql


@pytest.mark.parametrize("name", sorted(d.FORMATS))
def test_format_patterns_are_portable(name: str) -> None:
    pattern = d.FORMATS[name]
    # No escapes (read per server settings), lookarounds, lazy
    # quantifiers or class shorthands: the five regex engines agree on the rest.
    assert not {"\\", "(?", "*?", "+?"} & {
        pattern[i : i + n] for n in (1, 2) for i in range(len(pattern))
    }
    assert pattern.startswith("^") and pattern.endswith("$")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_quantile_query_parses_back(dialect: str) -> None:
    rule = Quantile(id="q", table="sales.orders", column=HOSTILE, q=0.5, max=1)
    count, samples = standalone_queries(
        compile_rule(rule, dialect), dialect, sample_size=5
    )
    assert samples is None
    (tree,) = sqlglot.parse(count, read=_read(dialect))
    assert tree is not None
    assert HOSTILE in {c.name for c in tree.find_all(exp.Column)}
    assert ("PERCENTILE_CONT" in count or "QUANTILE_CONT" in count) == (
        dialect in ("duckdb", "postgres", "snowflake")
    )


@pytest.mark.parametrize("dialect", DIALECTS)
def test_unique_samples_by_key_need_no_second_grouping(dialect: str) -> None:
    rule = PrimaryKey(id="pk", table="sales.orders", columns=(HOSTILE,))
    compiled = compile_rule(rule, dialect)
    count, _ = standalone_queries(compiled, dialect, sample_size=0)
    (tree,) = sqlglot.parse(count, read=_read(dialect))
    assert isinstance(tree, exp.Select)
    assert [e.alias for e in tree.expressions][-2:] == ["first_key", "last_key"]
    hostile_key = "x'); drop table y; --"
    _, samples = standalone_queries(
        compiled, dialect, sample_size=5, sample_keys=(7, hostile_key)
    )
    assert samples is not None
    (tree,) = sqlglot.parse(samples, read=_read(dialect))
    assert isinstance(tree, exp.Select) and tree.find(exp.Group) is None
    assert {lit.this for lit in tree.find_all(exp.Literal)} >= {"7", hostile_key}
    assert tree.find(exp.Is) is not None  # a primary key's NULL keys fail too
    # Keys that are not plain ints or strings fall back to the joined query.
    _, joined = standalone_queries(compiled, dialect, sample_size=5, sample_keys=(1.5,))
    assert joined is not None and "JOIN" in joined
