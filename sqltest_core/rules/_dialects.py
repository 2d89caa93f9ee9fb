"""Every engine difference the rule compiler knows about, in one place.

Rules are built once as sqlglot trees and rendered per dialect. sqlglot renders
quoting, literals, ``LIMIT``, ``LENGTH`` (``CHAR_LENGTH`` on MySQL) and regex
matching (DuckDB ``REGEXP_MATCHES``, PostgreSQL ``~``, SQLite ``REGEXP``, which
our SQLite connector registers); two regex renderings need fixing:

- MariaDB has no ``REGEXP_LIKE`` (MySQL 8 has both): ``REGEXP_INSTR(...) > 0``.
- Snowflake's ``REGEXP_LIKE`` matches the whole value, unlike every other engine:
  ``REGEXP_COUNT(...) > 0`` searches like the rest.

Aggregates and time:

- ``STDDEV`` is the population deviation on MySQL, the sample one elsewhere, so
  ``STDDEV_SAMP`` is named explicitly (over a ``DOUBLE`` on MySQL, which rounds
  the deviation of integers to 4 decimals); SQLite has neither: the scan returns
  ``COUNT``, ``SUM`` and the sum of squares, and Python finishes the sum.
- "Now" is ``CURRENT_TIMESTAMP`` except on SQLite, where it is UTC text with a
  space separator that compares badly with ISO text: both sides go through
  ``julianday()`` there (a value SQLite cannot read as a time is NULL: it passes).

``PERCENTILE_CONT`` exists on DuckDB, PostgreSQL and Snowflake; MySQL (a
window function only on MariaDB) and SQLite get the quantile from
``ROW_NUMBER()`` over the sorted values.

Format and cast patterns (:data:`FORMATS`, :data:`CASTS`) keep to what RE2,
POSIX, PCRE and Python's ``re`` share: bracket classes only (no ``\\d``,
``\\w``, lookarounds or backslashes, whose reading in a literal depends on
server settings such as MySQL's ``NO_BACKSLASH_ESCAPES``).

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

__all__ = [
    "CASTS",
    "FORMATS",
    "as_text",
    "column",
    "dialect_of",
    "has_percentile_cont",
    "is_future",
    "parse_condition",
    "parse_query",
    "regex_search",
    "render",
    "stddev_parts",
    "table",
]

_HEX = "[0-9A-Fa-f]"
FORMATS: dict[str, str] = {
    "email": "^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+([.][A-Za-z0-9-]+)*[.][A-Za-z]{2,}$",
    "uuid": f"^{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}$",
    "iso_date": "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
    "url": "^https?://[A-Za-z0-9.-]+(:[0-9]+)?([/?#][^ ]*)?$",
    "phone": "^[+]?[(]?[0-9]{1,4}[)]?([ .-]?[0-9]){4,14}$",
}
"""Patterns of the ``format`` rule, portable across the five regex engines."""

_DATE = (
    "[0-9]{4}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
    "|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|[12][0-9]))"
)
_TIME = "([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]+)?)?"
_ZONE = "(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?"


def _anycase(word: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)


_BOOLEANS = "|".join(
    _anycase(w) for w in ("true", "false", "yes", "no", "on", "off", "t", "f", "y", "n")
)
CASTS: dict[str, str] = {
    "integer": "^ *[+-]?[0-9]{1,18} *$",
    "number": "^ *[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)? *$",
    "boolean": f"^ *({_BOOLEANS}|1|0) *$",
    "date": f"^ *{_DATE} *$",
    "timestamp": f"^ *{_DATE}[T ]{_TIME} ?{_ZONE} *$",
}
"""Patterns of the ``castable`` rule: the same syntax check on every engine."""

_PLAIN_LOWER = re.compile(r"[a-z_][a-z0-9_$]*")


class SqltestSQLite(SQLite):
    """SQLite, with identifiers rendered in backticks (never read as strings)."""

    class Tokenizer(SQLite.Tokenizer):
        IDENTIFIERS = ["`", '"', ("[", "]")]  # noqa: RUF012 - sqlglot's own shape


_SQLITE = SqltestSQLite()


def dialect_of(name: str) -> str | Dialect:
    """The sqlglot dialect to read and write ``name``'s SQL with."""
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
        return sqlglot.parse_one(sql, read=dialect_of(dialect), into=exp.Condition)
    except SqlglotError:
        raise ValueError(f"{sql!r} is not one SQL boolean expression") from None


def parse_query(sql: str, dialect: str) -> str:
    """A user's query (one SELECT, WITH or set operation), as text to wrap.

    The text is kept as written (sqlglot only checks it), without a final
    semicolon.

    Raises:
        ValueError: when ``sql`` is not exactly one query.
    """
    try:
        trees = [t for t in sqlglot.parse(sql, read=dialect_of(dialect)) if t]
    except SqlglotError as exc:
        first = str(exc).splitlines()[0]
        raise ValueError(f"cannot parse the query: {first}") from None
    if len(trees) != 1 or not isinstance(trees[0], exp.Query):
        raise ValueError("expected exactly one SELECT query")
    return sql.strip().rstrip(";").rstrip()


def regex_search(value: exp.Expr, pattern: str, dialect: str) -> exp.Expr:
    """True when ``pattern`` matches somewhere in ``value`` (NULL if it is NULL)."""
    literal = exp.Literal.string(pattern)
    if dialect in ("mysql", "snowflake"):
        name = "REGEXP_INSTR" if dialect == "mysql" else "REGEXP_COUNT"
        call = exp.Anonymous(this=name, expressions=[value, literal])
        return exp.GT(this=call, expression=exp.Literal.number(0))
    return exp.RegexpLike(this=value, expression=literal)


def stddev_parts(value: exp.Expr, dialect: str) -> list[exp.Expr]:
    """Aggregates from which ``_evaluate`` computes the sample deviation."""
    if dialect == "sqlite":
        as_real = exp.Mul(this=value.copy(), expression=exp.Literal.number("1.0"))
        square = exp.Mul(this=as_real, expression=value.copy())
        return [
            exp.Count(this=value.copy()),
            exp.Sum(this=as_real.copy()),
            exp.Sum(this=square),
        ]
    if dialect == "mysql":
        value = exp.Cast(this=value, to=exp.DataType.build("DOUBLE"))
    return [exp.Anonymous(this="STDDEV_SAMP", expressions=[value])]


def is_future(value: exp.Expr, dialect: str) -> exp.Expr:
    """True when the time ``value`` lies after the engine's current time."""
    if dialect == "sqlite":
        julian = exp.Anonymous(this="JULIANDAY", expressions=[value])
        now = exp.Anonymous(this="JULIANDAY", expressions=[exp.Literal.string("now")])
        return exp.GT(this=julian, expression=now)
    return exp.GT(this=value, expression=exp.CurrentTimestamp())


def as_text(value: exp.Expr) -> exp.Expr:
    """``value`` cast to the engine's text type (``CHAR`` on MySQL)."""
    return exp.Cast(this=value, to=exp.DataType.build("text"))


def has_percentile_cont(dialect: str) -> bool:
    """Whether the engine has the ``PERCENTILE_CONT`` aggregate."""
    return dialect in ("duckdb", "postgres", "snowflake")


def render(tree: exp.Expr, dialect: str) -> str:
    """``tree`` as SQL text for ``dialect``."""
    return tree.sql(dialect=dialect_of(dialect))
