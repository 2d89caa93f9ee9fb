"""Conformance harness for MySQL/MariaDB: a fresh database per scratch source."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from sqltest_core.config import DataSource
from sqltest_core.connectors import collect
from sqltest_core.connectors.mysql import MySQLConnection, MySQLConnector
from sqltest_core_tests._servers import MYSQL_HOST, MYSQL_PORT, require_server

ENGINE = "mysql"
SERVER = f"{MYSQL_HOST}:{MYSQL_PORT}"
ADMIN_URL = f"mysql://root@{SERVER}/test"


def url_for(database: str, driver: str | None = None) -> str:
    """A URL to ``database`` on the live server, with ``driver`` when given."""
    scheme = f"mysql+{driver}" if driver else "mysql"
    return f"{scheme}://root@{SERVER}/{database}"


@contextlib.asynccontextmanager
async def admin() -> AsyncIterator[MySQLConnection]:
    """A connection to the ``test`` database, for set-up and inspection."""
    require_server("MariaDB", MYSQL_HOST, MYSQL_PORT)
    conn = await MySQLConnector(DataSource(name="admin", url=ADMIN_URL)).connect()
    try:
        yield conn
    finally:
        await conn.aclose()


@contextlib.asynccontextmanager
async def scratch(
    *, driver: str | None = None, **overrides: Any
) -> AsyncIterator[DataSource]:
    """A uniquely named, empty database, dropped afterwards."""
    database = f"sqltest_{uuid.uuid4().hex[:12]}"
    async with admin() as conn:
        await conn.execute(f"CREATE DATABASE `{database}`")
    try:
        yield DataSource.model_validate(
            {"name": ENGINE, "url": url_for(database, driver), **overrides}
        )
    finally:
        async with admin() as conn:
            await conn.execute(f"DROP DATABASE IF EXISTS `{database}`")


def sleep_sql(seconds: float) -> str:
    return f"SELECT SLEEP({seconds:g}) AS slept"


async def running_statements(marker: str) -> int | None:
    async with admin() as conn:
        table = await collect(
            conn.stream(
                "SELECT COUNT(*) AS n FROM information_schema.processlist"
                " WHERE LOCATE(%s, info) > 0 AND id <> CONNECTION_ID()",
                (marker,),
            )
        )
    return int(table.column("n")[0].as_py())


def bad_password_url(password: str) -> str | None:
    return f"mysql://root:{quote(password, safe='')}@{SERVER}/test"
