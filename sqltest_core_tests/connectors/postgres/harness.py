"""Conformance harness for PostgreSQL: a fresh schema per scratch source.

The scratch data source sets ``search_path`` to its schema through asyncpg's
``server_settings``, so unqualified names land there.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from sqltest_core.config import DataSource
from sqltest_core.connectors.postgres import PostgresConnection, PostgresConnector
from sqltest_core_tests._servers import POSTGRES_HOST, POSTGRES_PORT, require_server

ENGINE = "postgres"
SERVER = f"{POSTGRES_HOST}:{POSTGRES_PORT}"
URL = f"postgresql://postgres@{SERVER}/test"


@contextlib.asynccontextmanager
async def admin() -> AsyncIterator[PostgresConnection]:
    """A connection to the ``test`` database, for set-up and inspection."""
    require_server("PostgreSQL", POSTGRES_HOST, POSTGRES_PORT)
    conn = await PostgresConnector(DataSource(name="admin", url=URL)).connect()
    try:
        yield conn
    finally:
        await conn.aclose()


@contextlib.asynccontextmanager
async def scratch(**overrides: Any) -> AsyncIterator[DataSource]:
    """A uniquely named, empty schema on the search path, dropped afterwards."""
    schema = f"sqltest_{uuid.uuid4().hex[:12]}"
    async with admin() as conn:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    options = dict(overrides.pop("options", {}))
    options["server_settings"] = {
        **options.get("server_settings", {}),
        "search_path": f'"{schema}"',
    }
    try:
        yield DataSource.model_validate(
            {"name": ENGINE, "url": URL, "options": options, **overrides}
        )
    finally:
        async with admin() as conn:
            # A session a test left open may hold locks: do not wait for ever.
            await conn.execute("SET lock_timeout = '10s'")
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def sleep_sql(seconds: float) -> str:
    return f"SELECT 1 AS slept FROM pg_sleep({seconds:g})"


async def running_statements(marker: str) -> int | None:
    async with admin() as conn:
        return await conn.execute(
            "SELECT 1 FROM pg_stat_activity WHERE state = 'active'"
            " AND strpos(query, $1) > 0 AND pid <> pg_backend_pid()",
            [marker],
        )


def bad_password_url(password: str) -> str | None:
    # The server trusts local connections, so any password opens a session of an
    # existing role; an unknown role fails at authentication, like a bad password.
    return f"postgresql://sqltest_canary:{quote(password, safe='')}@{SERVER}/test"
