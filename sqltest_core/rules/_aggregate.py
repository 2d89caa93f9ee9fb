"""Aggregate rules: a figure of a column that must lie within bounds."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sqltest_core.rules._base import Bound, ColumnRule

__all__ = [
    "AggregateRule",
    "DistinctCount",
    "Maximum",
    "Mean",
    "Minimum",
    "NullRatio",
    "Quantile",
    "StdDev",
    "Sum",
]


class AggregateRule(ColumnRule):
    """An aggregate of ``column`` that must lie within ``min``..``max`` (inclusive).

    ``failing_count`` is 1 when the measured value lies outside the bounds, or
    is NULL (no non-NULL values to aggregate), else 0;
    ``details["value"]`` holds it. Fused into the table's single scan.
    """

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _a_bound(self) -> AggregateRule:
        if self.min is None and self.max is None:
            raise ValueError(f"a {self.kind} rule needs 'min', 'max' or both")
        return self


class Mean(AggregateRule):
    """The mean (``AVG``) of the non-NULL values of ``column``, as a float."""

    kind: Literal["mean"] = "mean"


class Sum(AggregateRule):
    """The sum of ``column`` (an int for integer columns)."""

    kind: Literal["sum"] = "sum"


class StdDev(AggregateRule):
    """The sample standard deviation of ``column`` (NULL for fewer than 2 values)."""

    kind: Literal["stddev"] = "stddev"


class DistinctCount(AggregateRule):
    """The number of distinct non-NULL values of ``column``."""

    kind: Literal["distinct_count"] = "distinct_count"


class NullRatio(AggregateRule):
    """The fraction (0..1) of the rows scanned where ``column`` is NULL."""

    kind: Literal["null_ratio"] = "null_ratio"


class Quantile(AggregateRule):
    """The ``q`` quantile (0.5: the median) of the non-NULL values of ``column``.

    Continuous, as ``PERCENTILE_CONT``: interpolated linearly between the two
    nearest values, the same on every engine (computed with a window function
    on MySQL and SQLite, which have no ``PERCENTILE_CONT``). Runs as its own
    query: ordered aggregates would stop PostgreSQL from parallelising the scan.
    """

    kind: Literal["quantile"] = "quantile"
    q: float = Field(ge=0, le=1)


class Minimum(AggregateRule):
    """The smallest value of ``column``; bounds may also be dates or strings.

    Dates and times are reported as ISO 8601 text.
    """

    kind: Literal["min"] = "min"
    min: Bound | None = None  # type: ignore[assignment]
    max: Bound | None = None  # type: ignore[assignment]


class Maximum(AggregateRule):
    """The largest value of ``column``; bounds may also be dates or strings.

    Dates and times are reported as ISO 8601 text.
    """

    kind: Literal["max"] = "max"
    min: Bound | None = None  # type: ignore[assignment]
    max: Bound | None = None  # type: ignore[assignment]
