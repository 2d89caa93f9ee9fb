"""Configuration: data sources and settings, from YAML or from Python.

The pydantic models here validate ``sqltest.yml`` and are the Python API as well.
String values may use ``${VAR}`` and ``${VAR:-default}``; credentials are held as
:class:`~sqltest_core.Secret` and never printed.
"""

from __future__ import annotations

from sqltest_core.config._loader import Document, load_settings, load_yaml, validate
from sqltest_core.config._models import (
    BreakerSettings,
    DataSource,
    LogSettings,
    PoolSettings,
    RetrySettings,
    SecretField,
    Settings,
)
from sqltest_core.config._url import URL

__all__ = [
    "URL",
    "BreakerSettings",
    "DataSource",
    "Document",
    "LogSettings",
    "PoolSettings",
    "RetrySettings",
    "SecretField",
    "Settings",
    "load_settings",
    "load_yaml",
    "validate",
]
