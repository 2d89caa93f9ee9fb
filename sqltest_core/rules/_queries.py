"""Rules that need a query of their own: keys, duplicates, references, sequences,
quantiles and custom queries.

Each rule gets a *count query* returning one row (rows scanned, then failing
rows, then kind-specific figures; a quantile's row holds what ``_evaluate``
interpolates it from instead of a failing count) and, when samples are wanted,
a *sample query* for its failing rows. They run concurrently with the
table's fused scan.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from sqltest_core.rules import _dialects as d
from sqltest_core.rules._compile import Compiled, count_if
from sqltest_core.rules._models import (
    DistinctCount,
    DuplicateRows,
    Monotonic,
    PrimaryKey,
    Quantile,
    Query,
    ReferentialIntegrity,
    Unique,
)
from sqltest_core.rules._sql import has_sample_keys

__all__ = ["standalone_queries"]


def standalone_queries(
    c: Compiled,
    dialect: str,
    *,
    sample_size: int,
    sample_keys: Sequence[object] | None = None,
) -> tuple[str, str | None]:
    """``c``'s count query and (with ``sample_size``) its sample query.

    A ``duplicate_rows`` rule must have its ``columns`` filled in. A one-column
    ``unique`` or ``primary_key`` count query ends with the smallest and largest
    duplicated key; given back as ``sample_keys``, they let the sample query
    fetch those keys' rows without grouping the table again.
    """
    rule = c.rule
    if isinstance(rule, Unique):  # and PrimaryKey
        return _unique_queries(rule, c.filter, dialect, sample_size, sample_keys)
    if isinstance(rule, DuplicateRows):
        return _duplicate_queries(rule, c.filter, dialect, sample_size)
    if isinstance(rule, ReferentialIntegrity):
        return _orphan_queries(rule, c, dialect, sample_size)
    if isinstance(rule, Monotonic):
        return _monotonic_queries(rule, c.filter, dialect, sample_size)
    if isinstance(rule, Quantile):
        return _quantile_query(rule, c.filter, dialect), None
    if isinstance(rule, DistinctCount):
        return _distinct_query(rule, c.filter, dialect), None
    assert isinstance(rule, Query)
    return _custom_queries(rule, dialect, sample_size)


def _key_aliases(cols: list[exp.Expr], keys: list[str], dialect: str) -> list[exp.Expr]:
    return [
        exp.alias_(c.copy(), d.identifier(k, dialect))
        for c, k in zip(cols, keys, strict=True)
    ]


def _key_groups(
    table: str, columns: Sequence[str], where: exp.Expr | None, dialect: str
) -> tuple[list[exp.Expr], list[str], exp.Select]:
    """``SELECT c AS sqltest_k0, ..., COUNT(*) AS sqltest_n ... GROUP BY c, ...``.

    Returns the key columns, their aliases and the grouped query.
    """
    cols: list[exp.Expr] = [d.column(n, dialect) for n in columns]
    keys = [f"sqltest_k{i}" for i in range(len(cols))]
    groups = _where(
        exp.select(
            *_key_aliases(cols, keys, dialect),
            exp.alias_(exp.Count(this=exp.Star()), d.identifier("sqltest_n", dialect)),
        ).from_(d.table(table, dialect)),
        where,
    ).group_by(*(c.copy() for c in cols))
    return cols, keys, groups


def _literal_keys(keys: Sequence[object] | None) -> list[exp.Expr] | None:
    """Keys as literals, when all are plain ints or strings (else None)."""
    if keys is None or not all(
        isinstance(k, int | str) and not isinstance(k, bool) for k in keys
    ):
        return None
    return [exp.convert(k) for k in dict.fromkeys(keys)]


def _unique_queries(
    rule: Unique,
    where: exp.Expr | None,
    dialect: str,
    sample_size: int,
    sample_keys: Sequence[object] | None,
) -> tuple[str, str | None]:
    cols, keys, groups = _key_groups(rule.table, rule.columns, where, dialect)
    key_cols: list[exp.Expr] = [d.column(k, dialect) for k in keys]
    size = d.column("sqltest_n", dialect)
    duplicated = exp.and_(
        exp.GT(this=size.copy(), expression=exp.Literal.number(1)), _not_null(key_cols)
    )
    null_key = exp.Not(this=exp.Paren(this=_not_null(key_cols)))
    pk = isinstance(rule, PrimaryKey)
    failing = exp.or_(duplicated, null_key) if pk else duplicated
    figures = [
        exp.alias_(exp.Sum(this=size.copy()), "rows_scanned"),
        exp.alias_(_rows_if(failing, size), "failing"),
        exp.alias_(count_if(duplicated), "duplicated_values"),
    ]
    if pk:
        figures.append(exp.alias_(_rows_if(null_key, size), "null_rows"))
    if has_sample_keys(rule):
        dup_key = exp.Case(ifs=[exp.If(this=duplicated.copy(), true=key_cols[0])])
        figures.append(exp.alias_(exp.Min(this=dup_key), "first_key"))
        figures.append(exp.alias_(exp.Max(this=dup_key.copy()), "last_key"))
    count = exp.select(*figures).from_(
        groups.subquery(d.identifier("sqltest_g", dialect))
    )
    samples = None
    literals = _literal_keys(sample_keys) if has_sample_keys(rule) else None
    if sample_size > 0 and literals is not None:
        # The rows of the first and last duplicated keys (and NULL keys of a
        # primary key): one filtered scan, no second grouping of the table.
        col = cols[0]
        wanted: list[exp.Expr] = []
        if literals:
            wanted.append(exp.In(this=col.copy(), expressions=literals))
        if pk:
            wanted.append(exp.Is(this=col.copy(), expression=exp.Null()))
        if not wanted:
            return d.render(count, dialect), None
        query = _where(
            exp.select(exp.Star()).from_(d.table(rule.table, dialect)),
            where,
            exp.or_(*wanted),
        )
        by_key = exp.Ordered(this=col.copy(), nulls_first=False)
        samples = d.render(query.order_by(by_key).limit(sample_size), dialect)
    elif sample_size > 0:
        dup_keys = (
            _where(
                exp.select(*_key_aliases(cols, keys, dialect)).from_(
                    d.table(rule.table, dialect)
                ),
                where,
                _not_null(cols),
            )
            .group_by(*(c.copy() for c in cols))
            .having(
                exp.GT(
                    this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)
                )
            )
        )
        outer = _qualified(rule.columns, "sqltest_s", dialect)
        matched = _qualified(keys, "sqltest_d", dialect)
        query = exp.select(
            exp.Column(this=exp.Star(), table=d.identifier("sqltest_s", dialect))
        ).from_(_aliased(rule.table, "sqltest_s", dialect))
        joined = dup_keys.subquery(d.identifier("sqltest_d", dialect))
        if pk:
            found = exp.Not(this=exp.Is(this=matched[0].copy(), expression=exp.Null()))
            no_key = exp.Not(this=exp.Paren(this=_not_null(outer)))
            query = _where(
                query.join(joined, on=_equal(outer, matched), join_type="left"),
                where,
                exp.or_(found, no_key),
            )
        else:
            query = _where(query.join(joined, on=_equal(outer, matched)), where)
        # NULL keys (primary_key) last on every engine, after the duplicates.
        order = [exp.Ordered(this=c.copy(), nulls_first=False) for c in outer]
        query = query.order_by(*order).limit(sample_size)
        samples = d.render(query, dialect)
    return d.render(count, dialect), samples


def _rows_if(condition: exp.Expr, size: exp.Expr) -> exp.Expr:
    """``SUM(CASE WHEN condition THEN size ELSE 0 END)``."""
    case = exp.Case(
        ifs=[exp.If(this=condition.copy(), true=size.copy())],
        default=exp.Literal.number(0),
    )
    return exp.Sum(this=case)


def _duplicate_queries(
    rule: DuplicateRows, where: exp.Expr | None, dialect: str, sample_size: int
) -> tuple[str, str | None]:
    assert rule.columns is not None, "the columns are read from the catalog first"
    cols, _, groups = _key_groups(rule.table, rule.columns, where, dialect)
    size = d.column("sqltest_n", dialect)
    repeated = exp.GT(this=size.copy(), expression=exp.Literal.number(1))
    extra = exp.Sub(this=size.copy(), expression=exp.Literal.number(1))
    count = exp.select(
        exp.alias_(exp.Sum(this=size.copy()), "rows_scanned"),
        exp.alias_(_rows_if(repeated, size), "failing"),
        exp.alias_(count_if(repeated), "duplicated_values"),
        exp.alias_(_rows_if(repeated, exp.Paren(this=extra)), "extra_rows"),
    ).from_(groups.subquery(d.identifier("sqltest_g", dialect)))
    samples = None
    if sample_size > 0:
        copies = exp.Count(this=exp.Star())
        query = (
            _where(
                exp.select(
                    *(c.copy() for c in cols),
                    exp.alias_(copies, d.identifier("sqltest_copies", dialect)),
                ).from_(d.table(rule.table, dialect)),
                where,
            )
            .group_by(*(c.copy() for c in cols))
            .having(exp.GT(this=copies.copy(), expression=exp.Literal.number(1)))
            .order_by(*(c.copy() for c in cols))
            .limit(sample_size)
        )
        samples = d.render(query, dialect)
    return d.render(count, dialect), samples


def _monotonic_queries(
    rule: Monotonic, where: exp.Expr | None, dialect: str, sample_size: int
) -> tuple[str, str | None]:
    col = d.column(rule.column, dialect)
    order = [
        exp.Ordered(this=d.column(n, dialect), nulls_first=True) for n in rule.order_by
    ]
    order.append(exp.Ordered(this=col.copy(), nulls_first=True))
    previous = exp.Window(
        this=exp.Anonymous(this="LAG", expressions=[col.copy()]),
        order=exp.Order(expressions=order),
    )
    present = exp.Not(this=exp.Is(this=col.copy(), expression=exp.Null()))
    alias = d.identifier("sqltest_previous", dialect)

    def breaks(value: exp.Expr) -> exp.Expr:
        prev = d.column("sqltest_previous", dialect)
        known = exp.Not(this=exp.Is(this=prev.copy(), expression=exp.Null()))
        wrong: type[exp.Binary]
        if rule.decreasing:
            wrong = exp.GTE if rule.strict else exp.GT
        else:
            wrong = exp.LTE if rule.strict else exp.LT
        return exp.and_(known, wrong(this=value, expression=prev))

    values = _where(
        exp.select(
            exp.alias_(col.copy(), d.identifier("sqltest_v", dialect)),
            exp.alias_(previous.copy(), alias.copy()),
        ).from_(d.table(rule.table, dialect)),
        where,
        present,
    )
    count = exp.select(
        exp.alias_(exp.Count(this=exp.Star()), "rows_scanned"),
        exp.alias_(count_if(breaks(d.column("sqltest_v", dialect))), "failing"),
    ).from_(values.subquery(d.identifier("sqltest_w", dialect)))
    samples = None
    if sample_size > 0:
        star = exp.Column(this=exp.Star(), table=d.identifier("sqltest_s", dialect))
        rows = _where(
            exp.select(star, exp.alias_(previous.copy(), alias.copy())).from_(
                _aliased(rule.table, "sqltest_s", dialect)
            ),
            where,
            present,
        )
        outer = [
            exp.Ordered(this=c, nulls_first=True)
            for c in _qualified((*rule.order_by, rule.column), "sqltest_w", dialect)
        ]
        query = (
            exp.select(exp.Star())
            .from_(rows.subquery(d.identifier("sqltest_w", dialect)))
            .where(breaks(_qualified((rule.column,), "sqltest_w", dialect)[0]))
            .order_by(*outer)
            .limit(sample_size)
        )
        samples = d.render(query, dialect)
    return d.render(count, dialect), samples


def _distinct_query(rule: DistinctCount, where: exp.Expr | None, dialect: str) -> str:
    col = d.column(rule.column, dialect)
    query = exp.select(
        exp.alias_(exp.Count(this=exp.Star()), "rows_scanned"),
        exp.Count(this=exp.Distinct(expressions=[col])),
    ).from_(d.table(rule.table, dialect))
    return d.render(_where(query, where), dialect)


def _quantile_query(rule: Quantile, where: exp.Expr | None, dialect: str) -> str:
    col = d.column(rule.column, dialect)
    table = d.table(rule.table, dialect)
    q = exp.convert(rule.q)
    if d.has_percentile_cont(dialect):
        if dialect == "duckdb":
            value: exp.Expr = exp.Anonymous(this="QUANTILE_CONT", expressions=[col, q])
        else:
            value = exp.WithinGroup(
                this=exp.Anonymous(this="PERCENTILE_CONT", expressions=[q]),
                expression=exp.Order(expressions=[exp.Ordered(this=col)]),
            )
        query = exp.select(
            exp.alias_(exp.Count(this=exp.Star()), "rows_scanned"), value
        )
        return d.render(_where(query.from_(table), where), dialect)
    # Without PERCENTILE_CONT: the one or two values around position
    # 1 + q (n - 1) of the sorted non-NULL values, interpolated in Python.
    number = exp.Window(
        this=exp.Anonymous(this="ROW_NUMBER"),
        order=exp.Order(expressions=[exp.Ordered(this=col.copy())]),
    )
    total = exp.Window(this=exp.Count(this=exp.Star()))
    present = exp.Not(this=exp.Is(this=col.copy(), expression=exp.Null()))
    ranked = _where(
        exp.select(
            exp.alias_(col.copy(), d.identifier("sqltest_v", dialect)),
            exp.alias_(number, d.identifier("sqltest_rn", dialect)),
            exp.alias_(total, d.identifier("sqltest_n", dialect)),
        ).from_(table.copy()),
        where,
        present,
    )
    rn, n, v = (d.column(x, dialect) for x in ("sqltest_rn", "sqltest_n", "sqltest_v"))
    position = exp.Add(
        this=exp.Literal.number(1),
        expression=exp.Mul(
            this=q.copy(),
            expression=exp.Paren(
                this=exp.Sub(this=n, expression=exp.Literal.number(1))
            ),
        ),
    )
    near = exp.and_(
        exp.GT(
            this=rn.copy(),
            expression=exp.Sub(this=position.copy(), expression=exp.Literal.number(1)),
        ),
        exp.LT(
            this=rn.copy(),
            expression=exp.Add(this=position, expression=exp.Literal.number(1)),
        ),
    )
    scanned = _where(exp.select(exp.Count(this=exp.Star())).from_(table.copy()), where)
    query = (
        exp.select(
            exp.alias_(exp.Subquery(this=scanned), "rows_scanned"),
            exp.Min(this=v.copy()),
            exp.Max(this=v.copy()),
            exp.Max(this=n.copy()),
        )
        .from_(ranked.subquery(d.identifier("sqltest_r", dialect)))
        .where(near)
    )
    return d.render(query, dialect)


def _custom_queries(
    rule: Query, dialect: str, sample_size: int
) -> tuple[str, str | None]:
    # The user's text is kept as written (sqlglot checked it is one query);
    # the newline keeps a trailing "-- comment" from swallowing the parenthesis.
    inner = f"(\n{d.parse_query(rule.sql, dialect)}\n) {_name('sqltest_q', dialect)}"
    count = f"SELECT COUNT(*) AS failing FROM {inner}"
    samples = None
    if sample_size > 0:
        samples = f"SELECT * FROM {inner} LIMIT {int(sample_size)}"
    return count, samples


def _name(name: str, dialect: str) -> str:
    return d.render(d.identifier(name, dialect), dialect)


def _not_null(columns: list[exp.Expr]) -> exp.Expr:
    return exp.and_(
        *(exp.Not(this=exp.Is(this=c.copy(), expression=exp.Null())) for c in columns)
    )


def _equal(left: list[exp.Expr], right: list[exp.Expr]) -> exp.Expr:
    return exp.and_(
        *(
            exp.EQ(this=a.copy(), expression=b.copy())
            for a, b in zip(left, right, strict=True)
        )
    )


def _aliased(name: str, alias: str, dialect: str) -> exp.Table:
    source = d.table(name, dialect)
    source.set("alias", exp.TableAlias(this=d.identifier(alias, dialect)))
    return source


def _qualified(
    names: tuple[str, ...] | list[str], alias: str, dialect: str
) -> list[exp.Expr]:
    return [
        exp.Column(this=d.identifier(n, dialect), table=d.identifier(alias, dialect))
        for n in names
    ]


def _where(query: exp.Select, *conditions: exp.Expr | None) -> exp.Select:
    present = [exp.Paren(this=c.copy()) for c in conditions if c is not None]
    return query.where(exp.and_(*present)) if present else query


def _orphan_queries(
    rule: ReferentialIntegrity, c: Compiled, dialect: str, sample_size: int
) -> tuple[str, str | None]:
    keys = [f"sqltest_k{i}" for i in range(len(rule.columns))]
    parent = (
        exp.select(
            *(
                exp.alias_(d.column(p, dialect), d.identifier(k, dialect))
                for p, k in zip(rule.parent_columns, keys, strict=True)
            )
        )
        .distinct()
        .from_(d.table(rule.parent, dialect))
    )
    child = _qualified(rule.columns, "sqltest_c", dialect)
    matched = _qualified(keys, "sqltest_p", dialect)
    # No parent row matched: its (never NULL when matched) first key is NULL.
    orphan: exp.Expr = exp.Is(this=matched[0].copy(), expression=exp.Null())
    if not rule.nulls_are_orphans:
        orphan = exp.and_(orphan, _not_null(child))

    def joined(*columns: exp.Expr) -> exp.Select:
        return (
            exp.select(*columns)
            .from_(_aliased(rule.table, "sqltest_c", dialect))
            .join(
                parent.subquery(d.identifier("sqltest_p", dialect)),
                on=_equal(child, matched),
                join_type="left",
            )
        )

    count = _where(
        joined(
            exp.alias_(exp.Count(this=exp.Star()), "rows_scanned"),
            exp.alias_(count_if(orphan), "failing"),
        ),
        c.filter,
    )
    samples = None
    if sample_size > 0:
        star = exp.Column(this=exp.Star(), table=d.identifier("sqltest_c", dialect))
        query = _where(joined(star), c.filter, orphan).limit(sample_size)
        samples = d.render(query, dialect)
    return d.render(count, dialect), samples
