"""sqltest_core: test data and SQL inside real databases, asynchronously.

Rules, SQL unit tests, reporters and results are importable from here; rules,
tests and reporters (sqlglot, pyarrow) load on first use of one of their
names, so ``import sqltest_core`` stays light.

>>> import sqltest_core
>>> sqltest_core.open_pool("duckdb://:memory:").dialect
'duckdb'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sqltest_core._logging import configure_logging, get_logger
from sqltest_core._secrets import Secret, redact
from sqltest_core.config import URL, DataSource, Settings, load_settings
from sqltest_core.connectors import Pool, Pools, collect, open_pool, to_polars
from sqltest_core.errors import (
    CircuitOpenError,
    ConfigError,
    ConnectError,
    ConnectorError,
    MissingDriver,
    PluginError,
    PluginNotFound,
    PoolTimeout,
    QueryError,
    QueryTimeout,
    RetryExhausted,
    SqltestError,
    UnsupportedFeature,
)
from sqltest_core.results import RuleResult, RunResult, Severity, Status

if TYPE_CHECKING:
    from sqltest_core.reporting import Reporter
    from sqltest_core.rules import BaseRule, Rule, evaluate, load_suite, rule
    from sqltest_core.scheduler import run_rules
    from sqltest_core.testing import (
        Fixture,
        SQLTest,
        TestCase,
        fixture,
        run_tests,
        unit_test,
    )

__version__ = "0.1.0"

_LAZY = {
    "Reporter": "sqltest_core.reporting",
    "BaseRule": "sqltest_core.rules",
    "Rule": "sqltest_core.rules",
    "evaluate": "sqltest_core.rules",
    "load_suite": "sqltest_core.rules",
    "rule": "sqltest_core.rules",
    "run_rules": "sqltest_core.scheduler",
    "Fixture": "sqltest_core.testing",
    "SQLTest": "sqltest_core.testing",
    "TestCase": "sqltest_core.testing",
    "fixture": "sqltest_core.testing",
    "run_tests": "sqltest_core.testing",
    "unit_test": "sqltest_core.testing",
}


def __getattr__(name: str) -> Any:  # Any: whichever lazily imported name
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sqltest_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "URL",
    "BaseRule",
    "CircuitOpenError",
    "ConfigError",
    "ConnectError",
    "ConnectorError",
    "DataSource",
    "Fixture",
    "MissingDriver",
    "PluginError",
    "PluginNotFound",
    "Pool",
    "PoolTimeout",
    "Pools",
    "QueryError",
    "QueryTimeout",
    "Reporter",
    "RetryExhausted",
    "Rule",
    "RuleResult",
    "RunResult",
    "SQLTest",
    "Secret",
    "Settings",
    "Severity",
    "SqltestError",
    "Status",
    "TestCase",
    "UnsupportedFeature",
    "__version__",
    "collect",
    "configure_logging",
    "evaluate",
    "fixture",
    "get_logger",
    "load_settings",
    "load_suite",
    "open_pool",
    "redact",
    "rule",
    "run_rules",
    "run_tests",
    "to_polars",
    "unit_test",
]
