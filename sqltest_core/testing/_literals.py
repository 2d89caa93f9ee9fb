"""Arrow values as typed SQL literals, per dialect (sqlglot trees, never text).

Each value becomes ``CAST(<literal> AS <type>)``, with the type taken from the
fixture's Arrow schema; sqlglot renders the type name of each engine (MySQL's
``CAST`` knows only ``SIGNED``, ``CHAR``, ``DECIMAL``, ``DOUBLE``, ``DATE``,
``DATETIME``...) and escapes the literal. Engine differences:

- MySQL/MariaDB have no time-zone-aware type: an aware timestamp is converted to
  UTC and inlined as ``DATETIME(6)``; booleans are ``1``/``0`` (``SIGNED``).
- SQLite has no date, time or decimal type: dates, times and timestamps are
  ISO text (``'2024-01-02 03:04:05'``, aware ones converted to UTC with a
  ``+00:00`` suffix), decimals are ``REAL``, booleans ``1``/``0``.
- NaN and infinities exist on DuckDB, PostgreSQL and Snowflake only.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import TYPE_CHECKING

import pyarrow as pa
from sqlglot import exp

from sqltest_core.errors import ConfigError, NotInlinable

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["sql_type", "typed_literal"]

_INT_TYPES: dict[pa.DataType, str] = {
    pa.int8(): "SMALLINT",
    pa.int16(): "SMALLINT",
    pa.uint8(): "SMALLINT",
    pa.int32(): "INT",
    pa.uint16(): "INT",
    pa.int64(): "BIGINT",
    pa.uint32(): "BIGINT",
    pa.uint64(): "DECIMAL(20, 0)",
}
_NON_FINITE = {"duckdb", "postgres", "snowflake"}


def sql_type(arrow: pa.DataType, dialect: str) -> exp.DataType:
    """The SQL type a fixture column of type ``arrow`` is cast to on ``dialect``.

    Raises:
        NotInlinable: for types with no literal form (binary, nested, intervals).
        ConfigError: for a column without a type (Arrow ``null``, all values NULL).

    >>> import pyarrow as pa
    >>> sql_type(pa.decimal128(10, 2), "mysql").sql(dialect="mysql")
    'DECIMAL(10, 2)'
    """
    if pa.types.is_null(arrow):
        raise ConfigError("a fixture column has no type (all NULL): give it a schema")
    if arrow in _INT_TYPES:
        name = _INT_TYPES[arrow]
    elif pa.types.is_boolean(arrow):
        name = "INT" if dialect == "sqlite" else "BOOLEAN"
    elif pa.types.is_float16(arrow) or pa.types.is_float32(arrow):
        name = "FLOAT"
    elif pa.types.is_float64(arrow):
        name = "DOUBLE"
    elif pa.types.is_decimal(arrow):
        name = (
            "REAL"
            if dialect == "sqlite"
            else f"DECIMAL({arrow.precision}, {arrow.scale})"
        )
    elif pa.types.is_string(arrow) or pa.types.is_large_string(arrow):
        name = "TEXT"
    elif pa.types.is_string_view(arrow):
        name = "TEXT"
    elif pa.types.is_date(arrow):
        name = "TEXT" if dialect == "sqlite" else "DATE"
    elif pa.types.is_time(arrow):
        name = "TEXT" if dialect == "sqlite" else "TIME"
    elif pa.types.is_timestamp(arrow):
        name = _timestamp_type(arrow, dialect)
    else:
        raise NotInlinable(f"type {arrow} has no literal form here", tables=())
    return exp.DataType.build(name, dialect="duckdb")


def _timestamp_type(arrow: pa.TimestampType, dialect: str) -> str:
    if dialect == "sqlite":
        return "TEXT"
    if dialect == "mysql":
        return "DATETIME(6)"
    return "TIMESTAMPTZ" if arrow.tz is not None else "TIMESTAMP"


def typed_literal(value: object, target: exp.DataType, dialect: str) -> exp.Expr:
    """``value`` (a Python value from an Arrow column) cast to ``target``.

    >>> typed_literal("it's", sql_type(pa.string(), "postgres"), "postgres").sql()
    "CAST('it''s' AS TEXT)"
    """
    if value is None:
        literal: exp.Expr = exp.null()
    else:
        literal = _literal(value, dialect)
    return exp.Cast(this=literal, to=target.copy())


def _literal(value: object, dialect: str) -> exp.Expr:
    for kind, render in _RENDERERS:
        if isinstance(value, kind):
            return render(value, dialect)
    raise NotInlinable(f"no literal form for {type(value).__name__}", tables=())


def _bool(value: object, dialect: str) -> exp.Expr:
    if dialect == "sqlite":
        return exp.Literal.number(int(bool(value)))
    return exp.true() if value else exp.false()


def _int(value: object, dialect: str) -> exp.Expr:
    assert isinstance(value, int)
    return exp.Literal.number(value)


def _float(value: object, dialect: str) -> exp.Expr:
    assert isinstance(value, float)
    if math.isfinite(value):
        return exp.Literal.number(repr(value))
    if dialect not in _NON_FINITE:
        raise NotInlinable(f"{dialect} has no NaN or infinity", tables=())
    text = "NaN" if math.isnan(value) else ("-Infinity" if value < 0 else "Infinity")
    return exp.Literal.string(text)


def _decimal(value: object, dialect: str) -> exp.Expr:
    assert isinstance(value, decimal.Decimal)
    if not value.is_finite():
        raise NotInlinable("a decimal NaN or infinity has no literal form", tables=())
    return exp.Literal.number(format(value, "f"))


def _timestamp(value: object, dialect: str) -> exp.Expr:
    assert isinstance(value, dt.datetime)
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
        if dialect == "mysql":
            value = value.replace(tzinfo=None)
    return exp.Literal.string(value.isoformat(sep=" "))


def _iso(value: object, dialect: str) -> exp.Expr:
    assert isinstance(value, dt.date | dt.time)
    return exp.Literal.string(value.isoformat())


def _text(value: object, dialect: str) -> exp.Expr:
    assert isinstance(value, str)
    return exp.Literal.string(value)


# Order matters: bool before int, datetime before date.
_RENDERERS: tuple[tuple[type, Callable[[object, str], exp.Expr]], ...] = (
    (bool, _bool),
    (int, _int),
    (float, _float),
    (decimal.Decimal, _decimal),
    (dt.datetime, _timestamp),
    (dt.date, _iso),
    (dt.time, _iso),
    (str, _text),
)
