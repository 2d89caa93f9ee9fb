"""SQL unit testing: result-set assertions, statistics and input mocking.

Assertions take ``pyarrow.Table`` results (expected values may also be polars
frames or lists of dicts, converted once) and raise :class:`ResultMismatch`, an
``AssertionError`` carrying the diff as data (``.diff``). Mocking rewrites a
query with sqlglot so that it reads fixture rows instead of real tables, sees
a frozen clock, or outputs one of its own CTEs. See ``docs/testing.md``.

Tests themselves (``TestCase`` classes, ``@unit_test`` functions, declarative
``SQLTest`` s and ``*.sqltest.yml`` files) run isolated through the scheduler
with :func:`run_tests`, or under pytest with
``-p sqltest_core.testing.pytest_plugin``; see ``docs/testing_api.md``.
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
from sqltest_core.testing._case import (
    ErrorSpec,
    Expect,
    SQLTest,
    TestCase,
    UnitTest,
    as_unit_tests,
    unit_test,
)
from sqltest_core.testing._catalog_spec import spec_from_catalog
from sqltest_core.testing._clock import freeze_clock
from sqltest_core.testing._compare import assert_result_equal
from sqltest_core.testing._coverage import Coverage, measure_coverage
from sqltest_core.testing._data import to_table, typed_default
from sqltest_core.testing._db import RunOptions, TestDB
from sqltest_core.testing._diff import ResultMismatch
from sqltest_core.testing._fixture import (
    Fixture,
    FixtureStore,
    Scope,
    fixture,
    parse_schema,
)
from sqltest_core.testing._frames import to_arrow
from sqltest_core.testing._generate import ColumnSpec, TableSpec, generate
from sqltest_core.testing._isolation import (
    Isolation,
    RunId,
    default_isolation,
    isolate,
    sweep,
)
from sqltest_core.testing._load import load_table
from sqltest_core.testing._mock import (
    DEFAULT_MAX_CELLS,
    mock_tables,
    select_cte,
)
from sqltest_core.testing._runner import TestTask, execute_test, run_tests
from sqltest_core.testing._snapshot import (
    UPDATE_ENV,
    assert_snapshot,
    explain_cost,
)
from sqltest_core.testing._stats import (
    DistributionMismatch,
    assert_mean,
    assert_quantile,
    assert_same_distribution,
    assert_stddev,
)
from sqltest_core.testing._strategies import rows_strategy
from sqltest_core.testing._yaml import load_tests, parse_tests

__all__ = [
    "DEFAULT_MAX_CELLS",
    "UPDATE_ENV",
    "ColumnSpec",
    "Coverage",
    "DistributionMismatch",
    "ErrorSpec",
    "Expect",
    "Fixture",
    "FixtureStore",
    "FixtureTooLarge",
    "Isolation",
    "NotInlinable",
    "ResultMismatch",
    "RunId",
    "RunOptions",
    "SQLTest",
    "Scope",
    "TableSpec",
    "TestCase",
    "TestDB",
    "TestTask",
    "UnitTest",
    "as_unit_tests",
    "assert_mean",
    "assert_quantile",
    "assert_result_equal",
    "assert_row_count",
    "assert_rows_absent",
    "assert_rows_contained",
    "assert_same_distribution",
    "assert_scalar",
    "assert_schema",
    "assert_snapshot",
    "assert_stddev",
    "default_isolation",
    "execute_test",
    "explain_cost",
    "fixture",
    "freeze_clock",
    "generate",
    "isolate",
    "load_table",
    "load_tests",
    "measure_coverage",
    "mock_tables",
    "parse_schema",
    "parse_tests",
    "rows_strategy",
    "run_tests",
    "select_cte",
    "spec_from_catalog",
    "sweep",
    "to_arrow",
    "to_table",
    "typed_default",
    "unit_test",
]
