"""Statistical assertions: moments and quantiles within tolerance, and
distribution equality (two-sample Kolmogorov-Smirnov, chi-square) with scipy.

NULLs are dropped before any statistic; the sizes reported are after dropping.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from sqltest_core.testing._diff import ResultMismatch
from sqltest_core.testing._frames import family, to_arrow

__all__ = [
    "DistributionMismatch",
    "assert_mean",
    "assert_quantile",
    "assert_same_distribution",
    "assert_stddev",
]

# Any: an Arrow table/array, a polars frame or series, or a sequence of values.
Sample = Any
_NUMERIC = {"integer", "float", "decimal"}


class DistributionMismatch(ResultMismatch):
    """Two samples differ in distribution at the stated significance level."""


def _column(data: Sample, column: str | None) -> pa.Array | pa.ChunkedArray:
    if isinstance(data, pa.Array | pa.ChunkedArray):
        values = data
    elif hasattr(data, "to_arrow") and not hasattr(data, "columns"):  # polars Series
        values = data.to_arrow()
    elif isinstance(data, Sequence) and not (data and isinstance(data[0], dict)):
        values = pa.array(list(data))
    else:
        table = to_arrow(data)
        if column is None:
            if table.num_columns != 1:
                raise ValueError(
                    f"name the column: the result has {table.column_names}"
                )
            column = table.column_names[0]
        values = table.column(column)
    return values.drop_null()


def _numbers(
    values: pa.Array | pa.ChunkedArray,
) -> np.ndarray[Any, np.dtype[np.float64]]:
    if family(values.type) not in _NUMERIC:
        raise TypeError(f"expected numbers, got {values.type}")
    return np.asarray(values.cast(pa.float64()).to_numpy(), dtype=np.float64)


def _check(
    name: str,
    got: float,
    expected: float,
    n: int,
    abs_tol: float | None,
    rel_tol: float | None,
) -> None:
    if math.isclose(got, expected, abs_tol=abs_tol or 0.0, rel_tol=rel_tol or 0.0):
        return
    raise ResultMismatch(
        f"{name}: expected {expected!r} (abs_tol={abs_tol}, rel_tol={rel_tol}), "
        f"got {got!r} over {n} values",
        {
            "kind": "statistic",
            "statistic": name,
            "expected": expected,
            "actual": got,
            "abs_tol": abs_tol,
            "rel_tol": rel_tol,
            "size": n,
        },
    )


def assert_mean(
    data: Sample,
    expected: float,
    *,
    column: str | None = None,
    abs_tol: float | None = None,
    rel_tol: float | None = None,
) -> None:
    """Assert the mean of a numeric column within ``abs_tol``/``rel_tol``.

    >>> assert_mean([1, 2, 3, None], 2.0)
    """
    values = _numbers(_column(data, column))
    got = float(values.mean()) if values.size else math.nan
    _check("mean", got, expected, int(values.size), abs_tol, rel_tol)


def assert_stddev(
    data: Sample,
    expected: float,
    *,
    column: str | None = None,
    ddof: int = 1,
    abs_tol: float | None = None,
    rel_tol: float | None = None,
) -> None:
    """Assert the standard deviation (sample, ``ddof=1``, by default).

    >>> assert_stddev([2, 4, 4, 4, 5, 5, 7, 9], 2.0, ddof=0)
    """
    values = _numbers(_column(data, column))
    got = float(values.std(ddof=ddof)) if values.size > ddof else math.nan
    _check(f"stddev(ddof={ddof})", got, expected, int(values.size), abs_tol, rel_tol)


def assert_quantile(
    data: Sample,
    q: float,
    expected: float,
    *,
    column: str | None = None,
    abs_tol: float | None = None,
    rel_tol: float | None = None,
) -> None:
    """Assert the ``q`` quantile (linear interpolation, as numpy's default).

    >>> assert_quantile(range(101), 0.9, 90.0)
    """
    values = _numbers(_column(data, column))
    got = float(np.quantile(values, q)) if values.size else math.nan
    _check(f"quantile({q})", got, expected, int(values.size), abs_tol, rel_tol)


def assert_same_distribution(
    actual: Sample,
    expected: Sample,
    *,
    column: str | None = None,
    alpha: float = 0.05,
    kind: Literal["auto", "numeric", "categorical"] = "auto",
) -> None:
    """Assert that two samples may come from one distribution.

    Numbers use the two-sample Kolmogorov-Smirnov test (``scipy.stats.ks_2samp``);
    anything else (and ``kind="categorical"``) a chi-square test of homogeneity
    on the category counts (``scipy.stats.chi2_contingency``). The assertion
    fails when the p-value is below ``alpha``.

    Args:
        actual: The sample under test.
        expected: The reference sample.
        column: The column of a table (needed when it has several).
        alpha: The significance level.
        kind: ``"auto"`` picks by the Arrow type of ``actual``.

    Raises:
        DistributionMismatch: whose message and ``diff`` give the test, the
            statistic, the p-value, ``alpha`` and both sample sizes.

    >>> assert_same_distribution(["a", "b"] * 50, ["b", "a"] * 40)
    """
    # Imported here: scipy takes a while to import and only this function needs
    # it. It ships no type information (scipy-stubs is a separate package).
    from scipy import stats  # type: ignore[import-untyped]

    a, e = _column(actual, column), _column(expected, column)
    numeric = family(a.type) in _NUMERIC if kind == "auto" else kind == "numeric"
    if numeric:
        x, y = _numbers(a), _numbers(e)
        result = stats.ks_2samp(x, y)
        test = "two-sample Kolmogorov-Smirnov"
        statistic, p_value = float(result.statistic), float(result.pvalue)
        sizes = (int(x.size), int(y.size))
    else:
        ca, ce = Counter(a.to_pylist()), Counter(e.to_pylist())
        categories = sorted(ca.keys() | ce.keys(), key=repr)
        table = np.array([[ca[c] for c in categories], [ce[c] for c in categories]])
        chi2 = stats.chi2_contingency(table, correction=False)
        test = "chi-square"
        statistic, p_value = float(chi2.statistic), float(chi2.pvalue)
        sizes = (a.length(), e.length()) if hasattr(a, "length") else (len(a), len(e))
    if p_value >= alpha:
        return
    raise DistributionMismatch(
        f"distributions differ ({test}): statistic {statistic:.6g}, "
        f"p-value {p_value:.6g} < alpha {alpha}; sample sizes {sizes[0]} (actual) "
        f"and {sizes[1]} (expected)",
        {
            "kind": "distribution",
            "test": test,
            "statistic": statistic,
            "p_value": p_value,
            "alpha": alpha,
            "actual_size": sizes[0],
            "expected_size": sizes[1],
        },
    )
