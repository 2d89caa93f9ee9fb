"""MySQL pieces that need no server: URLs, drivers, type plans, error mapping."""

from __future__ import annotations

import pyarrow as pa
import pytest

from sqltest_core import ConfigError, ConnectError, QueryError, QueryTimeout
from sqltest_core.config import DataSource
from sqltest_core.connectors import connector_for
from sqltest_core.connectors.mysql import (
    MySQLConnection,
    MySQLConnector,
    _settings,
    load_driver,
    plan_column,
)

UNSIGNED, BINARY_CHARSET, UTF8MB4 = 32, 63, 45


def connection(url: str = "mysql://root@127.0.0.1/test") -> MySQLConnection:
    source = DataSource(name="db", url=url)
    driver = load_driver(source.url.driver)
    return MySQLConnection(source, driver, _settings(source, driver))


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("mysql://root@127.0.0.1:3306/test", "asyncmy"),
        ("mariadb://root@127.0.0.1/test", "asyncmy"),
        ("mysql+asyncmy://root@127.0.0.1/test", "asyncmy"),
        ("mysql+aiomysql://root@127.0.0.1/test", "aiomysql"),
        ("mariadb+aiomysql://root@127.0.0.1/test", "aiomysql"),
    ],
)
def test_url_scheme_and_driver_choose_connector_and_driver(
    url: str, driver: str
) -> None:
    source = DataSource(url=url)
    connector = connector_for(source)
    assert isinstance(connector, MySQLConnector)
    assert (connector.name, connector.dialect, connector.paramstyle) == (
        "mysql",
        "mysql",
        "format",
    )
    assert load_driver(source.url.driver).name == driver


def test_unknown_driver_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown MySQL driver 'mysqlclient'"):
        load_driver("mysqlclient")


def test_url_options_become_connect_arguments() -> None:
    source = DataSource(
        url="mysql+aiomysql://app:s3cret-pw@db.example:3307/shop?charset=latin1"
        "&connect_timeout=2.5&net_write_timeout=900&max_statement_time=30",
        options={"program_name": "sqltest"},
    )
    driver = load_driver("aiomysql")
    settings = _settings(source, driver)
    kwargs = dict(settings.connect_kwargs)
    assert kwargs.pop("conv") is not None
    assert kwargs == {
        "host": "db.example",
        "port": 3307,
        "user": "app",
        "password": "s3cret-pw",
        "db": "shop",
        "charset": "latin1",
        "autocommit": True,
        "connect_timeout": 2.5,
        "local_infile": False,
        "program_name": "sqltest",
    }
    assert settings.session_sql == ("SET time_zone = '+00:00', net_write_timeout = 900")
    assert settings.max_statement_time == 30.0


def test_unknown_url_option_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"unknown MySQL URL option.*sslmode"):
        connection("mysql://root@127.0.0.1/test?sslmode=require")


@pytest.mark.parametrize(
    ("type_code", "flags", "charsetnr", "length", "scale", "expected"),
    [
        (1, 0, BINARY_CHARSET, 4, 0, pa.int8()),
        (1, 0, BINARY_CHARSET, 1, 0, pa.int8()),  # tinyint(1) stays a number
        (1, UNSIGNED, BINARY_CHARSET, 3, 0, pa.uint8()),
        (2, UNSIGNED, BINARY_CHARSET, 5, 0, pa.uint16()),
        (9, 0, BINARY_CHARSET, 9, 0, pa.int32()),
        (3, UNSIGNED, BINARY_CHARSET, 10, 0, pa.uint32()),
        (8, UNSIGNED, BINARY_CHARSET, 20, 0, pa.uint64()),
        (246, 0, BINARY_CHARSET, 14, 2, pa.decimal128(12, 2)),
        (246, UNSIGNED, BINARY_CHARSET, 13, 2, pa.decimal128(12, 2)),
        (246, 0, BINARY_CHARSET, 11, 0, pa.decimal128(10, 0)),
        (246, 0, BINARY_CHARSET, 67, 30, pa.decimal256(65, 30)),
        (4, 0, BINARY_CHARSET, 12, 31, pa.float32()),
        (5, 0, BINARY_CHARSET, 22, 31, pa.float64()),
        (16, UNSIGNED, BINARY_CHARSET, 10, 0, pa.uint64()),
        (13, UNSIGNED, BINARY_CHARSET, 4, 0, pa.int16()),
        (10, 0, BINARY_CHARSET, 10, 0, pa.date32()),
        (11, 0, BINARY_CHARSET, 17, 6, pa.duration("us")),
        (12, 0, BINARY_CHARSET, 26, 6, pa.timestamp("us")),
        (7, 0, BINARY_CHARSET, 26, 6, pa.timestamp("us", tz="UTC")),
        (253, 0, UTF8MB4, 80, 0, pa.string()),
        (253, 128, UTF8MB4, 80, 0, pa.string()),  # binary collation: still text
        (253, 128, BINARY_CHARSET, 8, 0, pa.binary()),  # varbinary
        (252, 16, UTF8MB4, 65535, 0, pa.string()),  # text
        (252, 16 | 128, BINARY_CHARSET, 65535, 0, pa.binary()),  # blob
        (254, 256, UTF8MB4, 20, 0, pa.string()),  # enum
        (245, 0, BINARY_CHARSET, 4294967295, 0, pa.string()),  # MySQL JSON
        (255, 0, BINARY_CHARSET, 4294967295, 0, pa.binary()),  # geometry (WKB)
        (6, 0, BINARY_CHARSET, 0, 0, pa.null()),
    ],
)
def test_column_descriptor_maps_to_arrow_type(
    type_code: int,
    flags: int,
    charsetnr: int,
    length: int,
    scale: int,
    expected: pa.DataType,
) -> None:
    plan = plan_column("c", type_code, flags, charsetnr, length, scale)
    assert plan.final == expected


@pytest.mark.parametrize(
    ("code", "kind", "transient"),
    [
        (2003, ConnectError, True),
        (2002, ConnectError, True),
        (2006, ConnectError, True),
        (2013, ConnectError, True),
        (1040, ConnectError, True),
        (1053, ConnectError, True),
        (1927, ConnectError, True),
        (1213, QueryError, True),
        (1205, QueryError, True),
        (1064, QueryError, False),
        (1146, QueryError, False),
        (1317, QueryError, False),
        (1969, QueryTimeout, False),
        (3024, QueryTimeout, False),
    ],
)
@pytest.mark.parametrize("driver", ["asyncmy", "aiomysql"])
def test_driver_error_codes_map_to_errors(
    driver: str, code: int, kind: type, transient: bool
) -> None:
    conn = connection(f"mysql+{driver}://root@127.0.0.1/test")
    module = __import__("asyncmy.errors" if driver == "asyncmy" else "pymysql.err")
    errors = module.errors if driver == "asyncmy" else module.err
    mapped = conn._map_error(errors.OperationalError(code, "boom"), "select 1")
    assert type(mapped) is kind
    assert mapped is not None
    assert mapped.transient is transient
    assert f"MySQL error {code}: boom" in mapped.message


def test_access_denied_while_connecting_is_a_lasting_connect_error() -> None:
    import asyncmy.errors

    conn = connection()
    conn._connecting = True
    exc = asyncmy.errors.OperationalError(
        1045, "Access denied for user 'root'@'127.0.0.1' (using password: YES)"
    )
    mapped = conn._map_error(exc, None)
    assert isinstance(mapped, ConnectError)
    assert mapped.transient is False


def test_lost_socket_is_a_transient_connect_error_and_timeouts_pass_through() -> None:
    conn = connection()
    mapped = conn._map_error(ConnectionResetError("reset by peer"), "select 1")
    assert isinstance(mapped, ConnectError)
    assert mapped.transient is True
    assert conn._map_error(TimeoutError(), "select 1") is None
    assert conn._map_error(ValueError("not ours"), "select 1") is None


def test_bound_parameter_values_are_kept_out_of_messages() -> None:
    import asyncmy.errors

    conn = connection()
    conn._params = ("top-secret-value", 7)
    exc = asyncmy.errors.ProgrammingError(
        1064,
        "You have an error in your SQL syntax; check the manual that corresponds "
        "to your MariaDB server version for the right syntax to use near "
        "''top-secret-value' frm t' at line 1",
    )
    mapped = conn._map_error(exc, "select %s frm t")
    assert mapped is not None
    assert "top-secret-value" not in str(mapped)
    assert "near <statement with bound parameters> at line 1" in str(mapped)
    dup = asyncmy.errors.IntegrityError(
        1062, "Duplicate entry 'top-secret-value' for key 'PRIMARY'"
    )
    assert str(conn._map_error(dup, "insert")).count("<parameter>") == 1
