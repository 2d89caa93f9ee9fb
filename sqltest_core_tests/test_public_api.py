from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import sqltest_core

PACKAGES = [
    "sqltest_core",
    "sqltest_core.config",
    "sqltest_core.connectors",
    "sqltest_core.resilience",
    "sqltest_core.cache",
    "sqltest_core.errors",
    "sqltest_core.results",
    "sqltest_core.rules",
    "sqltest_core.scheduler",
    "sqltest_core.reporting",
    "sqltest_core.testing",
    "sqltest_core.delivery",
    "sqltest_core.history",
    "sqltest_core.cli",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_exist_and_are_sorted(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert exported == sorted(
        exported, key=lambda n: (not n.isupper(), n)
    ) or exported == sorted(exported)
    for attr in exported:
        assert hasattr(module, attr), f"{name}.{attr}"


def test_every_error_derives_from_the_one_base() -> None:
    from sqltest_core import errors

    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.SqltestError)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_import_is_light_and_needs_no_driver() -> None:
    code = (
        "import sys\n"
        "for m in ('asyncpg', 'aiomysql', 'asyncmy', 'snowflake', 'snowflake.connector'):\n"
        "    sys.modules[m] = None  # as if not installed\n"
        "import sqltest_core\n"
        "heavy = [m for m in ('pyarrow', 'polars', 'duckdb', 'sqlglot', 'yaml',\n"
        "    'structlog', 'sqltest_core.delivery', 'sqltest_core.reporting')\n"
        "    if sys.modules.get(m)]\n"
        "print(heavy)\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("url", "extra"),
    [
        ("postgresql://u@127.0.0.1/test", "postgres"),
        ("mysql://root@127.0.0.1/test", "mysql"),
        ("snowflake://u:p@acct/db", "snowflake"),
    ],
)
def test_missing_driver_names_the_extra(url: str, extra: str) -> None:
    code = (
        "import sys, anyio\n"
        "for m in ('asyncpg', 'aiomysql', 'asyncmy', 'snowflake', 'snowflake.connector'):\n"
        "    sys.modules[m] = None\n"
        "import sqltest_core\n"
        "async def main():\n"
        f"    async with sqltest_core.open_pool({url!r}, retry={{'attempts': 1}}) as p:\n"
        "        pass\n"
        "try:\n"
        "    anyio.run(main)\n"
        "except sqltest_core.MissingDriver as e:\n"
        "    print(e)\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert f'pip install "sqltest_core[{extra}]"' in result.stdout


def test_version_is_exposed() -> None:
    assert sqltest_core.__version__
