"""Result-set equality with a row diff (missing, unexpected and changed cells).

Unordered comparison hashes whole rows (or keys), so it stays linear in the row
count; only columns compared with a tolerance are sorted within their group.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import pyarrow as pa

from sqltest_core.testing._diff import ResultMismatch, render_rows, show
from sqltest_core.testing._frames import (
    CheckTypes,
    Frame,
    Rule,
    cells_equal,
    column_rule,
    comparable,
    python_values,
    to_arrow,
)

__all__ = ["Semantics", "assert_result_equal", "display_rows", "prepare"]

Semantics = Literal["bag", "set"]
_Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Sides:
    """Both results reduced to the compared columns, as comparable rows."""

    columns: list[str]
    rules: list[Rule]
    actual: pa.Table
    expected: pa.Table
    rows_a: list[_Row]
    rows_e: list[_Row]


def prepare(
    actual: Frame,
    expected: Frame,
    *,
    columns: Sequence[str] | None,
    check_types: CheckTypes,
    check_column_order: bool,
    has_tolerance: bool,
    null_equal: bool,
    schema: pa.Schema | None,
    kind: str,
) -> Sides:
    act, exp_ = to_arrow(actual), to_arrow(expected, schema=schema)
    names_a, names_e = act.column_names, exp_.column_names
    if columns is not None:
        missing_a = [c for c in columns if c not in names_a]
        missing_e = [c for c in columns if c not in names_e]
        if missing_a or missing_e:
            raise ResultMismatch(
                f"columns to compare are absent: actual lacks {missing_a}, "
                f"expected lacks {missing_e}",
                {
                    "kind": "columns",
                    "missing_columns": missing_a,
                    "unexpected_columns": [],
                    "expected_lacks": missing_e,
                },
            )
        names = list(columns)
    else:
        missing = [c for c in names_e if c not in names_a]
        extra = [c for c in names_a if c not in names_e]
        out_of_order = check_column_order and names_a != names_e
        if missing or extra or out_of_order:
            raise ResultMismatch(
                f"{kind}: columns differ: expected {names_e}, got {names_a}"
                + (
                    f" (missing {missing}, unexpected {extra})"
                    if missing or extra
                    else ""
                ),
                {
                    "kind": "columns",
                    "missing_columns": missing,
                    "unexpected_columns": extra,
                    "expected": names_e,
                    "actual": names_a,
                },
            )
        names = list(names_e)
    rules: list[Rule] = []
    problems: list[dict[str, str]] = []
    for name in names:
        ta, te = act.schema.field(name).type, exp_.schema.field(name).type
        rule = column_rule(ta, te, check_types=check_types, has_tolerance=has_tolerance)
        if isinstance(rule, str):
            problems.append(
                {"column": name, "expected": str(te), "actual": str(ta), "reason": rule}
            )
        else:
            rules.append(rule)
    if problems:
        lines = [f"  {p['column']}: {p['reason']}" for p in problems]
        raise ResultMismatch(
            f"{kind}: column types differ\n" + "\n".join(lines),
            {"kind": "types", "type_mismatches": problems},
        )
    return Sides(
        names,
        rules,
        act,
        exp_,
        _rows(act, names, rules, null_equal),
        _rows(exp_, names, rules, null_equal),
    )


def _rows(
    table: pa.Table, names: list[str], rules: list[Rule], null_equal: bool
) -> list[_Row]:
    cols = [
        comparable(table.column(n), r, null_equal=null_equal)
        for n, r in zip(names, rules, strict=True)
    ]
    return (
        list(zip(*cols, strict=True)) if cols else [() for _ in range(table.num_rows)]
    )


def _distinct(rows: list[_Row], display: list[_Row]) -> tuple[list[_Row], list[_Row]]:
    seen: dict[_Row, int] = {}
    for i, row in enumerate(rows):
        seen.setdefault(row, i)
    return [rows[i] for i in seen.values()], [display[i] for i in seen.values()]


@dataclass(slots=True)
class _Outcome:
    missing: list[_Row] = field(default_factory=list)
    unexpected: list[_Row] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)


class _Matcher:
    """Pairs rows of both sides; ``display_*`` are the cells as the user sees them."""

    def __init__(
        self, sides: Sides, *, semantics: Semantics, abs_tol: float, rel_tol: float
    ) -> None:
        self.display_a = display_rows(sides.actual, sides.columns)
        self.display_e = display_rows(sides.expected, sides.columns)
        if semantics == "set":
            rows_a, self.display_a = _distinct(sides.rows_a, self.display_a)
            rows_e, self.display_e = _distinct(sides.rows_e, self.display_e)
            sides = replace(sides, rows_a=rows_a, rows_e=rows_e)
        self.s = sides
        self.approx = [i for i, r in enumerate(sides.rules) if r.approx]
        self.exact = [i for i, r in enumerate(sides.rules) if not r.approx]
        self.approx_set = set(self.approx)
        self.abs_tol, self.rel_tol = abs_tol, rel_tol

    def same(self, a: _Row, e: _Row, i: int) -> bool:
        if i in self.approx_set:
            return cells_equal(a[i], e[i], abs_tol=self.abs_tol, rel_tol=self.rel_tol)
        return bool(a[i] == e[i])

    def pairs(
        self, idx_a: list[int], idx_e: list[int], out: _Outcome, key: Any
    ) -> None:
        """Pair rows positionally; report changed cells, or whole rows if unkeyed."""
        for ia, ie in zip(idx_a, idx_e, strict=False):
            ra, re_ = self.s.rows_a[ia], self.s.rows_e[ie]
            diffs = [i for i in range(len(ra)) if not self.same(ra, re_, i)]
            if not diffs:
                continue
            if key is None:
                out.missing.append(self.display_e[ie])
                out.unexpected.append(self.display_a[ia])
                continue
            for i in diffs:
                out.changed.append(
                    {
                        "key": key(ia, ie),
                        "column": self.s.columns[i],
                        "expected": self.display_e[ie][i],
                        "actual": self.display_a[ia][i],
                    }
                )
        out.missing.extend(self.display_e[i] for i in idx_e[len(idx_a) :])
        out.unexpected.extend(self.display_a[i] for i in idx_a[len(idx_e) :])

    def group(self, rows: list[_Row], cols: list[int]) -> dict[_Row, list[int]]:
        groups: dict[_Row, list[int]] = defaultdict(list)
        for i, row in enumerate(rows):
            groups[tuple(row[c] for c in cols)].append(i)
        return groups

    def sort_approx(self, idx: list[int], rows: list[_Row]) -> list[int]:
        def order(i: int) -> tuple[Any, ...]:
            return tuple(_sortable(rows[i][c]) for c in self.approx)

        return sorted(idx, key=order)

    def grouped(self, cols: list[int], out: _Outcome, key: Any) -> None:
        """Match rows equal on ``cols``, in the order rows first appear."""
        ga, ge = self.group(self.s.rows_a, cols), self.group(self.s.rows_e, cols)
        for k in dict.fromkeys([*ge, *ga]):
            idx_a = self.sort_approx(ga.get(k, []), self.s.rows_a)
            idx_e = self.sort_approx(ge.get(k, []), self.s.rows_e)
            self.pairs(idx_a, idx_e, out, key=key)


def _sortable(value: Any) -> tuple[int, float]:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return (2, 0.0)  # NULL last
    return (1, 0.0) if number != number else (0, number)


def assert_result_equal(
    actual: Frame,
    expected: Frame,
    *,
    ordered: bool = False,
    semantics: Semantics = "bag",
    key: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    check_types: CheckTypes = "strict",
    check_column_order: bool = False,
    abs_tol: float | None = None,
    rel_tol: float | None = None,
    null_equal: bool = True,
    schema: pa.Schema | None = None,
    max_rows: int = 20,
) -> None:
    """Assert that two result sets hold the same rows.

    Args:
        actual: The result under test (a ``pyarrow.Table``, polars frame or rows).
        expected: The expected rows, converted once (``schema`` types them).
        ordered: Compare row by row in order; otherwise as a multiset.
        semantics: ``"bag"`` counts duplicates; ``"set"`` ignores them.
        key: Columns identifying a row (unordered only): rows with the same key
            are compared cell by cell and reported as changed cells.
        columns: Compare only these columns (others may differ or be absent).
        check_types: ``"strict"`` or ``"loose"``; see the compatibility table.
        check_column_order: Also require the same column order.
        abs_tol: Absolute tolerance for float columns (and, under ``"loose"``,
            float against integer or decimal).
        rel_tol: Relative tolerance, as :func:`math.isclose`.
        null_equal: NULL equals NULL (default); ``False`` gives SQL semantics,
            where a row holding NULL matches no row.
        schema: Arrow schema for ``expected`` given as rows.
        max_rows: Rows and cells shown, and kept in ``diff``, per category.

    Raises:
        ResultMismatch: with ``.diff`` holding ``missing``, ``unexpected`` and
            ``changed`` (capped at ``max_rows``) and their ``*_count`` totals.

    >>> import pyarrow as pa
    >>> got = pa.table({"id": [1, 2], "name": ["a", "b"]})
    >>> assert_result_equal(got, [{"id": 2, "name": "b"}, {"id": 1, "name": "a"}])
    """
    if key is not None and ordered:
        raise ValueError("key= matches rows without order: drop ordered=True")
    has_tol = abs_tol is not None or rel_tol is not None
    compared = columns
    if key is not None and columns is not None:
        compared = list(dict.fromkeys([*key, *columns]))
    sides = prepare(
        actual,
        expected,
        columns=compared,
        check_types=check_types,
        check_column_order=check_column_order,
        has_tolerance=has_tol,
        null_equal=null_equal,
        schema=schema,
        kind="result sets differ",
    )
    m = _Matcher(
        sides, semantics=semantics, abs_tol=abs_tol or 0.0, rel_tol=rel_tol or 0.0
    )
    out = _Outcome()
    if ordered:
        m.pairs(
            list(range(len(m.display_a))),
            list(range(len(m.display_e))),
            out,
            key=lambda ia, ie: {"row": ie},
        )
    elif key is not None:
        positions = [sides.columns.index(k) for k in key]

        def key_of(ia: int, ie: int) -> dict[str, Any]:
            return {c: m.display_e[ie][p] for c, p in zip(key, positions, strict=True)}

        m.grouped(positions, out, key=key_of)
    else:
        m.grouped(m.exact, out, key=None)
    if out.missing or out.unexpected or out.changed:
        mode = "ordered" if ordered else f"unordered {semantics}"
        raise _row_mismatch(
            out, sides, len(m.display_a), len(m.display_e), mode, max_rows
        )


def display_rows(table: pa.Table, names: list[str]) -> list[_Row]:
    cols = [python_values(table.column(n)) for n in names]
    return (
        list(zip(*cols, strict=True)) if cols else [() for _ in range(table.num_rows)]
    )


def _row_mismatch(
    out: _Outcome, sides: Sides, n_actual: int, n_expected: int, mode: str, cap: int
) -> ResultMismatch:
    cols = sides.columns
    head = (
        f"result sets differ ({mode}): expected {n_expected} rows, got {n_actual}; "
        f"{len(out.missing)} missing (-), {len(out.unexpected)} unexpected (+), "
        f"{len(out.changed)} changed cells (~)"
    )
    marked = [("-", r) for r in out.missing] + [("+", r) for r in out.unexpected]
    lines = [head, *render_rows(cols, marked[:cap])]
    for change in out.changed[: max(cap - len(marked), 0)]:
        where = ", ".join(f"{k}={show(v)}" for k, v in change["key"].items())
        lines.append(
            f"  ~ {where}: {change['column']}: expected {show(change['expected'])}, "
            f"got {show(change['actual'])}"
        )
    hidden = len(marked) + len(out.changed) - cap
    if hidden > 0:
        lines.append(f"  ... and {hidden} more")
    diff = {
        "kind": "rows",
        "mode": mode,
        "columns": cols,
        "expected_rows": n_expected,
        "actual_rows": n_actual,
        "missing": [dict(zip(cols, r, strict=True)) for r in out.missing[:cap]],
        "missing_count": len(out.missing),
        "unexpected": [dict(zip(cols, r, strict=True)) for r in out.unexpected[:cap]],
        "unexpected_count": len(out.unexpected),
        "changed": out.changed[:cap],
        "changed_count": len(out.changed),
    }
    return ResultMismatch("\n".join(lines), diff)
