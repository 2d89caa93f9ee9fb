"""Fixture data of any supported shape as one ``pyarrow.Table``.

:func:`to_table` accepts inline rows (a list of dicts), columns (a dict of
lists), Arrow tables and record batches, polars frames, and files (``.csv``,
``.parquet``, ``.json`` holding an array of objects, ``.jsonl``). Given the
target's schema, the result has exactly that schema: unstated columns are
filled (NULL, or a typed default for NOT NULL columns with
``defaults="typed"``), and every value is cast *safely*: a value that does not
fit (``1.5`` into an integer, ``300`` into ``int8``, ``'x'`` into a date) is a
:class:`~sqltest_core.ConfigError` naming the column and the row (1-based), never
a silent truncation.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import pyarrow as pa

from sqltest_core.errors import ConfigError

__all__ = ["Defaults", "to_table", "typed_default"]

Defaults = Literal["null", "typed"]
_EPOCH = dt.datetime(1970, 1, 1)
_PREVIEW = 40


def to_table(
    data: object,
    *,
    schema: pa.Schema | None = None,
    base_dir: Path | None = None,
    defaults: Defaults = "null",
) -> pa.Table:
    """Fixture ``data`` as an Arrow table, conformed to ``schema`` when given.

    Args:
        data: Rows (list of dicts; a key missing in a row is NULL), columns (dict
            of lists), a ``pyarrow.Table``/``RecordBatch``, a polars DataFrame, or
            a path (``str``/``Path``) to a ``.csv``, ``.parquet``, ``.json`` or
            ``.jsonl`` file.
        schema: The target's columns. The result has exactly these, in this
            order; a column the data has and the schema lacks is an error.
        base_dir: Where relative paths start (default: the working directory).
        defaults: What unstated columns hold: ``"null"``, or ``"typed"``: a zero
            value (``0``, ``''``, ``False``, 1970-01-01...) for columns the schema
            marks NOT NULL (nullable ones still get NULL).

    Raises:
        ConfigError: naming the file, column and row of what does not fit.

    >>> import pyarrow as pa
    >>> target = pa.schema([("id", pa.int32()), ("day", pa.date32()),
    ...                     pa.field("qty", pa.int16(), nullable=False)])
    >>> rows = [{"id": 1, "day": "2024-01-02"}, {"id": 2}]
    >>> to_table(rows, schema=target, defaults="typed").to_pydict()
    {'id': [1, 2], 'day': [datetime.date(2024, 1, 2), None], 'qty': [0, 0]}
    >>> to_table({"id": [1.5]}, schema=target)
    Traceback (most recent call last):
    ...
    sqltest_core.errors.ConfigError: id: row 1: cannot cast 1.5 to int32: ...
    """
    if isinstance(data, str | Path):
        path = Path(data)
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        table = _read_file(path, schema)
        try:
            return _conform(table, schema, defaults)
        except ConfigError as exc:
            raise ConfigError(exc.message, file=str(path)) from None
    return _conform(_as_table(data, schema), schema, defaults)


def typed_default(arrow: pa.DataType) -> pa.Scalar:
    """The zero value that fills an unstated NOT NULL column of type ``arrow``.

    >>> typed_default(pa.date32()).as_py(), typed_default(pa.string()).as_py()
    (datetime.date(1970, 1, 1), '')
    """
    if pa.types.is_boolean(arrow):
        value: object = False
    elif pa.types.is_integer(arrow):
        value = 0
    elif pa.types.is_floating(arrow):
        value = 0.0
    elif pa.types.is_decimal(arrow):
        value = decimal.Decimal(0)
    elif pa.types.is_string(arrow) or pa.types.is_large_string(arrow):
        value = ""
    elif pa.types.is_string_view(arrow):
        value = ""
    elif pa.types.is_binary(arrow) or pa.types.is_large_binary(arrow):
        value = b""
    elif pa.types.is_date(arrow):
        value = _EPOCH.date()
    elif pa.types.is_timestamp(arrow):
        value = _EPOCH if arrow.tz is None else _EPOCH.replace(tzinfo=dt.UTC)
    elif pa.types.is_time(arrow):
        value = dt.time()
    else:
        raise ConfigError(f"no typed default for type {arrow}")
    return pa.scalar(value, type=arrow)


# -- shapes -----------------------------------------------------------------------


def _as_table(data: object, schema: pa.Schema | None) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if hasattr(data, "to_arrow") and callable(data.to_arrow):  # polars.DataFrame
        table = data.to_arrow()
        if not isinstance(table, pa.Table):
            raise ConfigError(f"{type(data).__name__}.to_arrow() gave no Arrow table")
        return table
    if isinstance(data, Mapping):
        return _from_columns({str(k): v for k, v in data.items()}, schema)
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        return _from_rows(data, schema)
    raise ConfigError(
        "fixture data must be rows (a list of dicts), columns (a dict of lists), "
        f"an Arrow table, a polars DataFrame or a file path, not {type(data).__name__}"
    )


def _from_rows(rows: Sequence[object], schema: pa.Schema | None) -> pa.Table:
    names: dict[str, None] = {}
    checked: list[Mapping[object, object]] = []
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise ConfigError(f"row {i + 1}: expected a dict, not {type(row).__name__}")
        names.update(dict.fromkeys(str(k) for k in row))
        checked.append(row)
    columns = {n: [row.get(n) for row in checked] for n in names}
    return _from_columns(columns, schema)


def _from_columns(columns: Mapping[str, object], schema: pa.Schema | None) -> pa.Table:
    arrays: dict[str, pa.Array] = {}
    length: int | None = None
    for name, values in columns.items():
        target = _target(schema, name)
        arrays[name] = _array(name, values, target)
        if length is not None and len(arrays[name]) != length:
            raise ConfigError(
                f"{name}: {len(arrays[name])} values, earlier columns have {length}"
            )
        length = len(arrays[name])
    return pa.table(arrays)


def _array(name: str, values: object, target: pa.DataType | None) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    if not isinstance(values, Sequence) or isinstance(values, str | bytes):
        raise ConfigError(f"{name}: expected a list of values, not {values!r}")
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        pass  # mixed Python types: convert straight to the target, value by value
    if target is not None:
        try:
            return pa.array(values, type=target)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass
    for i, value in enumerate(values):
        try:
            pa.array([value], type=target)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
            shown = f"to {target}" if target is not None else "with the rows before it"
            raise ConfigError(
                f"{name}: row {i + 1}: cannot convert {_preview(value)} {shown}: "
                f"{_reason(exc)}"
            ) from None
    kinds = sorted({type(v).__name__ for v in values if v is not None})
    raise ConfigError(f"{name}: values of mixed types ({', '.join(kinds)})")


def _target(schema: pa.Schema | None, name: str) -> pa.DataType | None:
    if schema is None:
        return None
    index = _find(schema, name)
    return None if index is None else schema.field(index).type


def _find(schema: pa.Schema, name: str) -> int | None:
    """The index of ``name`` in ``schema``: exact, else the one case-blind match."""
    exact: int = schema.get_field_index(name)
    if exact >= 0:
        return exact
    folded = [i for i, f in enumerate(schema) if f.name.casefold() == name.casefold()]
    return folded[0] if len(folded) == 1 else None


# -- files --------------------------------------------------------------------------


def _read_file(path: Path, schema: pa.Schema | None) -> pa.Table:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq", ".json", ".jsonl", ".ndjson"):
        raise ConfigError(
            f"unknown fixture file type {suffix or '(none)'}: "
            "expected .csv, .parquet, .json or .jsonl",
            file=str(path),
        )
    if not path.is_file():
        raise ConfigError("fixture file not found", file=str(path))
    try:
        if suffix == ".csv":
            return _read_csv(path, schema)
        if suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            return pq.read_table(path)
        if suffix == ".json":
            return _as_table(json.loads(path.read_text(encoding="utf-8")), schema)
        import pyarrow.json as pj

        return pj.read_json(path)
    except ConfigError as exc:
        raise ConfigError(exc.message, file=str(path)) from None
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ConfigError(f"cannot read: {_reason(exc)}", file=str(path)) from None


def _read_csv(path: Path, schema: pa.Schema | None) -> pa.Table:
    import csv

    import pyarrow.csv as pc_csv

    # Typed from the schema where it has the column, so that "01234" stays text
    # in a text column; inferred elsewhere.
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle), [])
    column_types = {}
    for name in header:
        target = _target(schema, name)
        if target is not None:
            column_types[name] = target
    options = pc_csv.ConvertOptions(column_types=column_types)
    return pc_csv.read_csv(path, convert_options=options)


# -- conforming to a schema -----------------------------------------------------------


def _conform(table: pa.Table, schema: pa.Schema | None, defaults: Defaults) -> pa.Table:
    if defaults not in ("null", "typed"):
        raise ConfigError(f"defaults must be 'null' or 'typed', not {defaults!r}")
    if schema is None:
        return table
    stated: dict[int, str] = {}
    unknown = []
    for name in table.column_names:
        index = _find(schema, name)
        if index is None:
            unknown.append(name)
        elif index in stated:
            raise ConfigError(f"{name}: stated twice (as {stated[index]!r} too)")
        else:
            stated[index] = name
    if unknown:
        raise ConfigError(
            f"columns not in the target: {', '.join(unknown)} "
            f"(it has {', '.join(schema.names)})"
        )
    arrays = []
    for index, field in enumerate(schema):
        if index in stated:
            column = table.column(stated[index]).combine_chunks()
            arrays.append(_cast(field.name, column, field.type))
        elif defaults == "typed" and not field.nullable:
            arrays.append(pa.repeat(typed_default(field.type), table.num_rows))
        else:
            arrays.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _cast(name: str, array: pa.Array, target: pa.DataType) -> pa.Array:
    if array.type == target:
        return array
    try:
        return array.cast(target, safe=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        if isinstance(exc, pa.ArrowNotImplementedError):
            raise ConfigError(f"{name}: cannot cast {array.type} to {target}") from None
        first = _first_bad(array, target)
        value = array[first].as_py()
        raise ConfigError(
            f"{name}: row {first + 1}: cannot cast {_preview(value)} to {target}: "
            f"{_reason(exc)}"
        ) from None


def _first_bad(array: pa.Array, target: pa.DataType) -> int:
    """Index of the first value that does not cast: a bisection, O(log n) casts."""
    lo, hi = 0, len(array)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            array.slice(lo, mid - lo).cast(target, safe=True)
        except pa.ArrowException:
            hi = mid
        else:
            lo = mid
    return lo


def _preview(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _PREVIEW else text[: _PREVIEW - 3] + "..."


def _reason(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
