"""Connectors: one async interface to DuckDB, SQLite, PostgreSQL, MySQL, Snowflake.

A data-source URL picks the connector by its scheme (``postgresql://...``); the
part after ``+`` picks a driver where there is a choice (``mysql+aiomysql://``).
Results stream as ``pyarrow.RecordBatch`` es; small ones also come as
:class:`Rows` of plain tuples (``fetch_rows``). Add an engine by publishing a
connector class under the ``sqltest_core.connectors`` entry-point group, or for a
test, ``registry.register("fake", FakeConnector)``.
"""

from __future__ import annotations

from sqltest_core.connectors._arrow import collect, rows_to_batch, to_polars
from sqltest_core.connectors._base import (
    BaseConnection,
    BaseConnector,
    Connection,
    Connector,
    Deadline,
    Params,
    import_driver,
    placeholder,
)
from sqltest_core.connectors._catalog import Catalog, Column, ForeignKey, Table
from sqltest_core.connectors._pool import Pool, PoolStats, open_pool
from sqltest_core.connectors._pools import Pools
from sqltest_core.connectors._registry import connector_for, registry
from sqltest_core.connectors._rows import Rows
from sqltest_core.connectors._threads import run_interruptible

__all__ = [
    "BaseConnection",
    "BaseConnector",
    "Catalog",
    "Column",
    "Connection",
    "Connector",
    "Deadline",
    "ForeignKey",
    "Params",
    "Pool",
    "PoolStats",
    "Pools",
    "Rows",
    "Table",
    "collect",
    "connector_for",
    "import_driver",
    "open_pool",
    "placeholder",
    "registry",
    "rows_to_batch",
    "run_interruptible",
    "to_polars",
]
