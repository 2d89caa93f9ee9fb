"""A view under test reads fixtures too: its definition is tested in its place.

A view is bound to the tables it names when it is created, so replacing those
tables in the *query* (``SELECT * FROM v``) changes nothing. When a test of a
view has fixtures, the view's definition is read from the database and tested
instead, as ``SELECT * FROM (<definition>) AS v``, so that mocking reaches the
tables inside it. Table names the definition qualifies with a schema (MySQL
always does) match fixtures by their last part. Definitions come from each
engine's catalog: ``pg_get_viewdef``, ``duckdb_views()``, ``sqlite_master``
and ``information_schema.VIEWS`` (MySQL, Snowflake).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from sqltest_core.rules._dialects import dialect_of, render, table

if TYPE_CHECKING:
    from sqltest_core.testing._db import TestDB

__all__ = ["view_query"]


def _lookup(name: str, dialect: str) -> str | None:
    """The catalog query returning ``name``'s definition (one row, one column)."""
    ref = table(name, dialect)
    view = exp.convert(ref.name)
    schema = exp.convert(ref.db) if ref.db else None
    if dialect == "postgres":
        qualified = exp.convert(render(ref, dialect))
        return f"SELECT pg_get_viewdef(to_regclass({render(qualified, dialect)}), true)"
    if dialect == "duckdb":
        where = f"view_name = {render(view, dialect)} AND NOT internal"
        if schema is not None:
            where += f" AND schema_name = {render(schema, dialect)}"
        return f"SELECT sql FROM duckdb_views() WHERE {where}"
    if dialect == "sqlite":
        return (
            "SELECT sql FROM sqlite_master WHERE type = 'view' "
            f"AND name = {render(view, dialect)}"
        )
    if dialect in ("mysql", "snowflake"):
        # MySQL's VIEW_DEFINITION is the SELECT; Snowflake's the CREATE VIEW.
        current = "DATABASE()" if dialect == "mysql" else "CURRENT_SCHEMA()"
        db = render(schema, dialect) if schema is not None else current
        return (
            "SELECT VIEW_DEFINITION FROM information_schema.VIEWS "
            f"WHERE TABLE_SCHEMA = {db} AND TABLE_NAME = {render(view, dialect)}"
        )
    return None


def _select_of(text: str, dialect: str) -> exp.Query | None:
    try:
        tree = sqlglot.parse_one(text.strip().rstrip(";"), read=dialect_of(dialect))
    except SqlglotError:
        return None
    if isinstance(tree, exp.Create):
        tree = tree.expression
    return tree if isinstance(tree, exp.Query) else None


def _unqualify(query: exp.Query, names: Iterable[str]) -> exp.Query:
    """Drop the schema of references to fixture tables (matched by last part)."""
    wanted = {n.split(".")[-1].casefold() for n in names}
    for ref in query.find_all(exp.Table):
        if ref.name.casefold() in wanted:
            ref.set("db", None)
            ref.set("catalog", None)
    for col in query.find_all(exp.Column):  # MySQL writes `db`.`table`.`column`
        if col.table.casefold() in wanted:
            col.set("db", None)
            col.set("catalog", None)
    return query


async def view_query(db: TestDB, name: str, fixtures: Iterable[str]) -> str | None:
    """``SELECT * FROM (<definition of name>) AS name``, or None when not found.

    None (the caller then reads the view itself) when ``name`` is no view the
    engine can describe, or its definition does not parse.
    """
    lookup = _lookup(name, db.dialect)
    if lookup is None:
        return None
    definition = await db.scalar(lookup, mock=False)
    if not isinstance(definition, str) or not definition.strip():
        return None
    select = _select_of(definition, db.dialect)
    if select is None:
        return None
    select = _unqualify(select, fixtures)
    ref = table(name, db.dialect)
    alias = exp.TableAlias(this=ref.this.copy())
    outer = exp.select(exp.Star()).from_(exp.Subquery(this=select, alias=alias))
    return render(outer, db.dialect)
