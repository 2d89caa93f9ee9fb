"""pytest plug-in: ``*.sqltest.yml`` files and ``TestCase`` classes as pytest items.

Enable it with ``-p sqltest_core.testing.pytest_plugin`` (or
``pytest_plugins = ["sqltest_core.testing.pytest_plugin"]`` in a
``conftest.py``). Data sources come from ``--sqltest-config PATH`` or a
``sqltest.yml`` in the rootdir. Items run on one event loop in a background
thread, sharing the session's pools, each isolated as :func:`run_tests` would
isolate it; ``-k``, ``-x``, markers and pytest-xdist work as for any item.

Fixtures for hand-written async tests: ``sqltest_settings`` (session),
``sqltest_pools`` (opened per test, on the test's loop) and ``sqltest_db`` (a
:class:`~sqltest_core.testing.TestDB` isolated like a unit test).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pytest

from sqltest_core.testing._case import SQLTest, TestCase, UnitTest
from sqltest_core.testing._db import RunOptions, TestDB
from sqltest_core.testing._isolation import default_isolation, isolate
from sqltest_core.testing._runner import execute_test
from sqltest_core.testing._yaml import load_tests

if TYPE_CHECKING:
    from anyio.from_thread import BlockingPortal

    from sqltest_core.config import Settings
    from sqltest_core.connectors import Pools
    from sqltest_core.results import RuleResult

_SUFFIXES = (".sqltest.yml", ".sqltest.yaml")
_RUNNER = pytest.StashKey["_Session"]()

F = TypeVar("F", bound=Callable[..., Any])


def _async_fixture(fn: F) -> F:
    """``pytest_asyncio.fixture`` (strict mode needs it), else ``pytest.fixture``."""
    try:
        import pytest_asyncio
    except ImportError:  # anyio's plug-in handles plain async fixtures
        return cast("F", pytest.fixture(fn))
    return cast("F", pytest_asyncio.fixture(fn))


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sqltest")
    group.addoption(
        "--sqltest-config",
        default=None,
        help="sqltest.yml with the data sources (default: <rootdir>/sqltest.yml)",
    )
    group.addoption("--sqltest-source", default=None, help="default data source")
    group.addoption(
        "--sqltest-update-snapshots",
        action="store_true",
        default=None,
        help="rewrite snapshot files instead of comparing",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqltest: a SQL unit test run by sqltest_core")


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(_RUNNER, None)
    if session is not None:
        session.close()


def _settings(config: pytest.Config) -> Settings:
    from sqltest_core.config import load_settings
    from sqltest_core.errors import ConfigError

    option = config.getoption("--sqltest-config")
    path = Path(option) if option else Path(config.rootpath) / "sqltest.yml"
    if not path.exists():
        raise ConfigError(f"no sqltest config at {path}: pass --sqltest-config")
    return load_settings(path)


class _Session:
    """The session's pools, on an event loop in a background thread."""

    def __init__(self, config: pytest.Config) -> None:
        from anyio.from_thread import start_blocking_portal

        from sqltest_core.connectors import Pools

        self.settings = _settings(config)
        self.source = config.getoption("--sqltest-source")
        self._stack = contextlib.ExitStack()
        self.portal: BlockingPortal = self._stack.enter_context(start_blocking_portal())
        self.pools: Pools = Pools(self.settings)
        self.options = RunOptions(
            update_snapshots=config.getoption("--sqltest-update-snapshots"),
            snapshot_dir=str(Path(config.rootpath) / "__snapshots__"),
        )
        self._swept: set[str] = set()

    def default_source(self, unit: UnitTest) -> str:
        name = unit.source or self.source
        if name is None and len(self.pools.sources) == 1:
            (name,) = self.pools.sources
        if name is None:
            raise pytest.UsageError("several data sources: pass --sqltest-source")
        return name

    def run(self, unit: UnitTest) -> RuleResult:
        name = self.default_source(unit)

        async def go() -> RuleResult:
            from sqltest_core.testing._isolation import sweep

            pool = await self.pools.get(name)
            if name not in self._swept and pool.dialect != "sqlite":
                self._swept.add(name)
                await sweep(pool)
            return await execute_test(unit, pool, self.options)

        return self.portal.call(go)

    def close(self) -> None:
        try:
            self.portal.call(self.pools.aclose)
        finally:
            self._stack.close()


def _runner(config: pytest.Config) -> _Session:
    session = config.stash.get(_RUNNER, None)
    if session is None:
        session = config.stash[_RUNNER] = _Session(config)
    return session


class SQLTestFailed(AssertionError):
    """A sqltest item failed; its message is the result's reason (the row diff)."""


class SQLTestItem(pytest.Item):
    """One unit test (from YAML or a TestCase), run through :func:`execute_test`."""

    def __init__(self, *, unit: UnitTest, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.unit = unit
        self.result: RuleResult | None = None
        self.add_marker("sqltest")
        for mark in unit.marks:
            self.add_marker(mark)

    def runtest(self) -> None:
        result = self.result = _runner(self.config).run(self.unit)
        if result.status.value == "skipped":
            pytest.skip(result.reason or "skipped")
        if result.status.value in ("failed", "errored"):
            raise SQLTestFailed(result.reason or result.status.value)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,  # Any: pytest's private style literal
    ) -> str | Any:
        if not isinstance(excinfo.value, SQLTestFailed):
            return super().repr_failure(excinfo)
        text = str(excinfo.value)
        if self.result is not None and self.result.sql:
            text += "\n\nSQL:\n" + self.result.sql[-1]
        return text

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"sqltest: {self.name}"


class SQLTestFile(pytest.File):
    """A ``*.sqltest.yml`` file: one item per test."""

    def collect(self) -> Iterator[SQLTestItem]:
        for test in load_tests(self.path):
            yield SQLTestItem.from_parent(
                self, name=test.name, unit=test.unit_test(prefix=f"{self.path.name}::")
            )


class CaseCollector(pytest.Class):
    """A :class:`TestCase` subclass: one item per ``test_*`` coroutine."""

    def collect(self) -> Iterator[SQLTestItem]:
        assert isinstance(self.obj, type) and issubclass(self.obj, TestCase)
        for unit in self.obj.unit_tests():
            yield SQLTestItem.from_parent(
                self, name=unit.id.rsplit("::", 1)[-1], unit=unit
            )


def pytest_collect_file(
    file_path: Path, parent: pytest.Collector
) -> SQLTestFile | None:
    if file_path.name.endswith(_SUFFIXES):
        return SQLTestFile.from_parent(parent, path=file_path)
    return None


def pytest_pycollect_makeitem(
    collector: pytest.Collector, name: str, obj: object
) -> pytest.Collector | pytest.Item | None:
    if isinstance(obj, type) and issubclass(obj, TestCase) and obj is not TestCase:
        return CaseCollector.from_parent(collector, name=name)
    if isinstance(obj, UnitTest) and name.startswith("test"):
        return SQLTestItem.from_parent(collector, name=name, unit=obj)
    if isinstance(obj, SQLTest) and name.startswith("test"):
        return SQLTestItem.from_parent(collector, name=name, unit=obj.unit_test())
    return None


@pytest.fixture(scope="session")
def sqltest_settings(pytestconfig: pytest.Config) -> Settings:
    """The data sources of ``--sqltest-config`` (or ``<rootdir>/sqltest.yml``)."""
    return _settings(pytestconfig)


@_async_fixture
async def sqltest_pools(sqltest_settings: Settings) -> AsyncIterator[Pools]:
    """Pools of the configured data sources, opened on the test's own loop."""
    from sqltest_core.connectors import Pools

    async with Pools(sqltest_settings) as pools:
        yield pools


@_async_fixture
async def sqltest_db(
    sqltest_pools: Pools, pytestconfig: pytest.Config, request: pytest.FixtureRequest
) -> AsyncIterator[TestDB]:
    """A :class:`TestDB` on the default data source, isolated, undone after the test."""
    name = pytestconfig.getoption("--sqltest-source") or sqltest_pools.names[0]
    pool = await sqltest_pools.get(name)
    options = RunOptions(
        update_snapshots=pytestconfig.getoption("--sqltest-update-snapshots")
    )
    async with (
        pool.acquire() as conn,
        isolate(
            conn, default_isolation(pool.dialect), dialect=pool.dialect, run=options.run
        ) as scratch,
    ):
        db = TestDB(
            scratch, dialect=pool.dialect, test_id=request.node.nodeid, options=options
        )
        try:
            yield db
        finally:
            await db.cleanup()
