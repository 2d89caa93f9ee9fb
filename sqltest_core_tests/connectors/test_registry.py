from __future__ import annotations

import pytest

from sqltest_core import PluginError, PluginNotFound
from sqltest_core.config import DataSource
from sqltest_core.connectors import connector_for, registry
from sqltest_core.connectors.duckdb import DuckDBConnector


def test_builtins_come_from_entry_points() -> None:
    assert {
        "duckdb",
        "sqlite",
        "postgres",
        "postgresql",
        "mysql",
        "mariadb",
        "snowflake",
    } <= set(registry.names())
    assert registry.get("duckdb") is DuckDBConnector


def test_url_scheme_picks_the_connector() -> None:
    connector = connector_for(DataSource(url="duckdb://:memory:"))
    assert isinstance(connector, DuckDBConnector)


def test_unknown_scheme_suggests_the_closest() -> None:
    with pytest.raises(PluginNotFound, match="did you mean 'postgres'"):
        registry.get("postgress")


def test_plugins_register_and_clash() -> None:
    class Fake(DuckDBConnector):
        name = "fake"

    registry.register("fake", Fake)
    try:
        assert registry.get("fake") is Fake
        with pytest.raises(PluginError, match="already registered"):
            registry.register("fake", DuckDBConnector)
        registry.register("fake", DuckDBConnector, replace=True)
    finally:
        registry.unregister("fake")


def test_objects_that_do_not_fit_are_refused() -> None:
    with pytest.raises(PluginError, match="does not fit"):
        registry.register("bad", object())
    with pytest.raises(PluginError, match="lacks"):
        registry.register("bad", type("Bad", (), {"name": "bad"}))
