"""The smaller result assertions: schema, row count, scalar, rows contained/absent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pyarrow as pa

from sqltest_core.testing._compare import (
    Sides,
    assert_result_equal,
    display_rows,
    prepare,
)
from sqltest_core.testing._diff import ResultMismatch, render_rows, show
from sqltest_core.testing._frames import CheckTypes, Frame, column_rule, to_arrow

__all__ = [
    "assert_row_count",
    "assert_rows_absent",
    "assert_rows_contained",
    "assert_scalar",
    "assert_schema",
]

_Row = tuple[Any, ...]


def assert_schema(
    actual: Frame,
    expected: pa.Schema | Mapping[str, pa.DataType | str | None] | Sequence[str],
    *,
    check_types: CheckTypes = "strict",
    check_order: bool = True,
) -> None:
    """Assert a result's column names and (unless given as ``None``) types.

    Args:
        actual: The result.
        expected: A schema, names to types (an Arrow type, its alias such as
            ``"int64"``, or ``None`` for any type), or names only.
        check_types: As in :func:`assert_result_equal` (no tolerance applies).
        check_order: Require the same column order.

    >>> import pyarrow as pa
    >>> assert_schema(pa.table({"id": [1]}), {"id": "int64"})
    """
    table = to_arrow(actual)
    if isinstance(expected, pa.Schema):
        wanted: dict[str, pa.DataType | None] = dict(
            zip(expected.names, expected.types, strict=True)
        )
    elif isinstance(expected, Mapping):
        wanted = {
            n: pa.type_for_alias(t) if isinstance(t, str) else t
            for n, t in expected.items()
        }
    else:
        wanted = dict.fromkeys(expected)
    names = table.column_names
    same_names = (
        names == list(wanted) if check_order else sorted(names) == sorted(wanted)
    )
    problems = []
    for name, want in wanted.items():
        if want is None or name not in names:
            continue
        got = table.schema.field(name).type
        rule = column_rule(got, want, check_types=check_types, has_tolerance=False)
        if isinstance(rule, str):
            problems.append(
                {
                    "column": name,
                    "expected": str(want),
                    "actual": str(got),
                    "reason": rule,
                }
            )
    if same_names and not problems:
        return
    lines = [f"schema differs: expected columns {list(wanted)}, got {names}"]
    lines += [f"  {p['column']}: {p['reason']}" for p in problems]
    raise ResultMismatch(
        "\n".join(lines),
        {
            "kind": "schema",
            "expected": list(wanted),
            "actual": names,
            "missing_columns": [n for n in wanted if n not in names],
            "unexpected_columns": [n for n in names if n not in wanted],
            "type_mismatches": problems,
        },
    )


def assert_row_count(
    actual: Frame,
    expected: int | None = None,
    *,
    at_least: int | None = None,
    at_most: int | None = None,
) -> None:
    """Assert the number of rows: exactly ``expected``, or within bounds.

    >>> import pyarrow as pa
    >>> assert_row_count(pa.table({"id": [1, 2]}), at_least=1, at_most=2)
    """
    n = to_arrow(actual).num_rows
    fails = (
        (expected is not None and n != expected)
        or (at_least is not None and n < at_least)
        or (at_most is not None and n > at_most)
    )
    if fails:
        want = (
            str(expected)
            if expected is not None
            else f"between {at_least} and {at_most}"
        )
        raise ResultMismatch(
            f"row count: expected {want}, got {n}",
            {
                "kind": "row_count",
                "actual": n,
                "expected": expected,
                "at_least": at_least,
                "at_most": at_most,
            },
        )


def assert_scalar(
    actual: Frame,
    expected: object,
    *,
    abs_tol: float | None = None,
    rel_tol: float | None = None,
    check_types: CheckTypes = "loose",
) -> None:
    """Assert that a one-row, one-column result holds ``expected``.

    Types follow :func:`assert_result_equal` (``"loose"`` by default, as a Python
    value has no width): a decimal and a float compare only with a tolerance.

    >>> import pyarrow as pa
    >>> assert_scalar(pa.table({"n": pa.array([3], pa.int32())}), 3)
    """
    table = to_arrow(actual)
    if table.shape != (1, 1):
        raise ResultMismatch(
            "scalar: expected one row and one column, got "
            f"{table.num_rows} x {table.num_columns}",
            {
                "kind": "scalar_shape",
                "rows": table.num_rows,
                "columns": table.num_columns,
            },
        )
    name = table.column_names[0]
    arrow = (
        table.schema.field(name).type if expected is None else pa.scalar(expected).type
    )
    want = pa.table({name: pa.array([expected], arrow)})
    try:
        assert_result_equal(
            table, want, check_types=check_types, abs_tol=abs_tol, rel_tol=rel_tol
        )
    except ResultMismatch as exc:
        if exc.diff["kind"] != "rows":
            raise
        got = table.column(0)[0].as_py()
        raise ResultMismatch(
            f"scalar {name}: expected {show(expected)}, got {show(got)}",
            {
                "kind": "scalar",
                "column": name,
                "expected": expected,
                "actual": got,
            },
        ) from None


def _containment(
    actual: Frame,
    rows: Frame,
    columns: Sequence[str] | None,
    check_types: CheckTypes,
    *,
    consume: bool,
) -> tuple[Sides, list[_Row], list[int]]:
    wanted = to_arrow(rows)
    sides = prepare(
        actual,
        wanted,
        columns=columns or wanted.column_names,
        check_types=check_types,
        check_column_order=False,
        has_tolerance=False,
        null_equal=True,
        schema=None,
        kind="rows",
    )
    counts: dict[_Row, int] = defaultdict(int)
    for row in sides.rows_a:
        counts[row] += 1
    found = []
    for i, row in enumerate(sides.rows_e):
        if counts.get(row, 0) > 0:
            if consume:  # containment is a multiset: one actual row per row
                counts[row] -= 1
            found.append(i)
    return sides, display_rows(sides.expected, sides.columns), found


def _rows_failure(
    kind: str, title: str, sides: Sides, rows: Iterable[_Row], cap: int
) -> ResultMismatch:
    listed = list(rows)
    lines = [
        title,
        *render_rows(
            sides.columns,
            [("-" if kind == "missing" else "+", r) for r in listed[:cap]],
        ),
    ]
    if len(listed) > cap:
        lines.append(f"  ... and {len(listed) - cap} more")
    return ResultMismatch(
        "\n".join(lines),
        {
            "kind": kind,
            "columns": sides.columns,
            "rows": [dict(zip(sides.columns, r, strict=True)) for r in listed[:cap]],
            "count": len(listed),
        },
    )


def assert_rows_contained(
    actual: Frame,
    rows: Frame,
    *,
    columns: Sequence[str] | None = None,
    check_types: CheckTypes = "loose",
    max_rows: int = 20,
) -> None:
    """Assert that every row of ``rows`` occurs in ``actual`` (as a multiset).

    >>> import pyarrow as pa
    >>> assert_rows_contained(pa.table({"id": [1, 2, 3]}), [{"id": 3}])
    """
    sides, display, found = _containment(
        actual, rows, columns, check_types, consume=True
    )
    hit = set(found)
    missing = [r for i, r in enumerate(display) if i not in hit]
    if missing:
        raise _rows_failure(
            "missing",
            f"{len(missing)} expected rows are absent from the result",
            sides,
            missing,
            max_rows,
        )


def assert_rows_absent(
    actual: Frame,
    rows: Frame,
    *,
    columns: Sequence[str] | None = None,
    check_types: CheckTypes = "loose",
    max_rows: int = 20,
) -> None:
    """Assert that no row of ``rows`` occurs in ``actual``.

    >>> import pyarrow as pa
    >>> assert_rows_absent(pa.table({"id": [1, 2]}), [{"id": 3}])
    """
    sides, display, found = _containment(
        actual, rows, columns, check_types, consume=False
    )
    if found:
        raise _rows_failure(
            "present",
            f"{len(found)} forbidden rows occur in the result",
            sides,
            [display[i] for i in found],
            max_rows,
        )
