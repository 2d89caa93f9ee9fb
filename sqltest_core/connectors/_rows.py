"""A small query result as plain Python rows, without importing pyarrow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Rows"]


@dataclass(frozen=True, slots=True)
class Rows:
    """Column names and row tuples of a result, for results small enough to hold.

    Values are the Python objects that ``pyarrow.Table.to_pylist`` gives for the
    same query, except where an engine's connector documents otherwise.

    >>> r = Rows(("id", "name"), [(1, "a"), (2, None)])
    >>> len(r), r.first(), r.column(1)
    (2, (1, 'a'), ['a', None])
    >>> r.to_pylist()
    [{'id': 1, 'name': 'a'}, {'id': 2, 'name': None}]
    """

    columns: tuple[str, ...]
    """Result column names, in order (duplicates possible)."""
    rows: list[tuple[Any, ...]]  # Any: whatever the engine returned
    """One tuple per row, its values in column order."""

    def __len__(self) -> int:
        return len(self.rows)

    def to_pylist(self) -> list[dict[str, object]]:
        """One dict per row, as ``pyarrow.Table.to_pylist`` gives.

        A column name that repeats keeps its last value, as in pyarrow.
        """
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def column(self, i: int) -> list[object]:
        """The values of the ``i``-th column (0-based), top to bottom."""
        if not -len(self.columns) <= i < len(self.columns):
            raise IndexError(f"column {i} out of range ({len(self.columns)} columns)")
        return [row[i] for row in self.rows]

    def first(self) -> tuple[Any, ...] | None:
        """The first row, or ``None`` when there is none."""
        return self.rows[0] if self.rows else None
