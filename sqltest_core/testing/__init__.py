"""SQL unit testing: result-set assertions, statistics and input mocking.

Assertions take ``pyarrow.Table`` results (expected values may also be polars
frames or lists of dicts, converted once) and raise :class:`ResultMismatch`, an
``AssertionError`` carrying the diff as data (``.diff``). Mocking rewrites a
query with sqlglot so that it reads fixture rows instead of real tables, sees
a frozen clock, or outputs one of its own CTEs. See ``docs/testing.md``.
"""

from __future__ import annotations

from sqltest_core.errors import FixtureTooLarge, NotInlinable
from sqltest_core.testing._assertions import (
    assert_row_count,
    assert_rows_absent,
    assert_rows_contained,
    assert_scalar,
    assert_schema,
)
from sqltest_core.testing._clock import freeze_clock
from sqltest_core.testing._compare import assert_result_equal
from sqltest_core.testing._diff import ResultMismatch
from sqltest_core.testing._frames import to_arrow
from sqltest_core.testing._mock import (
    DEFAULT_MAX_CELLS,
    mock_tables,
    select_cte,
)
from sqltest_core.testing._stats import (
    DistributionMismatch,
    assert_mean,
    assert_quantile,
    assert_same_distribution,
    assert_stddev,
)

__all__ = [
    "DEFAULT_MAX_CELLS",
    "DistributionMismatch",
    "FixtureTooLarge",
    "NotInlinable",
    "ResultMismatch",
    "assert_mean",
    "assert_quantile",
    "assert_result_equal",
    "assert_row_count",
    "assert_rows_absent",
    "assert_rows_contained",
    "assert_same_distribution",
    "assert_scalar",
    "assert_schema",
    "assert_stddev",
    "freeze_clock",
    "mock_tables",
    "select_cte",
    "to_arrow",
]
