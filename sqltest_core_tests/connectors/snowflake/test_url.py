"""Snowflake URLs and options become the driver's connect arguments."""

from __future__ import annotations

import re

import pytest

from sqltest_core._secrets import redact
from sqltest_core.config import DataSource
from sqltest_core.connectors import connector_for
from sqltest_core.connectors.snowflake import SnowflakeConnector, connect_arguments
from sqltest_core.errors import ConfigError


def args(url: str, **fields: object) -> dict[str, object]:
    return connect_arguments(DataSource.model_validate({"url": url, **fields}))


def test_registry_picks_snowflake_connector_by_scheme() -> None:
    connector = connector_for(DataSource(url="snowflake://me@acct/DB"))
    assert isinstance(connector, SnowflakeConnector)
    assert (connector.name, connector.dialect, connector.paramstyle) == (
        "snowflake",
        "snowflake",
        "qmark",
    )


def test_host_is_the_account_identifier() -> None:
    assert args(
        "snowflake://me:pw1@xy12345.eu-west-1/SALES/PUBLIC?warehouse=WH&role=R"
    ) == {
        "account": "xy12345.eu-west-1",
        "user": "me",
        "password": "***",
        "database": "SALES",
        "schema": "PUBLIC",
        "warehouse": "WH",
        "role": "R",
        "paramstyle": "qmark",
        "arrow_number_to_decimal": True,
        "socket_timeout": 60,
        "login_timeout": 60,
    }


def test_full_host_name_gives_account_and_host() -> None:
    got = args("snowflake://me@myorg-acct.privatelink.snowflakecomputing.com/DB")
    assert got["account"] == "myorg-acct.privatelink"
    assert got["host"] == "myorg-acct.privatelink.snowflakecomputing.com"
    assert got["database"] == "DB"
    assert "schema" not in got


def test_account_parameter_makes_host_and_port_an_endpoint() -> None:
    got = args(
        "snowflake://me:pw1@localhost:8123/DB/S?account=fakesnow&protocol=http"
        "&login_timeout=5&network_timeout=30&socket_timeout=7"
    )
    assert {k: got[k] for k in ("account", "host", "port", "protocol")} == {
        "account": "fakesnow",
        "host": "localhost",
        "port": 8123,
        "protocol": "http",
    }
    assert (got["login_timeout"], got["network_timeout"]) == (5, 30)
    assert got["socket_timeout"] == 7


def test_options_override_the_url_and_merge_session_parameters() -> None:
    got = args(
        "snowflake://me@acct/DB?warehouse=SMALL",
        options={
            "warehouse": "BIG",
            "authenticator": "SNOWFLAKE_JWT",
            "session_parameters": {"QUERY_TAG": "sqltest"},
            "client_session_keep_alive": True,
        },
    )
    assert got["warehouse"] == "BIG"
    assert got["authenticator"] == "SNOWFLAKE_JWT"
    assert got["session_parameters"] == {"QUERY_TAG": "sqltest"}
    assert got["client_session_keep_alive"] is True


def test_secret_options_are_masked_and_registered() -> None:
    passphrase = "key-passphrase-7f3a9"
    got = args("snowflake://me@acct/DB", options={"private_key_file_pwd": passphrase})
    assert got["private_key_file_pwd"] == "***"
    # Registered as a secret: any later text that echoes it is masked.
    assert passphrase not in redact(f"driver said: bad {passphrase}")


def test_datasource_password_overrides_the_url() -> None:
    ds = DataSource(url="snowflake://me:old-pw1@acct/DB", password="new-pw-83d2")
    from sqltest_core.connectors.snowflake import _settings

    assert _settings(ds).kwargs["password"] == "new-pw-83d2"


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        ("snowflake://me@acct/DB?warehous=WH", {}, "unknown snowflake URL parameter"),
        ("snowflake://me@acct/DB/S/X", {}, "/DATABASE/SCHEMA"),
        ("snowflake+odbc://me@acct/DB", {}, "no '+odbc' driver"),
        ("snowflake://me@/DB", {}, "needs an account"),
        ("snowflake://me@acct/DB?login_timeout=soon", {}, "login_timeout"),
        ("snowflake://me@acct/DB?catalog_keys=maybe", {}, "true or false"),
        ("snowflake://me@acct/DB?retry_timeout=0", {}, "retry_timeout must be"),
        ("snowflake://me@acct/DB?retry_timeout=inf", {}, "retry_timeout must be"),
        ("snowflake://me@acct/DB", {"retry_timeout": "soon"}, "positive number"),
        ("snowflake://me@acct/DB", {"paramstyle": "pyformat"}, "qmark"),
        ("snowflake://me@acct/DB", {"arrow_number_to_decimal": False}, "floats"),
    ],
)
def test_bad_configuration_is_a_config_error(
    url: str, options: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        args(url, options=options)


def test_catalog_keys_flag_comes_from_url_or_options() -> None:
    from sqltest_core.connectors.snowflake import _settings

    assert _settings(DataSource(url="snowflake://me@acct/DB")).catalog_keys is True
    off = DataSource(url="snowflake://me@acct/DB?catalog_keys=false")
    assert _settings(off).catalog_keys is False
    on = DataSource(
        url="snowflake://me@acct/DB?catalog_keys=0", options={"catalog_keys": True}
    )
    assert _settings(on).catalog_keys is True
    assert "catalog_keys" not in connect_arguments(on)


def test_retry_timeout_comes_from_url_or_options_and_is_not_a_driver_argument() -> None:
    from sqltest_core.connectors.snowflake import _settings

    assert _settings(DataSource(url="snowflake://me@acct/DB")).retry_timeout == 60.0
    url = DataSource(url="snowflake://me@acct/DB?retry_timeout=2.5")
    assert _settings(url).retry_timeout == 2.5
    assert "retry_timeout" not in connect_arguments(url)
    opt = DataSource(
        url="snowflake://me@acct/DB?retry_timeout=9", options={"retry_timeout": 4}
    )
    assert _settings(opt).retry_timeout == 4.0


def test_network_timeout_is_never_set_by_default() -> None:
    # The driver would also abort every statement running longer than it.
    assert "network_timeout" not in args("snowflake://me@acct/DB")
