"""Seeded, schema-aware generated fixture data, vectorised with numpy.

A :class:`TableSpec` lists :class:`ColumnSpec` s; :func:`generate` makes every
table at once, parents before children, so that a foreign key draws from the
values its parent column really got. Each column has its own random stream,
derived from the seed and the table and column names: the same seed gives
byte-identical tables, and adding a column does not change the others.

Defaults, when a spec leaves them open: integers in [-1,000,000, 1,000,000]
(clipped to the type), floats in [-1e6, 1e6), decimals in [-1e6, 1e6] within
their precision, dates and timestamps in 2000-01-01 .. 2030-12-31, strings of
1 to 12 letters and digits (unique strings all have the maximum length).
"""

from __future__ import annotations

import datetime as dt
import decimal
import graphlib
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sqltest_core.errors import ConfigError, DependencyCycleError

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["ColumnSpec", "TableSpec", "generate"]

_ALPHABET = np.frombuffer(
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", dtype=np.uint8
)
_INT_RANGE = 1_000_000
_FIRST_DAY = dt.date(2000, 1, 1)
_LAST_DAY = dt.date(2030, 12, 31)
_EPOCH = dt.date(1970, 1, 1)
_UNIT_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
_DAY_SECONDS = 86_400
_MAX_DRAWS = 64


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """How to generate one column.

    Attributes:
        name: Column name.
        type: Arrow type: integers, floats, ``decimal128(p, s)``, strings,
            ``bool``, ``date32``, ``time64``, ``timestamp`` (with or without tz).
        nullable: Whether NULLs may appear (about ``null_ratio`` of the rows).
        unique: Non-NULL values all differ (an error if the domain is too small).
        values: The value set to draw from (``None``: the type's domain).
        min: Lowest value (numbers, dates, timestamps; naive means UTC).
        max: Highest value, inclusive (floats are drawn below it, but may
            round to it at float32).
        null_ratio: Share of NULLs in a nullable column.
        references: ``(table, column)`` of a foreign key: values are drawn from
            that column's generated non-NULL values.
        length: ``(min, max)`` length of generated strings.
    """

    name: str
    type: pa.DataType
    nullable: bool = True
    unique: bool = False
    values: tuple[object, ...] | None = None
    min: object = None
    max: object = None
    null_ratio: float = 0.1
    references: tuple[str, str] | None = None
    length: tuple[int, int] = (1, 12)


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A table to generate: its columns and how many rows."""

    name: str
    columns: tuple[ColumnSpec, ...]
    rows: int
    schema: pa.Schema = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ConfigError(f"table {self.name}: a column name is used twice")
        if self.rows < 0:
            raise ConfigError(f"table {self.name}: rows must be >= 0")
        fields = [pa.field(c.name, c.type, nullable=c.nullable) for c in self.columns]
        object.__setattr__(self, "schema", pa.schema(fields))


def generate(specs: Sequence[TableSpec], *, seed: int) -> dict[str, pa.Table]:
    """Generate every table of ``specs``; the same seed gives identical tables.

    Raises:
        DependencyCycleError: when foreign keys between tables form a cycle.
        ConfigError: for an unknown reference, or a domain too small for a
            unique column, or a type with no generator.

    >>> import pyarrow as pa
    >>> users = TableSpec("users", (ColumnSpec("id", pa.int32(), nullable=False,
    ...                                        unique=True, min=1, max=3),), rows=3)
    >>> orders = TableSpec("orders", (
    ...     ColumnSpec("user_id", pa.int32(), nullable=False,
    ...                references=("users", "id")),
    ...     ColumnSpec("status", pa.string(), values=("new", "paid"), null_ratio=0),
    ... ), rows=4)
    >>> tables = generate([users, orders], seed=7)
    >>> sorted(tables["users"].column("id").to_pylist())
    [1, 2, 3]
    >>> set(tables["orders"].column("user_id").to_pylist()) <= {1, 2, 3}
    True
    """
    by_name = {s.name: s for s in specs}
    if len(by_name) != len(specs):
        raise ConfigError("two table specs have the same name")
    order = _order(by_name)
    done: dict[str, pa.Table] = {}
    for name in order:
        spec = by_name[name]
        own: dict[str, pa.Array] = {}
        # Columns that reference this same table come last, from what is made.
        for col in sorted(spec.columns, key=lambda c: _refers_to(c, name)):
            rng = np.random.default_rng([seed, _stable(name), _stable(col.name)])
            try:
                own[col.name] = _column(col, spec, rng, done, own)
            except ConfigError as exc:
                raise ConfigError(f"{name}.{col.name}: {exc.message}") from None
        arrays = [own[c.name] for c in spec.columns]
        done[name] = pa.Table.from_arrays(arrays, schema=spec.schema)
    return {s.name: done[s.name] for s in specs}


def _refers_to(col: ColumnSpec, table: str) -> bool:
    return col.references is not None and col.references[0] == table


def _order(specs: Mapping[str, TableSpec]) -> list[str]:
    graph: dict[str, set[str]] = {}
    for name, spec in specs.items():
        graph[name] = set()
        for col in spec.columns:
            if col.references is None:
                continue
            parent, column = col.references
            if parent not in specs:
                raise ConfigError(
                    f"{name}.{col.name} references {parent}.{column}: "
                    f"no spec for table {parent}"
                )
            if column not in {c.name for c in specs[parent].columns}:
                raise ConfigError(
                    f"{name}.{col.name} references {parent}.{column}: "
                    f"{parent} has no column {column}"
                )
            if parent != name:
                graph[name].add(parent)
    try:
        return list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        raise DependencyCycleError([str(n) for n in exc.args[1]]) from None


def _stable(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


# -- one column ---------------------------------------------------------------------


def _column(
    col: ColumnSpec,
    spec: TableSpec,
    rng: np.random.Generator,
    done: Mapping[str, pa.Table],
    own: Mapping[str, pa.Array],
) -> pa.Array:
    n = spec.rows
    if col.references is not None:
        parent, name = col.references
        source = own[name] if parent == spec.name else done[parent].column(name)
        values = _drawn(col, _non_null(source), n, rng)
    elif col.values is not None:
        try:
            pool = pa.array(list(col.values), type=col.type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
            raise ConfigError(
                f"a value of the value set is not {col.type}: {exc}"
            ) from None
        values = _drawn(col, _non_null(pool), n, rng)
    else:
        values = _domain(col, n, rng)
    if col.nullable and col.null_ratio > 0 and n:
        mask = pa.array(rng.random(n) < col.null_ratio)
        values = pc.if_else(mask, pa.nulls(n, col.type), values)
    return values


def _non_null(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values.drop_null() if values.null_count else values


def _drawn(
    col: ColumnSpec, pool: pa.Array, n: int, rng: np.random.Generator
) -> pa.Array:
    """``n`` values drawn from ``pool`` (distinct ones for a unique column)."""
    if col.unique:
        pool = pc.unique(pool)
        if len(pool) < n:
            raise ConfigError(
                f"unique column needs {n} distinct values, {len(pool)} to draw from"
            )
        picks = rng.permutation(len(pool))[:n]
    else:
        if n and not len(pool):
            raise ConfigError("nothing to draw from (no non-NULL value)")
        picks = rng.integers(0, max(len(pool), 1), n)
    try:
        return pool.take(pa.array(picks, pa.int64())).cast(col.type, safe=True)
    except pa.ArrowInvalid as exc:
        raise ConfigError(f"drawn values do not fit {col.type}: {exc}") from None


def _domain(col: ColumnSpec, n: int, rng: np.random.Generator) -> pa.Array:
    t = col.type
    if pa.types.is_boolean(t):
        if col.unique and n > 2:
            raise ConfigError(f"unique column needs {n} distinct values, bool has 2")
        bits = rng.permutation(2)[:n] if col.unique else rng.integers(0, 2, n)
        return pa.array(bits.astype(bool))
    if pa.types.is_integer(t):
        info = np.iinfo(t.to_pandas_dtype())
        lo = max(int(info.min), -_INT_RANGE) if col.min is None else int(col.min)  # type: ignore[call-overload]
        hi = min(int(info.max), _INT_RANGE) if col.max is None else int(col.max)  # type: ignore[call-overload]
        if lo < info.min or hi > info.max:
            raise ConfigError(f"min/max {lo}..{hi} outside the range of {t}")
        return pa.array(_ints(rng, lo, hi, n, col.unique), type=t)
    if pa.types.is_floating(t):
        lo_f = -1e6 if col.min is None else float(col.min)  # type: ignore[arg-type]
        hi_f = 1e6 if col.max is None else float(col.max)  # type: ignore[arg-type]
        width = t.to_pandas_dtype()  # drawn at the column's width: unique there

        def draw(k: int) -> NDArray[Any]:
            return rng.uniform(lo_f, hi_f, k).astype(width)

        floats = draw(n)
        if col.unique:
            floats = _dedupe(floats, draw, n)
        return pa.array(floats, type=t)
    if pa.types.is_decimal(t):
        return _decimals(col, n, rng)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return _strings(col, n, rng).cast(t)
    if pa.types.is_date32(t) or pa.types.is_date64(t):
        lo_d = _days(col.min, _FIRST_DAY)
        hi_d = _days(col.max, _LAST_DAY)
        days = _ints(rng, lo_d, hi_d, n, col.unique).astype(np.int32)
        return pa.array(days, pa.int32()).view(pa.date32()).cast(t)
    if pa.types.is_timestamp(t):
        per = _UNIT_PER_SECOND[t.unit]
        lo_t = _instant(col.min, _FIRST_DAY, per)
        hi_t = _instant(col.max, _LAST_DAY, per) + (
            0 if col.max else _DAY_SECONDS * per - 1
        )
        return pa.array(_ints(rng, lo_t, hi_t, n, col.unique), pa.int64()).view(t)
    if pa.types.is_time(t):
        per = _UNIT_PER_SECOND[t.unit]
        raw = _ints(rng, 0, _DAY_SECONDS * per - 1, n, col.unique)
        width = pa.int32() if pa.types.is_time32(t) else pa.int64()
        return pa.array(raw, pa.int64()).cast(width).view(t)
    raise ConfigError(f"no generator for type {t}: give a value set (values=...)")


def _ints(
    rng: np.random.Generator, lo: int, hi: int, n: int, unique: bool
) -> NDArray[np.int64]:
    if hi < lo:
        raise ConfigError(f"min {lo} is above max {hi}")
    size = hi - lo + 1
    if not unique:
        return rng.integers(lo, hi, n, endpoint=True, dtype=np.int64)
    if size < n:
        raise ConfigError(
            f"unique column needs {n} distinct values, the range has {size}"
        )
    if size <= 4 * n:
        return rng.permutation(size)[:n].astype(np.int64) + lo
    first = rng.integers(lo, hi, n, endpoint=True, dtype=np.int64)
    return _dedupe(
        first, lambda k: rng.integers(lo, hi, k, endpoint=True, dtype=np.int64), n
    )


def _dedupe(
    values: NDArray[Any], more: Callable[[int], NDArray[Any]], n: int
) -> NDArray[Any]:
    """Replace repeated values with fresh draws (``more(k)``) until ``n`` differ."""
    for _ in range(_MAX_DRAWS):
        _, first = np.unique(values, return_index=True)
        if len(first) == n:
            return values
        kept = values[np.sort(first)]
        values = np.concatenate([kept, more(n - len(kept))])
    raise ConfigError(f"could not draw {n} distinct values: widen min/max")


def _decimals(col: ColumnSpec, n: int, rng: np.random.Generator) -> pa.Array:
    t = col.type
    scale = 10**t.scale
    top = min(10**t.precision - 1, 2**63 - 1)  # unscaled, within precision and int64
    lo = -min(top, _INT_RANGE * scale) if col.min is None else _unscaled(col.min, t)
    hi = min(top, _INT_RANGE * scale) if col.max is None else _unscaled(col.max, t)
    if max(abs(lo), abs(hi)) > top:
        raise ConfigError(f"min/max outside what {t} holds here (|unscaled| <= {top})")
    unscaled = _ints(rng, lo, hi, n, col.unique)
    # decimal128 is a 16-byte two's-complement integer: the int64 and its sign word.
    words = np.empty((n, 2), dtype=np.int64)
    words[:, 0] = unscaled
    words[:, 1] = np.where(unscaled < 0, -1, 0)
    return pa.Array.from_buffers(
        pa.decimal128(t.precision, t.scale), n, [None, pa.py_buffer(words)]
    ).cast(t)


def _unscaled(value: object, t: pa.Decimal128Type) -> int:
    number = decimal.Decimal(str(value)).scaleb(t.scale)
    if number != number.to_integral_value():
        raise ConfigError(f"{value} has more than {t.scale} decimal places")
    return int(number)


def _strings(col: ColumnSpec, n: int, rng: np.random.Generator) -> pa.Array:
    short, long = col.length
    if not 0 <= short <= long:
        raise ConfigError(f"bad string length range {col.length}")
    base = len(_ALPHABET)
    if col.unique:
        # Distinct integers written in base 62 with exactly ``long`` digits.
        domain = min(base**long, 2**62)
        codes = _ints(rng, 0, domain - 1, n, unique=True)
        digits = np.empty((n, long), dtype=np.uint8)
        for i in range(long - 1, -1, -1):
            digits[:, i] = _ALPHABET[codes % base]
            codes = codes // base
        offsets = np.arange(0, (n + 1) * long, long, dtype=np.int32)
        data = digits.reshape(-1)
    else:
        lengths = rng.integers(short, long, n, endpoint=True)
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        data = _ALPHABET[rng.integers(0, base, int(offsets[-1]))]
        if offsets[-1] >= 2**31:
            return pa.Array.from_buffers(
                pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
            )
        offsets = offsets.astype(np.int32)
    return pa.Array.from_buffers(
        pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def _days(value: object, default: dt.date) -> int:
    day = default if value is None else value
    if isinstance(day, dt.datetime):
        day = day.date()
    if not isinstance(day, dt.date):
        day = dt.date.fromisoformat(str(day))
    return (day - _EPOCH).days


def _instant(value: object, default: dt.date, per_second: int) -> int:
    if value is None:
        return _days(default, default) * _DAY_SECONDS * per_second
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if not isinstance(value, dt.datetime):
        raise ConfigError(f"expected a datetime for min/max, not {value!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    delta = value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * _DAY_SECONDS + delta.seconds) * per_second + (
        delta.microseconds * per_second // 1_000_000
    )
