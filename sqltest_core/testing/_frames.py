"""Results as Arrow tables, the type compatibility table, and comparable cells.

Type compatibility of an actual column with an expected one (``docs/testing.md``
shows the same table):

================================  ============  ==============================
pair                              ``strict``    ``loose``
================================  ============  ==============================
same logical type                 equal         equal
int8 ... uint64, other width      mismatch      compared as integers
integer and decimal               mismatch      compared as exact numbers
decimal(p, s), other p or s       mismatch      compared as exact numbers
float32 and float64               mismatch      compared as floats
float and integer or decimal      mismatch      only with ``abs_tol``/``rel_tol``
timestamp units (s, ms, us, ns)   mismatch      compared as the same instant
timestamp tz A and tz B           mismatch      compared as instants
naive and aware timestamp         mismatch      mismatch (never equal)
Arrow ``null`` (all-NULL column)  mismatch      matches any type
anything else                     mismatch      mismatch (date vs timestamp...)
================================  ============  ==============================

"Logical" ignores the physical layout: ``string``, ``large_string`` and
``string_view`` are one type, as are the binary and list variants and
``date32``/``date64``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import pyarrow as pa

__all__ = [
    "CheckTypes",
    "Frame",
    "Rule",
    "column_rule",
    "comparable",
    "family",
    "python_values",
    "to_arrow",
]

# Any: a pyarrow Table or RecordBatch, a polars DataFrame (not imported here),
# or rows as a sequence of dicts.
Frame: TypeAlias = Any
CheckTypes = Literal["strict", "loose"]


def to_arrow(value: Frame, *, schema: pa.Schema | None = None) -> pa.Table:
    """``value`` as a ``pyarrow.Table`` (polars frames and dict rows converted once).

    >>> to_arrow([{"id": 1, "name": "a"}]).schema.types
    [DataType(int64), DataType(string)]
    """
    if isinstance(value, pa.Table):
        return value if schema is None else value.cast(schema)
    if isinstance(value, pa.RecordBatch):
        return to_arrow(pa.Table.from_batches([value]), schema=schema)
    if hasattr(value, "to_arrow"):  # polars.DataFrame
        return to_arrow(value.to_arrow(), schema=schema)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return pa.Table.from_pylist(list(value), schema=schema)
    raise TypeError(
        f"expected a pyarrow Table, polars DataFrame or rows, not {value!r}"
    )


def family(arrow: pa.DataType) -> str:
    """The coarse kind of a type: ``integer``, ``float``, ``timestamptz``..."""
    checks = (
        (pa.types.is_integer, "integer"),
        (pa.types.is_floating, "float"),
        (pa.types.is_decimal, "decimal"),
        (pa.types.is_boolean, "boolean"),
        (lambda t: pa.types.is_string(t) or pa.types.is_large_string(t), "string"),
        (pa.types.is_string_view, "string"),
        (pa.types.is_date, "date"),
        (pa.types.is_time, "time"),
        (pa.types.is_duration, "duration"),
        (pa.types.is_null, "null"),
    )
    if pa.types.is_timestamp(arrow):
        return "timestamp" if arrow.tz is None else "timestamptz"
    for check, name in checks:
        if check(arrow):
            return name
    if pa.types.is_binary(arrow) or pa.types.is_large_binary(arrow):
        return "binary"
    return str(arrow)


def _logical(arrow: pa.DataType) -> str:
    kind = family(arrow)
    if kind in ("string", "binary", "date"):
        return kind
    if pa.types.is_large_list(arrow) or pa.types.is_list_view(arrow):
        return f"list<{_logical(arrow.value_type)}>"
    if pa.types.is_list(arrow):
        return f"list<{_logical(arrow.value_type)}>"
    return str(arrow)


@dataclass(frozen=True, slots=True)
class Rule:
    """How one column pair is compared: ``approx`` uses the tolerances."""

    approx: bool
    unit: str | None = None  # timestamps: the unit both sides are cast to


_EXACT_NUMBERS = {"integer", "decimal"}


def column_rule(
    actual: pa.DataType,
    expected: pa.DataType,
    *,
    check_types: CheckTypes,
    has_tolerance: bool,
) -> Rule | str:
    """The comparison of a column pair, or why the types are incompatible."""
    a, e = family(actual), family(expected)
    approx = has_tolerance and "float" in (a, e)
    if _logical(actual) == _logical(expected):
        return Rule(approx=approx, unit=_unit(actual, expected))
    if check_types == "strict":
        return f"type {actual} differs from {expected} (check_types='strict')"
    if "null" in (a, e):
        return Rule(approx=approx, unit=_unit(actual, expected))
    if a == e and a in ("timestamp", "timestamptz"):
        return Rule(approx=False, unit=_unit(actual, expected))
    if a == e or {a, e} <= _EXACT_NUMBERS:
        return Rule(approx=approx)
    if "float" in (a, e) and {a, e} <= _EXACT_NUMBERS | {"float"}:
        if has_tolerance:
            return Rule(approx=True)
        return f"{actual} vs {expected} compares only with an explicit abs_tol/rel_tol"
    if {a, e} == {"timestamp", "timestamptz"}:
        return f"a naive timestamp never equals an aware one ({actual} vs {expected})"
    return f"type {actual} is not comparable with {expected}"


def _unit(actual: pa.DataType, expected: pa.DataType) -> str | None:
    units = [t.unit for t in (actual, expected) if pa.types.is_timestamp(t)]
    if not units:
        return None
    order = ["s", "ms", "us", "ns"]
    return str(max(units, key=order.index))


class _Null:
    """NULL in a key: equal to itself only (``null_equal=True``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NULL"


class _Unequal:
    """NULL under SQL semantics (``null_equal=False``): equal to nothing."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return id(self)


NULL = _Null()
NAN = ("nan",)  # a NaN equals a NaN in result comparison


def python_values(column: pa.ChunkedArray | pa.Array) -> list[Any]:
    """``column.to_pylist()``, with nanosecond times that ``datetime`` cannot
    hold given as text (without pandas, pyarrow refuses to truncate them)."""
    try:
        return list(column.to_pylist())
    except ValueError:
        return list(column.cast(pa.string()).to_pylist())


def comparable(
    column: pa.ChunkedArray | pa.Array, rule: Rule, *, null_equal: bool
) -> list[Any]:
    """Hashable, comparable cells of ``column``: instants as integers, NULLs marked."""
    if rule.unit is not None and pa.types.is_timestamp(column.type):
        column = column.cast(pa.timestamp(rule.unit, column.type.tz)).cast(pa.int64())
    out: list[Any] = []
    for value in python_values(column):
        if value is None:
            out.append(NULL if null_equal else _Unequal())
        elif isinstance(value, float) and math.isnan(value):
            out.append(value if rule.approx else NAN)
        elif isinstance(value, list | dict):
            out.append(repr(value))
        else:
            out.append(value)
    return out


def cells_equal(a: Any, e: Any, *, abs_tol: float, rel_tol: float) -> bool:
    """Approximate cells: NULL and NaN equal themselves, numbers within tolerance."""
    if isinstance(a, _Unequal | _Null) or isinstance(e, _Unequal | _Null):
        return a is e and a is NULL
    fa, fe = float(a), float(e)
    if math.isnan(fa) or math.isnan(fe):
        return math.isnan(fa) and math.isnan(fe)
    return math.isclose(fa, fe, abs_tol=abs_tol, rel_tol=rel_tol)
