"""sqltest_core: test data and SQL inside real databases, asynchronously.

>>> import sqltest_core
>>> sqltest_core.open_pool("duckdb://:memory:").dialect
'duckdb'
"""

from __future__ import annotations

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

__version__ = "0.1.0"

__all__ = [
    "URL",
    "CircuitOpenError",
    "ConfigError",
    "ConnectError",
    "ConnectorError",
    "DataSource",
    "MissingDriver",
    "PluginError",
    "PluginNotFound",
    "Pool",
    "PoolTimeout",
    "Pools",
    "QueryError",
    "QueryTimeout",
    "RetryExhausted",
    "Secret",
    "Settings",
    "SqltestError",
    "UnsupportedFeature",
    "__version__",
    "collect",
    "configure_logging",
    "get_logger",
    "load_settings",
    "open_pool",
    "redact",
    "to_polars",
]
