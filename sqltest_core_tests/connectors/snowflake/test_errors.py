"""Driver errors become sqltest_core errors; credentials never leak."""

from __future__ import annotations

import logging
import socket
import uuid

import pytest
import structlog

from sqltest_core.config import DataSource
from sqltest_core.connectors import collect, open_pool
from sqltest_core.connectors.snowflake import SnowflakeConnection, SnowflakeConnector
from sqltest_core.errors import ConnectError, QueryError, QueryTimeout
from sqltest_core_tests.connectors.snowflake.harness import (
    Emulator,
    bad_password_url,
)


async def test_missing_table_is_a_query_error(conn: SnowflakeConnection) -> None:
    with pytest.raises(QueryError) as caught:
        await conn.execute("SELECT * FROM no_such_table")
    assert not caught.value.transient
    assert "002003" in str(caught.value)  # Snowflake's error number is kept
    assert caught.value.sql == "SELECT * FROM no_such_table"
    assert caught.value.source == "snowflake"
    assert await conn.execute("SELECT 1") == -1  # the session survives


async def test_syntax_error_is_a_query_error(conn: SnowflakeConnection) -> None:
    with pytest.raises(QueryError, match="001003"):
        await collect(conn.stream("SELEC 1"))
    assert not conn.is_closed


async def test_bound_values_do_not_reach_error_messages(
    conn: SnowflakeConnection,
) -> None:
    value = f"not-a-number-{uuid.uuid4().hex[:8]}"
    with pytest.raises(QueryError) as caught:
        await conn.execute("SELECT CAST(? AS NUMBER) AS n", (value,))
    assert "***" in str(caught.value)  # the emulator echoes the value; it is masked
    assert value not in str(caught.value)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_unreachable_server_is_a_transient_connect_error() -> None:
    url = (
        f"snowflake://me:pw-1234@127.0.0.1:{closed_port()}/DB"
        "?account=fakesnow&protocol=http&login_timeout=2"
    )
    with pytest.raises(ConnectError) as caught:
        await SnowflakeConnector(DataSource(url=url)).connect()
    assert caught.value.transient
    assert "250001" in str(caught.value)


async def test_wrong_password_fails_once_and_never_leaks(
    snowflake_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    canary = f"canary-{uuid.uuid4().hex}"
    url = bad_password_url(canary)
    assert url is not None
    caplog.set_level(logging.DEBUG)  # the driver's own debug logs too
    with (
        structlog.testing.capture_logs() as events,
        pytest.raises(ConnectError) as caught,
    ):
        async with open_pool(url, name="canary") as pool:
            await pool.scalar("SELECT 1")
    error = caught.value
    # Rejected credentials are final: retrying could lock the user out.
    assert not error.transient
    assert "390100" in str(error)
    texts = [str(error), repr(error), str(error.__cause__), repr(error.__cause__)]
    texts += [
        caplog.text,
        repr(events),
        repr(DataSource(url=url)),
        str(DataSource(url=url).url),
    ]
    assert all(canary not in text for text in texts)
    logins = [e for e in snowflake_emulator.get("/sqltest/history") if canary in str(e)]
    assert logins == []


# -- unit tests: the mapping of every class of driver error ---------------------------


def mapped(exc: Exception) -> object:
    conn = SnowflakeConnection(
        DataSource(url="snowflake://u@a/D"), None, catalog_keys=True
    )
    return conn._map_error(exc, "SELECT 1")


def sf_error(cls_name: str, errno: int, sqlstate: str | None = None) -> Exception:
    from snowflake.connector import errors

    cls = getattr(errors, cls_name)
    exc: Exception = cls(
        msg="boom", errno=errno, sqlstate=sqlstate, send_telemetry=False
    )
    return exc


@pytest.mark.parametrize(
    ("cls_name", "errno", "sqlstate", "kind", "transient"),
    [
        ("ProgrammingError", 2003, "42S02", QueryError, False),
        ("IntegrityError", 100072, "22000", QueryError, False),
        ("ProgrammingError", 625, "57014", QueryError, True),  # lock wait timeout
        ("ProgrammingError", 604, "57014", QueryError, False),  # cancelled elsewhere
        ("ProgrammingError", 630, "57014", QueryTimeout, False),  # STATEMENT_TIMEOUT
        ("OperationalError", 250001, "08001", ConnectError, True),
        ("OperationalError", 250003, None, ConnectError, True),
        ("InterfaceError", 250002, None, ConnectError, True),
        ("ProgrammingError", 390114, "08001", ConnectError, True),  # token expired
        ("ProgrammingError", 390112, None, ConnectError, True),  # session expired
        ("DatabaseError", 390100, "28000", ConnectError, False),  # wrong password
        ("DatabaseError", 394304, "28000", ConnectError, False),  # JWT key mismatch
        ("DatabaseError", 390189, "08001", ConnectError, False),  # role not granted
        ("ProgrammingError", 390201, "08004", ConnectError, False),  # no such warehouse
        ("OperationalError", 251011, "08001", ConnectError, True),  # connect timeout
        ("OperationalError", 123, "08001", ConnectError, True),
        ("DataError", 100038, "22018", QueryError, False),
        ("InternalError", 1, "XX000", QueryError, False),
        ("ServiceUnavailableError", -1, None, ConnectError, True),
        ("ForbiddenError", -1, None, ConnectError, False),
        ("NotSupportedError", -1, None, QueryError, False),
    ],
)
def test_driver_errors_map_by_class_and_number(
    cls_name: str, errno: int, sqlstate: str | None, kind: type, transient: bool
) -> None:
    if cls_name in ("ServiceUnavailableError", "ForbiddenError"):
        from snowflake.connector import errors

        exc: Exception = getattr(errors, cls_name)()
    else:
        exc = sf_error(cls_name, errno, sqlstate)
    result = mapped(exc)
    assert type(result) is kind
    assert getattr(result, "transient", None) is transient


def test_deadline_and_foreign_errors_are_left_to_the_base() -> None:
    assert mapped(TimeoutError()) is None  # the base turns it into QueryTimeout
    assert mapped(ValueError("not the driver's")) is None
    result = mapped(ConnectionResetError("reset"))
    assert isinstance(result, ConnectError) and result.transient
