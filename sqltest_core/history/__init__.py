"""Run history: record each run, read runs back, chart trends, say what changed.

A :class:`HistoryStore` keeps runs losslessly (their JSON) with one row per
rule or test for trends. :class:`SQLHistory` is the implementation for any data
source, an embedded DuckDB or SQLite file included; :func:`open_history` picks
one from a path, a URL or an open pool. Another store (an object store, an API)
implements the same Protocol. See ``docs/history.md``.
"""

from __future__ import annotations

from sqltest_core.history._store import (
    DEFAULT_PATH,
    HistoryStore,
    SQLHistory,
    open_history,
)
from sqltest_core.history._trend import Changes, changes

__all__ = [
    "DEFAULT_PATH",
    "Changes",
    "HistoryStore",
    "SQLHistory",
    "changes",
    "open_history",
]
