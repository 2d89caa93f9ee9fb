"""Input mocking: run a query on fixture rows instead of its real tables.

Three rewrites of a query's sqlglot tree, each returning SQL text for the
dialect (``duckdb``, ``sqlite``, ``postgres``, ``mysql``, ``snowflake``):

- :func:`mock_tables` turns every reference to a fixture table into a reference
  to a CTE of typed literal rows (``SELECT CAST(1 AS INT) AS "id" UNION ALL
  ...``), so the real table is never read, and need not exist;
- ``freeze_clock`` (in ``_clock.py``) pins ``CURRENT_DATE``,
  ``CURRENT_TIMESTAMP``, ``NOW()`` and friends to a given instant;
- :func:`select_cte` makes the query output one of its own CTEs.

Names are matched the way an unquoted identifier would be: case-insensitively.
A reference resolves to a CTE of the query when one of that name is in scope
(an enclosing ``WITH``, or an earlier CTE of the same ``WITH``): such a
reference is left alone, as the engine would read the CTE, not the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from sqltest_core.errors import ConfigError, FixtureTooLarge, NotInlinable
from sqltest_core.rules._dialects import SqltestSQLite, identifier, render, table
from sqltest_core.testing._literals import sql_type, typed_literal

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlglot.dialects.dialect import Dialect

__all__ = [
    "DEFAULT_MAX_CELLS",
    "mock_tables",
    "parse_query",
    "select_cte",
]

DEFAULT_MAX_CELLS = 5_000
"""Rows times columns of all fixtures one statement may inline.

sqlglot builds and renders about 10,000 cells a second, and the statement grows
by some 30 bytes a cell: past a few thousand cells a temporary table is faster.
"""

DIALECTS = ("duckdb", "sqlite", "postgres", "mysql", "snowflake")
_MOCK_PREFIX = "sqltest_mock_"


def _read(dialect: str) -> str | type[Dialect]:
    if dialect not in DIALECTS:
        raise ConfigError(f"unknown dialect {dialect!r}: expected one of {DIALECTS}")
    return SqltestSQLite if dialect == "sqlite" else dialect


def parse_query(sql: str, dialect: str) -> exp.Query:
    """One query parsed for ``dialect``; anything else is a ``ConfigError``."""
    try:
        tree = sqlglot.parse_one(sql, read=_read(dialect))
    except SqlglotError as exc:
        raise ConfigError(f"cannot parse the query as {dialect}: {exc}") from None
    if not isinstance(tree, exp.Query):
        raise ConfigError(f"expected a query (SELECT ...), got {tree.key.upper()}")
    return tree


def _fold(name: str) -> str:
    return name.casefold()


def _visible_ctes(node: exp.Expr) -> set[str]:
    """Names of the query's CTEs a table reference at ``node`` would resolve to."""
    names: set[str] = set()
    child, parent = node, node.parent
    passed: exp.With | None = None
    while parent is not None:
        if isinstance(parent, exp.With) and isinstance(child, exp.CTE):
            ctes = parent.expressions
            index = next(i for i, cte in enumerate(ctes) if cte is child)
            # A CTE sees the ones before it, and itself if recursive.
            upto = index + 1 if parent.args.get("recursive") else index
            names.update(_fold(cte.alias) for cte in ctes[:upto])
            passed = parent
        elif isinstance(parent, exp.Query):
            with_ = parent.args.get("with_")
            if isinstance(with_, exp.With) and with_ is not passed:
                names.update(_fold(cte.alias) for cte in with_.expressions)
        child, parent = parent, parent.parent
    return names


def _parts(ref: exp.Table) -> tuple[str, ...]:
    return tuple(_fold(p) for p in (ref.catalog, ref.db, ref.name) if p)


def _fixture_parts(name: str, dialect: str) -> tuple[str, ...]:
    try:
        return _parts(table(name, dialect))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _rows_cte(data: pa.Table, dialect: str) -> exp.Query:
    """``data`` as a typed relation: one SELECT of casts per row, UNION ALL."""
    names = [identifier(name, dialect) for name in data.column_names]
    types = [sql_type(field.type, dialect) for field in data.schema]
    try:
        columns = [data.column(i).to_pylist() for i in range(data.num_columns)]
    except ValueError as exc:  # nanoseconds that a datetime cannot hold
        raise NotInlinable(str(exc), tables=()) from None
    if data.num_rows == 0:
        first = exp.select(
            *(
                exp.alias_(typed_literal(None, t, dialect), n, copy=False)
                for t, n in zip(types, names, strict=True)
            ),
            copy=False,
        )
        return first.where(
            exp.EQ(this=exp.Literal.number(1), expression=exp.Literal.number(0))
        )
    selects: list[exp.Select] = []
    for row in range(data.num_rows):
        cells = [
            typed_literal(col[row], target, dialect)
            for col, target in zip(columns, types, strict=True)
        ]
        if row == 0:
            cells = [
                exp.alias_(cell, n, copy=False)
                for cell, n in zip(cells, names, strict=True)
            ]
        selects.append(exp.select(*cells, copy=False))
    if len(selects) == 1:
        return selects[0]
    return exp.union(*selects, distinct=False, copy=False)


def mock_tables(
    sql: str,
    fixtures: Mapping[str, pa.Table | str],
    *,
    dialect: str,
    max_cells: int = DEFAULT_MAX_CELLS,
) -> str:
    """Rewrite ``sql`` so that it reads ``fixtures`` instead of the real tables.

    Each fixture table becomes a CTE (``sqltest_mock_<name>``) placed first in
    the query's top-level ``WITH``; every reference to the table (in ``FROM``,
    ``JOIN``, subqueries and the query's own CTEs) reads the CTE instead, under
    the reference's alias, or the table's name when it has none, so qualified
    columns (``orders.id``) still resolve. A reference that names a CTE of the
    query in scope is not a table reference and is left alone.

    Args:
        sql: One query (``SELECT``, set operation, ``WITH ...``).
        fixtures: Table name (``orders``, ``sales.orders``; matched
            case-insensitively against references written with the same number
            of parts) to the rows that replace it, or to the name of another
            table to read instead (the temporary-table fallback).
        dialect: ``duckdb``, ``sqlite``, ``postgres``, ``mysql`` or ``snowflake``.
        max_cells: Upper bound on rows times columns of all inlined fixtures.

    Returns:
        The rewritten query, rendered for ``dialect``.

    Raises:
        ConfigError: the SQL is not one query, or a fixture is never referenced.
        FixtureTooLarge: the fixtures exceed ``max_cells``; nothing is inlined.
        NotInlinable: a fixture holds a type with no literal form (binary,
            nested, or NaN on MySQL/SQLite); ``tables`` names it.

    >>> import pyarrow as pa
    >>> rows = pa.table({"id": pa.array([1, 2], pa.int32())})
    >>> sql = mock_tables("SELECT id FROM orders", {"orders": rows}, dialect="duckdb")
    >>> sql.startswith('WITH "sqltest_mock_orders" AS (SELECT CAST(1 AS INT) AS "id"')
    True
    >>> sql.endswith('SELECT id FROM "sqltest_mock_orders" AS orders')
    True
    """
    tree = parse_query(sql, dialect)
    wanted = {_fixture_parts(name, dialect): name for name in fixtures}
    taken = {_fold(cte.alias) for cte in tree.find_all(exp.CTE)}
    read = sorted({".".join(_parts(t)) for t in tree.find_all(exp.Table)} - {""})
    cte_names: dict[str, exp.Identifier] = {}
    inlined: dict[str, pa.Table] = {}
    used: set[str] = set()
    unaliased: set[tuple[str, ...]] = set()
    for ref in list(tree.find_all(exp.Table)):
        if not isinstance(ref.this, exp.Identifier):
            continue  # a table function, not a table
        name = wanted.get(_parts(ref))
        if name is None or (not ref.db and _fold(ref.name) in _visible_ctes(ref)):
            continue
        used.add(name)
        alias = ref.args.get("alias")
        if alias is None:
            alias = exp.TableAlias(this=ref.this.copy())
            if ref.db:
                unaliased.add(_parts(ref))
        replacement = fixtures[name]
        if isinstance(replacement, str):
            target = table(replacement, dialect)
        else:
            if name not in cte_names:
                cte_names[name] = identifier(_cte_name(name, taken), dialect)
                inlined[name] = replacement
            target = exp.Table(this=cte_names[name].copy())
        target.set("alias", alias.copy())
        ref.replace(target)
    _unqualify_columns(tree, unaliased)
    unused = sorted(set(fixtures) - used)
    if unused:
        raise ConfigError(f"fixtures {unused} match no table the query reads ({read})")
    sizes = {name: t.num_rows * t.num_columns for name, t in inlined.items()}
    if sum(sizes.values()) > max_cells:
        raise FixtureTooLarge(sizes, limit=max_cells)
    ctes = []
    for name, cte_name in cte_names.items():
        try:
            body = _rows_cte(inlined[name], dialect)
        except NotInlinable as exc:
            raise NotInlinable(
                f"fixture {name!r}: {exc.message}", tables=(name,)
            ) from None
        ctes.append(exp.CTE(this=body, alias=exp.TableAlias(this=cte_name)))
    if ctes:
        _prepend_ctes(tree, ctes)
    return render(tree, dialect)


def _unqualify_columns(tree: exp.Expr, replaced: set[tuple[str, ...]]) -> None:
    """``sales.orders.id`` becomes ``orders.id``: the CTE answers to ``orders``."""
    if not replaced:
        return
    for col in tree.find_all(exp.Column):
        parts = tuple(_fold(p) for p in (col.catalog, col.db, col.table) if p)
        if len(parts) > 1 and parts in replaced:
            col.set("db", None)
            col.set("catalog", None)


def _cte_name(fixture: str, taken: set[str]) -> str:
    base = _MOCK_PREFIX + fixture.replace(".", "_")
    name, n = base, 1
    while _fold(name) in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(_fold(name))
    return name


def _prepend_ctes(tree: exp.Query, ctes: list[exp.CTE]) -> None:
    with_ = tree.args.get("with_")
    if isinstance(with_, exp.With):
        with_.set("expressions", [*ctes, *with_.expressions])
    else:
        tree.set("with_", exp.With(expressions=ctes))


def select_cte(sql: str, name: str, *, dialect: str) -> str:
    """A query that outputs the CTE ``name`` of ``sql`` instead of its result.

    The CTE must be defined in the query's top-level ``WITH``; it keeps the CTEs
    before it (and all of them under ``WITH RECURSIVE``), and selects ``*``.

    >>> select_cte("WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS y FROM a) "
    ...            "SELECT * FROM b", "a", dialect="duckdb")
    'WITH a AS (SELECT 1 AS x) SELECT * FROM a'
    """
    tree = parse_query(sql, dialect)
    with_ = tree.args.get("with_")
    ctes = list(with_.expressions) if isinstance(with_, exp.With) else []
    index = next((i for i, c in enumerate(ctes) if _fold(c.alias) == _fold(name)), None)
    if index is None or with_ is None:
        defined = [c.alias for c in ctes]
        raise ConfigError(f"the query defines no top-level CTE {name!r} ({defined})")
    keep = ctes if with_.args.get("recursive") else ctes[: index + 1]
    target = ctes[index].args["alias"].this.copy()
    query = exp.select(exp.Star()).from_(exp.Table(this=target))
    query.set(
        "with_", exp.With(expressions=keep, recursive=with_.args.get("recursive"))
    )
    return render(query, dialect)
