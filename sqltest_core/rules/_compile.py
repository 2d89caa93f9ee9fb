"""Compile row-level rules into one fused aggregate scan per table.

Each rule becomes a *failing predicate* (true for a row that breaks it). All
rules on a table share one query::

    SELECT COUNT(*) AS rows_scanned,
           SUM(CASE WHEN <filter> THEN 1 ELSE 0 END) AS f0,          -- per filter
           SUM(CASE WHEN <filter> AND <failing> THEN 1 ELSE 0 END) AS r0, ...
    FROM <table>

User values only ever enter as sqlglot literals and names as quoted
identifiers, so neither can change the statement's shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from sqltest_core.rules import _dialects as d
from sqltest_core.rules._models import (
    AcceptedValues,
    BaseRule,
    Expression,
    Length,
    NotNull,
    Range,
    Regex,
    RowCount,
)

__all__ = [
    "Compiled",
    "ScanPlan",
    "compile_rule",
    "count_query",
    "sample_queries",
    "scan_plan",
]


@dataclass(frozen=True, slots=True)
class Compiled:
    """A rule's pieces as sqlglot trees: its filter and its failing predicate."""

    rule: BaseRule
    filter: exp.Expr | None
    failing: exp.Expr | None
    """None for table rules (``row_count``), which only need the count."""

    def failing_rows(self) -> exp.Expr:
        """Rows the rule counts as failures: ``filter AND failing``."""
        assert self.failing is not None
        if self.filter is None:
            return self.failing
        return exp.and_(exp.Paren(this=self.filter), self.failing)


def compile_rule(rule: BaseRule, dialect: str) -> Compiled:
    """Build ``rule``'s trees for ``dialect``.

    Raises:
        ValueError: a bad table name, or a ``where``/``expression`` that is not
            one SQL boolean expression.
    """
    d.table(rule.table, dialect)  # validate the name early
    where = d.parse_condition(rule.where, dialect) if rule.where else None
    return Compiled(rule, where, _failing(rule, dialect))


def _failing(rule: BaseRule, dialect: str) -> exp.Expr | None:
    if isinstance(rule, RowCount):
        return None
    if isinstance(rule, Expression):
        return exp.Not(this=exp.Paren(this=d.parse_condition(rule.expression, dialect)))
    assert isinstance(rule, NotNull | AcceptedValues | Range | Length | Regex)
    col = d.column(rule.column, dialect)
    if isinstance(rule, NotNull):
        return exp.Is(this=col, expression=exp.Null())
    if isinstance(rule, AcceptedValues):
        values = [exp.convert(v) for v in rule.values]
        return exp.Not(this=exp.Paren(this=exp.In(this=col, expressions=values)))
    if isinstance(rule, Regex):
        return exp.Not(this=exp.Paren(this=d.regex_search(col, rule.pattern, dialect)))
    value: exp.Expr = col
    low: object = rule.min
    high: object = rule.max
    low_in = high_in = True
    if isinstance(rule, Length):
        value = exp.Length(this=col)
    else:
        low_in, high_in = rule.min_inclusive, rule.max_inclusive
    outside: list[exp.Expr] = []
    if low is not None:
        below = exp.LT if low_in else exp.LTE
        outside.append(below(this=value.copy(), expression=exp.convert(low)))
    if high is not None:
        above = exp.GT if high_in else exp.GTE
        outside.append(above(this=value.copy(), expression=exp.convert(high)))
    return exp.Paren(this=exp.or_(*outside))


def _count_if(condition: exp.Expr) -> exp.Expr:
    case = exp.Case(ifs=[exp.If(this=condition, true=exp.Literal.number(1))])
    return exp.Sum(this=case.else_(exp.Literal.number(0)))


@dataclass(frozen=True, slots=True)
class ScanPlan:
    """The fused query and where each rule's figures sit in its single row.

    Results are read by position: engines disagree on the case of aliases.
    """

    sql: str
    scanned_at: tuple[int, ...]
    """Per rule: column holding its rows scanned (0 = all rows)."""
    failing_at: tuple[int | None, ...]
    """Per rule: column holding its failing count (None for table rules)."""


def scan_plan(table: str, rules: list[Compiled], dialect: str) -> ScanPlan:
    """One aggregate query over ``table`` counting every rule's failures."""
    columns: list[exp.Expr] = [exp.alias_(exp.Count(this=exp.Star()), "rows_scanned")]
    filters: dict[str, int] = {}
    scanned_at: list[int] = []
    for c in rules:
        if c.filter is None:
            scanned_at.append(0)
            continue
        key = d.render(c.filter, dialect)
        if key not in filters:
            filters[key] = len(columns)
            columns.append(exp.alias_(_count_if(c.filter), f"f{len(filters) - 1}"))
        scanned_at.append(filters[key])
    failing_at: list[int | None] = []
    for i, c in enumerate(rules):
        if c.failing is None:
            failing_at.append(None)
            continue
        failing_at.append(len(columns))
        columns.append(exp.alias_(_count_if(c.failing_rows()), f"r{i}"))
    query = exp.select(*columns).from_(d.table(table, dialect))
    return ScanPlan(d.render(query, dialect), tuple(scanned_at), tuple(failing_at))


def count_query(table: str, dialect: str) -> str:
    """``SELECT COUNT(*) FROM table``: tells a missing table from a broken rule."""
    query = exp.select(exp.Count(this=exp.Star())).from_(d.table(table, dialect))
    return d.render(query, dialect)


def sample_queries(
    c: Compiled, dialect: str, *, sample_size: int, bad_values_limit: int
) -> tuple[str | None, str | None]:
    """Queries for a failed rule's sample rows and (accepted_values) bad values."""
    if c.failing is None:
        return None, None
    source = d.table(c.rule.table, dialect)
    samples = None
    if sample_size > 0:
        query = exp.select(exp.Star()).from_(source).where(c.failing_rows())
        samples = d.render(query.limit(sample_size), dialect)
    bad = None
    if isinstance(c.rule, AcceptedValues) and bad_values_limit > 0:
        col = d.column(c.rule.column, dialect)
        query = (
            exp.select(col)
            .distinct()
            .from_(source.copy())
            .where(c.failing_rows())
            .order_by(col.copy())
            .limit(bad_values_limit)
        )
        bad = d.render(query, dialect)
    return samples, bad
