"""Arrow helpers shared by connectors and callers."""

from __future__ import annotations

from collections.abc import AsyncIterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

__all__ = ["collect", "rows_to_batch", "to_polars"]


async def collect(batches: AsyncIterable[pa.RecordBatch]) -> pa.Table:
    """Gather a batch stream into one ``pyarrow.Table`` (its schema even when empty)."""
    import pyarrow as pa

    gathered: list[pa.RecordBatch] = [b async for b in batches]
    if not gathered:
        raise ValueError("stream yielded no batch, not even an empty one")
    return pa.Table.from_batches(gathered, schema=gathered[0].schema)


def to_polars(table: pa.Table) -> pl.DataFrame:
    """A ``polars.DataFrame`` sharing the table's buffers where types allow."""
    import polars as pl

    frame = pl.from_arrow(table, rechunk=False)
    assert isinstance(frame, pl.DataFrame)
    return frame


def rows_to_batch(
    rows: Sequence[Sequence[object]], schema: pa.Schema
) -> pa.RecordBatch:
    """Build a batch of ``schema`` from row tuples, one column at a time.

    >>> import pyarrow as pa
    >>> schema = pa.schema([("x", pa.int64()), ("y", pa.string())])
    >>> b = rows_to_batch([(1, "a"), (None, "b")], schema)
    >>> b.to_pydict()
    {'x': [1, None], 'y': ['a', 'b']}
    """
    import pyarrow as pa

    if not rows:
        return pa.RecordBatch.from_pylist([], schema=schema)
    columns = list(zip(*rows, strict=True))
    arrays = [
        pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
