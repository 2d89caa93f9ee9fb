"""The pytest plug-in, driven through pytester: YAML items, TestCase classes, options."""

from __future__ import annotations

from pathlib import Path

# Inner in-process runs restore sys.modules afterwards; C extensions (numpy,
# duckdb) cannot load twice in one process, so they are imported here first.
import duckdb  # noqa: F401
import pytest

import sqltest_core.testing  # noqa: F401
from sqltest_core_tests._servers import POSTGRES_HOST, POSTGRES_PORT, require_server
from sqltest_core_tests.connectors.postgres.harness import URL as PG_URL

pytest_plugins = ["pytester"]


def test_the_plugin_loads_by_entry_point(pytestconfig: pytest.Config) -> None:
    plugin = pytestconfig.pluginmanager.get_plugin("sqltest")
    assert plugin is not None
    assert plugin.__name__ == "sqltest_core.testing.pytest_plugin"


SUITE = """
tests:
  - name: totals
    sql: SELECT customer, SUM(amount) AS total FROM orders GROUP BY customer
    inputs:
      orders:
        - {customer: ann, amount: 2}
        - {customer: ann, amount: 3}
        - {customer: bob, amount: 4}
    expect:
      rows: [{customer: ann, total: 5}, {customer: bob, total: 4}]
  - name: wrong
    sql: SELECT id FROM t
    inputs:
      t: [{id: 1}, {id: 2}]
    expect:
      rows: [{id: 1}, {id: 3}]
  - name: marked
    sql: SELECT 1 AS one
    marks: [nightly]
    expect:
      scalar: 1
"""

CASES = """
from sqltest_core.testing import Expect, Fixture, SQLTest, TestCase, unit_test

test_declared = SQLTest(name="declared", sql="SELECT 1 AS x", expect=Expect(scalar=1))


class TestItems(TestCase):
    fixtures = [Fixture("items", rows=[{"v": 1}, {"v": 2}], load="table")]

    async def test_sum(self, db):
        await db.execute("INSERT INTO items VALUES (10)")
        assert await db.scalar("SELECT sum(v) FROM items") == 13

    async def test_isolated(self, db):
        assert await db.scalar("SELECT sum(v) FROM items") == 3


@unit_test(fixtures=[Fixture("t", rows=[{"x": 5}])])
async def test_function(db):
    assert await db.scalar("SELECT x FROM t") == 5


async def test_with_db_fixture(sqltest_db):
    await sqltest_db.execute("CREATE TABLE scratch (v INT)")
    await sqltest_db.execute("INSERT INTO scratch VALUES (4)")
    assert await sqltest_db.scalar("SELECT v FROM scratch") == 4


async def test_db_fixture_rolled_back(sqltest_db):
    got = await sqltest_db.fetch(
        "SELECT count(*) AS n FROM information_schema.tables "
        "WHERE table_name = 'scratch'", mock=False)
    assert got.column(0).to_pylist() == [0]
"""


@pytest.fixture
def project(pytester: pytest.Pytester, tmp_path: Path) -> pytest.Pytester:
    db = tmp_path / "plugin.duckdb"
    pytester.makefile(
        ".yml", sqltest=f"data_sources:\n  db:\n    url: duckdb:///{db}\n"
    )
    pytester.makefile(".sqltest.yml", orders=SUITE)
    pytester.makepyfile(test_cases=CASES)
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\n"
        "asyncio_default_fixture_loop_scope = function\n"
        "markers =\n    nightly: slow tests\n"
        "filterwarnings =\n    error\n"
        # Doctests of the outer session may have imported the plug-in already.
        "    ignore:Module already imported:pytest.PytestAssertRewriteWarning\n"
    )
    return pytester


def test_yaml_items_run_and_failures_show_the_row_diff(
    project: pytest.Pytester,
) -> None:
    result = project.runpytest("orders.sqltest.yml", "-v")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*orders.sqltest.yml::totals PASSED*",
            "*orders.sqltest.yml::wrong FAILED*",
            "result sets differ (unordered bag): expected 2 rows, got 2; 1 missing (-), "
            "1 unexpected (+), 0 changed cells (~)",
            "    | id",
            "  - | 3",
            "  + | 2",
            "SQL:",
            'WITH "sqltest_mock_t" AS (*',
        ]
    )


def test_k_x_and_markers(project: pytest.Pytester) -> None:
    project.runpytest("orders.sqltest.yml", "-k", "totals").assert_outcomes(passed=1)
    project.runpytest("orders.sqltest.yml", "-x").assert_outcomes(passed=1, failed=1)
    project.runpytest("orders.sqltest.yml", "-m", "nightly").assert_outcomes(passed=1)
    project.runpytest("-m", "sqltest", "test_cases.py").assert_outcomes(passed=4)


def test_testcase_classes_functions_and_db_fixture(project: pytest.Pytester) -> None:
    result = project.runpytest("test_cases.py", "-v")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(
        [
            "*test_cases.py::test_declared PASSED*",
            "*test_cases.py::TestItems::test_sum PASSED*",
            "*test_cases.py::TestItems::test_isolated PASSED*",
            "*test_cases.py::test_function PASSED*",
        ]
    )


def test_config_option_and_missing_config(
    project: pytest.Pytester, tmp_path: Path
) -> None:
    other = tmp_path / "elsewhere.yml"
    other.write_text(
        f"data_sources:\n  db:\n    url: duckdb:///{tmp_path / 'o.duckdb'}\n"
    )
    (project.path / "sqltest.yml").unlink()
    project.runpytest(
        "--sqltest-config", str(other), "orders.sqltest.yml"
    ).assert_outcomes(passed=2, failed=1)
    missing = project.runpytest("orders.sqltest.yml")
    missing.assert_outcomes(failed=3)
    missing.stdout.fnmatch_lines(
        ["*no sqltest config at *sqltest.yml: pass --sqltest-config*"]
    )


def test_runs_under_xdist(project: pytest.Pytester) -> None:
    # Two worker processes cannot share a DuckDB file: use the live PostgreSQL.
    require_server("PostgreSQL", POSTGRES_HOST, POSTGRES_PORT)
    (project.path / "sqltest.yml").write_text(
        f"data_sources:\n  db:\n    url: {PG_URL}\n"
    )
    result = project.runpytest_subprocess(
        "-n", "2", "orders.sqltest.yml", "test_cases.py"
    )
    result.assert_outcomes(passed=8, failed=1)
