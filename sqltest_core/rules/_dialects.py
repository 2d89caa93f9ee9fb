"""Every engine difference the rule compiler knows about, in one place.

Rules are built once as sqlglot trees and rendered per dialect. sqlglot renders
quoting, literals, ``LIMIT``, ``LENGTH`` (``CHAR_LENGTH`` on MySQL) and regex
matching (DuckDB ``REGEXP_MATCHES``, PostgreSQL ``~``, SQLite ``REGEXP``, which
our SQLite connector registers); two regex renderings need fixing:

- MariaDB has no ``REGEXP_LIKE`` (MySQL 8 has both): ``REGEXP_INSTR(...) > 0``.
- Snowflake's ``REGEXP_LIKE`` matches the whole value, unlike every other engine:
  ``REGEXP_COUNT(...) > 0`` searches like the rest.

SQLite names are quoted with backticks: a double-quoted name that matches no
column silently becomes a string literal there, so a misspelt column would pass
every rule instead of erroring.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.dialects.sqlite import SQLite
from sqlglot.errors import SqlglotError

__all__ = ["column", "parse_condition", "regex_search", "render", "table"]

_PLAIN_LOWER = re.compile(r"[a-z_][a-z0-9_$]*")


class SqltestSQLite(SQLite):
    """SQLite, with identifiers rendered in backticks (never read as strings)."""

    class Tokenizer(SQLite.Tokenizer):
        IDENTIFIERS = ["`", '"', ("[", "]")]  # noqa: RUF012 - sqlglot's own shape


_SQLITE = SqltestSQLite()


def _dialect(name: str) -> str | Dialect:
    return _SQLITE if name == "sqlite" else name


def identifier(name: str, dialect: str) -> exp.Identifier:
    """A quoted identifier; plain lower-case names are folded on Snowflake."""
    if dialect == "snowflake" and _PLAIN_LOWER.fullmatch(name):
        name = name.upper()
    return exp.to_identifier(name, quoted=True)


def column(name: str, dialect: str) -> exp.Column:
    """A quoted column reference."""
    return exp.Column(this=identifier(name, dialect))


def table(name: str, dialect: str) -> exp.Table:
    """A quoted reference from ``table``, ``schema.table`` or ``db.schema.table``."""
    parts = [identifier(part, dialect) for part in name.split(".")]
    if len(parts) > 3 or not all(p.name for p in parts):
        raise ValueError(f"bad table name {name!r}: expected [[db.]schema.]table")
    padded: list[exp.Identifier | None] = [None] * (3 - len(parts))
    padded.extend(parts)
    return exp.Table(this=padded[2], db=padded[1], catalog=padded[0])


def parse_condition(sql: str, dialect: str) -> exp.Expr:
    """A user's SQL boolean expression; statements and fragments are rejected.

    Raises:
        ValueError: when ``sql`` is not one boolean expression.
    """
    try:
        return sqlglot.parse_one(sql, read=_dialect(dialect), into=exp.Condition)
    except SqlglotError:
        raise ValueError(f"{sql!r} is not one SQL boolean expression") from None


def regex_search(value: exp.Expr, pattern: str, dialect: str) -> exp.Expr:
    """True when ``pattern`` matches somewhere in ``value`` (NULL if it is NULL)."""
    literal = exp.Literal.string(pattern)
    if dialect in ("mysql", "snowflake"):
        name = "REGEXP_INSTR" if dialect == "mysql" else "REGEXP_COUNT"
        call = exp.Anonymous(this=name, expressions=[value, literal])
        return exp.GT(this=call, expression=exp.Literal.number(0))
    return exp.RegexpLike(this=value, expression=literal)


def render(tree: exp.Expr, dialect: str) -> str:
    """``tree`` as SQL text for ``dialect``."""
    return tree.sql(dialect=_dialect(dialect))
