"""The failure of a result assertion: an ``AssertionError`` with its diff as data."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["ResultMismatch", "render_rows", "show"]


class ResultMismatch(AssertionError):
    """A result differs from what a test expected.

    Args:
        message: The readable explanation (a row diff for result sets).
        diff: The same facts as data, for reporters; see ``docs/testing.md``.

    >>> err = ResultMismatch("row count: expected 2, got 3", {"kind": "row_count"})
    >>> err.diff["kind"], isinstance(err, AssertionError)
    ('row_count', True)
    """

    def __init__(self, message: str, diff: Mapping[str, Any]) -> None:
        # Any: cells of the diff hold whatever values the result held.
        self.diff: dict[str, Any] = dict(diff)
        super().__init__(message)


def show(value: object) -> str:
    """A cell as the row diff prints it: ``NULL``, quoted text, plain numbers."""
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return repr(value) if isinstance(value, float) else str(value)


def render_rows(
    columns: Sequence[str],
    marked: Sequence[tuple[str, Sequence[object]]],
) -> list[str]:
    """Rows under a header, each prefixed by its mark (``-`` or ``+``), aligned."""
    if not marked:
        return []
    cells = [[show(v) for v in row] for _, row in marked]
    widths = [
        max([len(name), *(len(row[i]) for row in cells)])
        for i, name in enumerate(columns)
    ]
    header = "    | " + " | ".join(
        n.ljust(w) for n, w in zip(columns, widths, strict=True)
    )
    lines = [header.rstrip()]
    for (mark, _), row in zip(marked, cells, strict=True):
        text = " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
        lines.append(f"  {mark} | {text}".rstrip())
    return lines
