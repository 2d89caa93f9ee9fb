"""Compile row-level rules into one fused aggregate scan per table.

Each rule becomes a *failing predicate* (true for a row that breaks it). All
rules on a table share one query::

    SELECT COUNT(*) AS rows_scanned,
           SUM(CASE WHEN <filter> THEN 1 ELSE 0 END) AS f0,          -- per filter
           SUM(CASE WHEN <filter> AND <failing> THEN 1 ELSE 0 END) AS r0, ...
    FROM <table>

Aggregate rules (``mean``, ``sum``, ``min``, ``max``, ``stddev``,
``distinct_count``, ``null_ratio``) and ``freshness`` add their aggregates to the
same query, filtered as ``AGG(CASE WHEN <filter> THEN col END)``. Keys,
references, sequences and quantiles need a grouped, joined or windowed query
of their own (``_queries.py``), which runs beside the scan; schema,
reconciliation and Python predicates are evaluated their own way
(:func:`~sqltest_core.rules._sql.strategy`).

This module builds and renders with sqlglot; evaluation reads the rendered
text through ``_sql``, which memoises it.

User values only ever enter as sqlglot literals and names as quoted
identifiers, so neither can change the statement's shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from sqltest_core.rules import _dialects as d
from sqltest_core.rules._models import (
    AcceptedValues,
    AggregateRule,
    BaseRule,
    Castable,
    DistinctCount,
    Expression,
    Format,
    Freshness,
    Length,
    Mean,
    Minimum,
    NoFutureTimestamps,
    NotNull,
    NullRatio,
    Predicate,
    Query,
    Range,
    Reconciliation,
    ReferentialIntegrity,
    Regex,
    RowCount,
    StdDev,
    Sum,
)
from sqltest_core.rules._sql import Fragments, shape, strategy

__all__ = [
    "Compiled",
    "compile_rule",
    "compile_text",
    "count_if",
    "count_query",
    "predicate_query",
    "sample_queries",
]


@dataclass(frozen=True, slots=True)
class Compiled:
    """A rule's pieces as sqlglot trees: its filter and its failing predicate."""

    rule: BaseRule
    filter: exp.Expr | None
    failing: exp.Expr | None
    """None for rules without failing rows (``row_count``, aggregates, ...)."""
    aggregates: tuple[exp.Expr, ...] = ()
    """Aggregates the rule adds to the scan (already filtered)."""
    fragments: Fragments | None = None
    """A scan rule's pieces of the fused scan, rendered."""

    def failing_rows(self) -> exp.Expr:
        """Rows the rule counts as failures: ``filter AND failing``."""
        assert self.failing is not None
        return _and(self.filter, self.failing)


def compile_rule(rule: BaseRule, dialect: str) -> Compiled:
    """Build ``rule``'s trees for ``dialect``.

    Raises:
        ValueError: a bad table name, or a ``where``/``expression`` that is not
            one SQL boolean expression.
    """
    key = (shape(rule), dialect)
    cached = _CACHE.get(key)
    if cached is None:
        cached = _compile(rule, dialect)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()  # rare; a suite's rules fit many times over
        _CACHE[key] = cached
    return Compiled(rule, *cached)


# Compiling costs far more than checking a trivial rule, and suites repeat
# shapes (the same check on many columns' rules, the same rules run again): the
# trees and their rendered text are kept per shape and dialect. Cached trees are
# shared, so nothing may modify them in place (builders copy by default).
_CACHE_SIZE = 16384
_CACHE: dict[
    tuple[str, str],
    tuple[exp.Expr | None, exp.Expr | None, tuple[exp.Expr, ...], Fragments | None],
] = {}


def compile_text(rule: BaseRule, dialect: str) -> Fragments | None:
    """Check that ``rule`` compiles; its rendered scan pieces (scan rules)."""
    return compile_rule(rule, dialect).fragments


def _compile(
    rule: BaseRule, dialect: str
) -> tuple[exp.Expr | None, exp.Expr | None, tuple[exp.Expr, ...], Fragments | None]:
    if rule.table is not None:
        d.table(rule.table, dialect)  # validate names early
    if isinstance(rule, ReferentialIntegrity):
        d.table(rule.parent, dialect)
    if isinstance(rule, Reconciliation):
        d.table(rule.other_table, dialect)
        if rule.other_where:
            d.parse_condition(rule.other_where, dialect)
    if isinstance(rule, Query):
        d.parse_query(rule.sql, dialect)
    where = d.parse_condition(rule.where, dialect) if rule.where else None
    if strategy(rule, dialect) != "scan":
        return where, None, (), None
    failing: exp.Expr | None = None
    aggregates: tuple[exp.Expr, ...] = ()
    if isinstance(rule, AggregateRule | Freshness):
        aggregates = _aggregates(rule, where, dialect)
    else:
        failing = _failing(rule, dialect)
    fragments = Fragments(
        source=d.render(d.table(rule.table, dialect), dialect),
        filter=None if where is None else d.render(where, dialect),
        filter_count=None if where is None else d.render(count_if(where), dialect),
        failing_count=None
        if failing is None
        else d.render(count_if(_and(where, failing, copy=False)), dialect),
        aggregates=tuple(d.render(a, dialect) for a in aggregates),
    )
    return where, failing, aggregates, fragments


def _and(where: exp.Expr | None, failing: exp.Expr, *, copy: bool = True) -> exp.Expr:
    if where is None:
        return failing
    return exp.and_(exp.Paren(this=where), failing, copy=copy)


def _aggregates(
    rule: AggregateRule | Freshness, where: exp.Expr | None, dialect: str
) -> tuple[exp.Expr, ...]:
    col = d.column(rule.column, dialect)
    if isinstance(rule, NullRatio):
        null = exp.Is(this=col, expression=exp.Null())
        return (
            count_if(null if where is None else exp.and_(exp.Paren(this=where), null)),
        )
    value: exp.Expr = col
    if where is not None:
        value = exp.Case(ifs=[exp.If(this=where, true=col)])
    if isinstance(rule, StdDev):
        return tuple(d.stddev_parts(value, dialect))
    if isinstance(rule, Mean):
        # Not AVG: MySQL rounds an integer average to 4 decimals.
        return exp.Sum(this=value), exp.Count(this=value.copy())
    if isinstance(rule, DistinctCount):
        return (exp.Count(this=exp.Distinct(expressions=[value])),)
    agg: type[exp.AggFunc] = exp.Max  # max and freshness
    if isinstance(rule, Sum):
        agg = exp.Sum
    elif isinstance(rule, Minimum):
        agg = exp.Min
    return (agg(this=value),)


def _failing(rule: BaseRule, dialect: str) -> exp.Expr | None:
    if isinstance(rule, RowCount):
        return None
    if isinstance(rule, Expression):
        return exp.Not(this=exp.Paren(this=d.parse_condition(rule.expression, dialect)))
    assert isinstance(
        rule,
        NotNull
        | AcceptedValues
        | Range
        | Length
        | Regex
        | Format
        | Castable
        | NoFutureTimestamps,
    )
    col = d.column(rule.column, dialect)
    if isinstance(rule, Castable):
        text = d.as_text(col)
        return exp.Not(
            this=exp.Paren(this=d.regex_search(text, d.CASTS[rule.to], dialect))
        )
    if isinstance(rule, NotNull):
        return exp.Is(this=col, expression=exp.Null())
    if isinstance(rule, NoFutureTimestamps):
        return d.is_future(col, dialect)
    if isinstance(rule, Format):
        pattern = d.FORMATS[rule.format]
        return exp.Not(this=exp.Paren(this=d.regex_search(col, pattern, dialect)))
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
    return exp.Paren(this=exp.or_(*outside, copy=False))


def count_if(condition: exp.Expr) -> exp.Expr:
    # Built whole (not with .else_(), which deep-copies the case it extends).
    case = exp.Case(
        ifs=[exp.If(this=condition, true=exp.Literal.number(1))],
        default=exp.Literal.number(0),
    )
    return exp.Sum(this=case)


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


def predicate_query(rule: Predicate, dialect: str) -> str:
    """The query streaming a Python predicate's columns, filtered."""
    query = exp.select(
        *(
            [d.column(c, dialect) for c in rule.columns]
            if rule.columns
            else [exp.Star()]
        )
    ).from_(d.table(rule.table, dialect))
    where = compile_rule(rule, dialect).filter
    if where is not None:
        query = query.where(where.copy())
    return d.render(query, dialect)
