"""Test isolation: a rolled-back transaction, or a scratch schema or database.

Every scratch object is named ``sqltest_<runid>_<n>``, where the run id encodes
the run's start (epoch seconds, hex), its process id and a short hash of its
host. A later run's :func:`sweep` reads those names back and drops the objects
of runs that are stale: older than ``max_age``, or from this host and whose
process is gone (a run killed with SIGKILL never reaches its ``finally``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import itertools
import os
import re
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import anyio

from sqltest_core._logging import get_logger
from sqltest_core.errors import ConfigError, ConnectorError, UnsupportedFeature

if TYPE_CHECKING:
    from sqltest_core.config import DataSource
    from sqltest_core.connectors import Connection, Pool

__all__ = [
    "Isolation",
    "RunId",
    "Scratch",
    "default_isolation",
    "isolate",
    "sweep",
]

Isolation = Literal["transaction", "schema", "database", "none"]
_log = get_logger("sqltest_core.testing")
MODES: tuple[Isolation, ...] = ("transaction", "schema", "database", "none")
_NAME = re.compile(r"^sqltest_([0-9a-f]{8,})_([0-9a-f]+)_([0-9a-f]{4})_(\d+)$")


def _host_tag(host: str | None = None) -> str:
    name = host if host is not None else socket.gethostname()
    return hashlib.sha1(name.encode()).hexdigest()[:4]


@dataclass(frozen=True, slots=True)
class RunId:
    """Who made a scratch object: when, which process, on which host.

    >>> rid = RunId(started=1_700_000_000, pid=4242, host="ab12")
    >>> str(rid), rid.scratch_name(7)
    ('6553f100_1092_ab12', 'sqltest_6553f100_1092_ab12_7')
    >>> RunId.parse("sqltest_6553f100_1092_ab12_7")
    (RunId(started=1700000000, pid=4242, host='ab12'), 7)
    >>> RunId.parse("sqltest_0123456789ab") is None
    True
    """

    started: int
    pid: int
    host: str

    @classmethod
    def new(cls) -> RunId:
        """The id of a run starting now in this process."""
        return cls(int(time.time()), os.getpid(), _host_tag())

    def __str__(self) -> str:
        return f"{self.started:08x}_{self.pid:x}_{self.host}"

    def scratch_name(self, n: int) -> str:
        """Name of the ``n``-th scratch schema or database of this run."""
        return f"sqltest_{self}_{n}"

    @classmethod
    def parse(cls, name: str) -> tuple[RunId, int] | None:
        """The run and number a scratch name encodes; None for other names."""
        match = _NAME.match(name.casefold())
        if match is None:
            return None
        started, pid, host, n = match.groups()
        return cls(int(started, 16), int(pid, 16), host), int(n)


def _process_start(pid: int) -> float | None:
    """Epoch second ``pid`` started at (Linux ``/proc``); None when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime")
        )
        return boot + int(stat[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _pid_alive(pid: int, started: int) -> bool:
    """True if ``pid`` runs and started no later than the run did (pid reuse)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by someone else
    began = _process_start(pid)
    return began is None or began <= started + 2


def is_stale(
    run: RunId,
    *,
    max_age: float,
    now: float | None = None,
    alive: Callable[[int, int], bool] = _pid_alive,
) -> bool:
    """True when the run's scratch objects may be dropped.

    >>> old = RunId(started=0, pid=1, host="zzzz")
    >>> is_stale(old, max_age=3600, now=7200), is_stale(old, max_age=3600, now=60)
    (True, False)
    """
    current = time.time() if now is None else now
    if current - run.started > max_age:
        return True
    if run.host != _host_tag():
        return False  # another host: only age tells
    return not alive(run.pid, run.started)


@dataclass(frozen=True, slots=True)
class Scratch:
    """Where a test's fixture tables go.

    Attributes:
        conn: The connection the test uses.
        mode: The isolation in force.
        name: The scratch schema or database, if any.
        temporary: Fixture tables are created ``TEMPORARY`` (transaction mode).
    """

    conn: Connection
    mode: Isolation
    name: str | None = None
    temporary: bool = False


class _Rollback(Exception):
    """Leaves the test's transaction by rolling it back."""


def default_isolation(dialect: str, *, tables: bool = False) -> Isolation:
    """A rolled-back transaction, unless DDL would commit it.

    MySQL/MariaDB commit on DDL: a scratch database. Snowflake commits on DDL
    too: a transaction while the fixtures are inlined, a scratch schema when
    the test loads ``tables`` (fakesnow also hangs on a temporary table created
    inside a transaction).

    >>> default_isolation("postgres"), default_isolation("mysql")
    ('transaction', 'schema')
    >>> default_isolation("snowflake"), default_isolation("snowflake", tables=True)
    ('transaction', 'schema')
    """
    if dialect == "mysql" or (dialect == "snowflake" and tables):
        return "schema"
    return "transaction"


_counter = itertools.count(1)


def next_scratch(run: RunId) -> str:
    """A fresh scratch name for ``run``."""
    return run.scratch_name(next(_counter))


def quote(name: str, dialect: str) -> str:
    """``name`` as a quoted identifier (scratch names are plain ``[a-z0-9_]``)."""
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise ConfigError(f"not a plain identifier: {name!r}")
    return f"`{name}`" if dialect == "mysql" else f'"{name}"'


@contextlib.asynccontextmanager
async def isolate(
    conn: Connection,
    mode: Isolation,
    *,
    dialect: str,
    run: RunId,
    template: str | None = None,
    open_database: Callable[[str], contextlib.AbstractAsyncContextManager[Connection]]
    | None = None,
) -> AsyncIterator[Scratch]:
    """Run the block isolated from other tests; undo everything it did.

    Args:
        conn: A connection lent to this test alone.
        mode: ``transaction`` (rolled back), ``schema`` (a scratch schema, or
            database on MySQL, first on the search path, dropped after),
            ``database`` (PostgreSQL: a clone of ``template``) or ``none``.
        dialect: The engine's sqlglot dialect.
        run: The run, which names scratch objects.
        template: PostgreSQL template database for ``database`` mode.
        open_database: Opens a connection to a database by name (``database``).
    """
    if mode not in MODES:
        raise ConfigError(f"unknown isolation {mode!r}: expected one of {MODES}")
    if mode == "none":
        yield Scratch(conn, mode)
    elif mode == "transaction":
        try:
            async with conn.transaction():
                yield Scratch(conn, mode, temporary=True)
                raise _Rollback
        except _Rollback:
            pass
    elif mode == "schema":
        async with _schema(conn, dialect, next_scratch(run)) as scratch:
            yield scratch
    else:
        if dialect != "postgres" or open_database is None:
            raise UnsupportedFeature(
                "isolation 'database' needs PostgreSQL (a template clone)"
            )
        name = next_scratch(run)
        source = f" TEMPLATE {quote(template, dialect)}" if template else ""
        await conn.execute(f"CREATE DATABASE {quote(name, dialect)}{source}")
        try:
            async with open_database(name) as other:
                yield Scratch(other, mode, name)
        finally:
            with anyio.CancelScope(shield=True):
                await conn.execute(
                    f"DROP DATABASE IF EXISTS {quote(name, dialect)} WITH (FORCE)"
                )


async def _scalar(conn: Connection, sql: str) -> object:
    from sqltest_core.connectors import collect

    table = await collect(conn.stream(sql))
    return table.column(0)[0].as_py() if table.num_rows else None


@contextlib.asynccontextmanager
async def _schema(conn: Connection, dialect: str, name: str) -> AsyncIterator[Scratch]:
    q = quote(name, dialect)
    if dialect == "sqlite":
        raise UnsupportedFeature(
            "isolation 'schema' is not available on SQLite (use 'transaction')"
        )
    if dialect == "mysql":
        previous = await _scalar(conn, "SELECT DATABASE()")
        if previous is None:
            raise UnsupportedFeature(
                "isolation 'schema' on MySQL needs a default database in the URL"
            )
        await conn.execute(f"CREATE DATABASE {q}")
        enter, leave = f"USE {q}", f"USE {quote(str(previous), dialect)}"
    elif dialect == "postgres":
        previous = await _scalar(conn, "SELECT current_setting('search_path')")
        await conn.execute(f"CREATE SCHEMA {q}")
        enter = f"SET search_path TO {q}, {previous}"
        leave = f"SET search_path TO {previous}"
    elif dialect == "duckdb":
        previous = await _scalar(conn, "SELECT current_setting('search_path')")
        await conn.execute(f"CREATE SCHEMA {q}")
        enter = f"SET search_path = '{name},{previous}'"
        leave = f"SET search_path = '{previous}'"
    elif dialect == "snowflake":
        previous = await _scalar(conn, "SELECT CURRENT_SCHEMA()")
        name = name.upper()
        q = quote(name, dialect)
        await conn.execute(f"CREATE SCHEMA {q}")
        enter, leave = f"USE SCHEMA {q}", f"USE SCHEMA {quote(str(previous), dialect)}"
    else:
        raise UnsupportedFeature(f"isolation 'schema' is not available on {dialect}")
    try:
        await conn.execute(enter)
        yield Scratch(conn, "schema", name)
    finally:
        # Cleanup failures must not hide the test's own outcome: a connection
        # that cannot go back is discarded, and a schema left behind is swept
        # by a later run once this process is gone.
        kind = "DATABASE" if dialect == "mysql" else "SCHEMA"
        cascade = "" if dialect == "mysql" else " CASCADE"
        with anyio.CancelScope(shield=True):
            for statement in (leave, f"DROP {kind} IF EXISTS {q}{cascade}"):
                try:
                    await conn.execute(statement)
                except ConnectorError as exc:
                    _log.warning("scratch_cleanup_failed", scratch=name, error=str(exc))
                    if statement == leave and hasattr(conn, "broken"):
                        conn.broken = True


async def scratch_objects(pool: Pool) -> list[str]:
    """Names of scratch schemas and databases on ``pool``'s server."""
    names = await pool.schemas()
    if pool.dialect == "postgres":
        table = await pool.fetch_arrow("SELECT datname FROM pg_database")
        names += [str(n) for n in table.column(0).to_pylist()]
    return [n for n in names if RunId.parse(n) is not None]


async def sweep(
    pool: Pool,
    *,
    max_age: float = 6 * 3600,
    now: float | None = None,
    alive: Callable[[int, int], bool] = _pid_alive,
) -> list[str]:
    """Drop the scratch schemas and databases of stale runs; return their names.

    Args:
        pool: The data source to clean.
        max_age: Seconds after which any run's objects are stale.
        now: The current time (epoch seconds), for tests.
        alive: Tells whether a pid that started at an epoch second still runs.
    """
    dropped: list[str] = []
    dialect = pool.dialect
    databases: set[str] = set()
    if dialect == "postgres":
        table = await pool.fetch_arrow("SELECT datname FROM pg_database")
        databases = {str(n) for n in table.column(0).to_pylist()}
    for name in await scratch_objects(pool):
        parsed = RunId.parse(name)
        assert parsed is not None
        if not is_stale(parsed[0], max_age=max_age, now=now, alive=alive):
            continue
        q = quote(name, dialect)
        if name in databases:
            await pool.execute(f"DROP DATABASE IF EXISTS {q} WITH (FORCE)")
        elif dialect == "mysql":
            await pool.execute(f"DROP DATABASE IF EXISTS {q}")
        else:
            await pool.execute(f"DROP SCHEMA IF EXISTS {q} CASCADE")
        dropped.append(name)
    return dropped


def with_database(source: DataSource, database: str) -> DataSource:
    """A copy of ``source`` pointing at another database (``database`` mode)."""
    url = dataclasses.replace(source.url, database=database)
    return source.model_copy(update={"url": url})
