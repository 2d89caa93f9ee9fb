"""Planted-defects tables on every engine, through the connector harnesses."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import AsyncIterator
from types import ModuleType

import pytest
from sqlglot import exp

from sqltest_core import Pool, open_pool

ENGINES = ["duckdb", "sqlite", "postgres", "mysql", "snowflake"]
HOSTILE = 'a"; drop table x; --'
BACKTICK = "b`; drop table x; --"


def harness(engine: str) -> ModuleType:
    return importlib.import_module(f"sqltest_core_tests.connectors.{engine}.harness")


def quote(name: str, engine: str) -> str:
    """A quoted identifier, written by hand (not by the code under test)."""
    if engine == "mysql":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def hostile_columns(engine: str) -> list[str]:
    return [HOSTILE, BACKTICK] if engine == "mysql" else [HOSTILE]


def planted_rows(engine: str) -> list[dict[str, object]]:
    """20 rows; the defects each test expects are listed in test_engines.py."""
    rows = []
    for i in range(1, 21):
        row: dict[str, object] = {
            "id": i,
            "code": None if i in (3, 7, 11) else f"c{i}",
            "status": ["new", "paid", "shipped"][i % 3],
            "amount": i * 3,
            "name": f"n{i}",
            "sku": f"ABC-{i:03d}",
            "day": dt.date(2024, 1, i),
            HOSTILE: None if i == 20 else i,
        }
        if engine == "mysql":
            row[BACKTICK] = None if i == 1 else i
        rows.append(row)
    rows[4]["status"], rows[8]["status"], rows[12]["status"] = "lost", "void", None
    for i, amount in (
        (2, -5),
        (4, 101),
        (6, 200),
        (8, -1),
        (10, None),
        (12, 0),
        (14, 100),
    ):
        rows[i - 1]["amount"] = amount
    rows[14]["name"], rows[15]["name"] = "abcdefghij", None
    rows[16]["sku"], rows[17]["sku"], rows[18]["sku"] = "ab-123", "XYZ123", None
    return rows


async def create_planted(pool: Pool, engine: str, table: str = "planted") -> None:
    text = "VARCHAR(50)"
    cols = [
        ("id", "INTEGER"),
        ("code", text),
        ("status", text),
        ("amount", "INTEGER"),
        ("name", text),
        ("sku", text),
        ("day", "DATE"),
    ]
    cols += [(quote(c, engine), "INTEGER") for c in hostile_columns(engine)]
    await pool.execute(
        f"CREATE TABLE {table} ({', '.join(f'{n} {t}' for n, t in cols)})"
    )
    values = ", ".join(
        "("
        + ", ".join(exp.convert(v).sql(dialect=pool.dialect) for v in row.values())
        + ")"
        for row in planted_rows(engine)
    )
    await pool.execute(f"INSERT INTO {table} VALUES {values}")


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def planted(engine: str) -> AsyncIterator[Pool]:
    async with harness(engine).scratch() as source, open_pool(source) as pool:
        await create_planted(pool, engine)
        yield pool
