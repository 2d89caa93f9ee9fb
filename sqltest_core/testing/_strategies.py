"""Hypothesis strategies of fixture tables, derived from a :class:`TableSpec`.

Property-based tests state an invariant of a query's output ("the group counts
add up to the row count") and let hypothesis search for fixture rows that break
it, shrinking a failure to a minimal table. hypothesis is an optional extra
(``pip install "sqltest_core[property]"``), imported when a strategy is built.

Each column draws from its type (within ``min``/``max`` when given, with the same
defaults as :func:`generate`), or from its value set; nullable columns include
NULL; unique columns hold distinct values (NULLs count as equal here, a stricter
rule than SQL's). A foreign key (``references``) is not followed: draw the
parent rows in the test and pass them as the child column's ``values``.
Strings are any Unicode text without control or surrogate characters, so
quoting and escaping get exercised.
"""

from __future__ import annotations

import datetime as dt
import decimal
import importlib
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from sqltest_core.errors import ConfigError, MissingDriver

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from sqltest_core.testing._generate import ColumnSpec, TableSpec

__all__ = ["rows_strategy"]

_INT_RANGE = 1_000_000
_FIRST = dt.datetime(2000, 1, 1)
_LAST = dt.datetime(2030, 12, 31, 23, 59, 59, 999_999)


def _st() -> Any:  # Any: the hypothesis.strategies module, an optional import
    try:
        return importlib.import_module("hypothesis.strategies")
    except ImportError as exc:
        raise MissingDriver(
            'property-based tests need hypothesis: pip install "sqltest_core[property]"'
        ) from exc


def rows_strategy(
    spec: TableSpec, *, min_rows: int = 0, max_rows: int = 50
) -> SearchStrategy[pa.Table]:
    """A hypothesis strategy of ``pyarrow.Table`` s shaped like ``spec``.

    ``spec.rows`` is ignored: tables have ``min_rows`` to ``max_rows`` rows.

    Raises:
        ConfigError: for a type with no strategy, or bad bounds.
        MissingDriver: when hypothesis is not installed.

    >>> import pyarrow as pa
    >>> from sqltest_core.testing._generate import ColumnSpec, TableSpec
    >>> spec = TableSpec("t", (ColumnSpec("k", pa.int8(), nullable=False,
    ...                                   unique=True),), rows=0)
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5, database=None)
    ... @given(rows_strategy(spec, min_rows=3, max_rows=3))
    ... def check(table):
    ...     assert table.schema.field("k").type == pa.int8()
    ...     assert len(set(table["k"].to_pylist())) == table.num_rows == 3
    >>> check()
    """
    st = _st()
    if not 0 <= min_rows <= max_rows:
        raise ConfigError(f"bad row bounds {min_rows}..{max_rows}")
    columns = {c.name: _column(st, c) for c in spec.columns}
    keys = tuple(_key(c.name) for c in spec.columns if c.unique)
    rows = st.lists(
        st.fixed_dictionaries(columns),
        min_size=min_rows,
        max_size=max_rows,
        unique_by=keys or None,
    )
    schema = spec.schema
    return rows.map(lambda r: pa.Table.from_pylist(r, schema=schema))  # type: ignore[no-any-return]


def _key(name: str) -> Any:
    return lambda row: row[name]


def _column(st: Any, col: ColumnSpec) -> Any:
    try:
        values = _values(st, col)
    except (TypeError, ValueError, decimal.InvalidOperation) as exc:
        if isinstance(exc, ConfigError):
            raise ConfigError(f"{col.name}: {exc.message}") from None
        raise ConfigError(f"{col.name}: bad bounds: {exc}") from None
    if col.nullable and col.null_ratio > 0:
        return st.none() | values
    return values


def _values(st: Any, col: ColumnSpec) -> Any:
    t = col.type
    if col.values is not None:
        return st.sampled_from(col.values)
    if pa.types.is_boolean(t):
        return st.booleans()
    if pa.types.is_integer(t):
        import numpy as np

        info = np.iinfo(t.to_pandas_dtype())
        lo = max(int(info.min), -_INT_RANGE) if col.min is None else col.min
        hi = min(int(info.max), _INT_RANGE) if col.max is None else col.max
        return st.integers(lo, hi)
    if pa.types.is_floating(t):
        lo_f = -1e6 if col.min is None else float(col.min)  # type: ignore[arg-type]
        hi_f = 1e6 if col.max is None else float(col.max)  # type: ignore[arg-type]
        width = 32 if t.bit_width == 32 else 64
        return st.floats(lo_f, hi_f, width=width, allow_nan=False)
    if pa.types.is_decimal(t):
        top = (
            decimal.Decimal(10) ** (t.precision - t.scale)
            - decimal.Decimal(10) ** -t.scale
        )
        bound = min(top, decimal.Decimal(_INT_RANGE))
        lo_d = -bound if col.min is None else decimal.Decimal(str(col.min))
        hi_d = bound if col.max is None else decimal.Decimal(str(col.max))
        return st.decimals(
            lo_d, hi_d, places=t.scale, allow_nan=False, allow_infinity=False
        )
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        short, long = col.length
        chars = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"))
        return st.text(chars, min_size=short, max_size=long)
    if pa.types.is_date(t):
        return st.dates(_as(col.min, _FIRST).date(), _as(col.max, _LAST).date())
    if pa.types.is_timestamp(t):
        zone = st.just(dt.UTC) if t.tz is not None else st.none()
        stamps = st.datetimes(_as(col.min, _FIRST), _as(col.max, _LAST), timezones=zone)
        return stamps.map(_truncate(t.unit))
    if pa.types.is_time(t):
        return st.times().map(_truncate(t.unit))
    raise ConfigError(f"no strategy for type {t}: give a value set (values=...)")


def _as(value: object, default: dt.datetime) -> dt.datetime:
    if value is None:
        return default
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if not isinstance(value, dt.datetime):
        raise ConfigError(f"expected a date or datetime bound, not {value!r}")
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def _truncate(unit: str) -> Any:
    step = {"s": 1_000_000, "ms": 1_000}.get(unit, 1)

    def cut(value: Any) -> Any:
        return value.replace(microsecond=value.microsecond // step * step)

    return cut
