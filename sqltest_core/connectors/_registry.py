"""The connector registry: URL scheme -> connector class, via entry points."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqltest_core._plugins import Registry

if TYPE_CHECKING:
    from sqltest_core.config import DataSource
    from sqltest_core.connectors._base import Connector

__all__ = ["connector_for", "registry"]

ConnectorClass = type


def _check(obj: object) -> type:
    if not isinstance(obj, type):
        raise TypeError(f"expected a connector class, got {obj!r}")
    missing = [
        a for a in ("name", "dialect", "paramstyle", "connect") if not hasattr(obj, a)
    ]
    if missing:
        raise TypeError(f"{obj.__qualname__} lacks {', '.join(missing)}")
    return obj


registry: Registry[type] = Registry(
    "sqltest_core.connectors", kind="connector", check=_check
)
"""Connector classes by URL scheme; plug-ins add theirs by entry point."""


def connector_for(source: DataSource) -> Connector:
    """The connector for ``source``, chosen by its URL scheme."""
    cls = registry.get(source.url.scheme)
    connector: Connector = cls(source)
    return connector
