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


NOW = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
RECENT = NOW - dt.timedelta(hours=20)
"""Far enough back to be past in any session time zone, yet within 24 h."""
FUTURE = dt.datetime(2999, 1, 1)


def _uuid(i: int) -> str:
    return f"{i:08x}-0000-4000-8000-{i:012x}"


def fact_rows() -> list[dict[str, object]]:
    """20 rows for the aggregate, format, time, unique and relationship kinds."""
    rows: list[dict[str, object]] = []
    for i in range(1, 21):
        rows.append(
            {
                "id": i,
                "score": None if i in (5, 10) else i * 2,
                "grp": None if i == 1 else i % 4,
                "email": f"user.{i}+x@mail-{i}.example.com",
                "uid": _uuid(i),
                "iso": f"2024-01-{i:02d}",
                "url": f"https://example.com/p/{i}?q=1#top",
                "ts": None if i == 20 else dt.datetime(2024, 1, i, 12, 0),
                "code": None if i in (7, 8) else f"k{i}",
                "region": f"r{i % 2}",
                "num": i,
                "parent_id": i % 10 + 1,
            }
        )
    for i, email in ((3, "no-at-sign.com"), (4, "a@b"), (6, None), (8, "x y@a.com")):
        rows[i - 1]["email"] = email
    rows[1]["uid"], rows[8]["uid"] = "not-a-uuid", _uuid(9).replace("9", "g")
    rows[10]["uid"] = _uuid(11).upper()
    for i, iso in ((12, "2024-13-01"), (13, "2024/01/13"), (14, "24-01-14")):
        rows[i - 1]["iso"] = iso
    for i, url in (
        (15, "ftp://example.com"),
        (16, "http//broken"),
        (17, "https://exa mple.com"),
        (18, "http://localhost:8080"),
    ):
        rows[i - 1]["url"] = url
    rows[16]["ts"], rows[17]["ts"], rows[18]["ts"] = RECENT, FUTURE, FUTURE
    rows[1]["code"] = rows[2]["code"] = "dup1"
    rows[3]["code"] = rows[4]["code"] = rows[5]["code"] = "dup2"
    for i in (10, 11, 12, 13):
        rows[i - 1]["num"] = 100
    rows[13]["num"] = rows[15]["num"] = None
    rows[4]["region"] = "rX"
    rows[2]["parent_id"], rows[6]["parent_id"] = 42, 99
    rows[8]["parent_id"] = rows[18]["parent_id"] = None
    return rows


async def create_facts(pool: Pool, engine: str) -> None:
    """``facts`` (see :func:`fact_rows`) and ``parents`` (ids 1-10, id 1 twice)."""
    text = "VARCHAR(60)"
    stamp = "DATETIME" if engine == "mysql" else "TIMESTAMP"
    types = {"id": "INTEGER", "score": "INTEGER", "grp": "INTEGER", "ts": stamp}
    types |= {"num": "INTEGER", "parent_id": "INTEGER"}
    rows = fact_rows()
    cols = ", ".join(f"{name} {types.get(name, text)}" for name in rows[0])
    await pool.execute(f"CREATE TABLE facts ({cols})")
    await pool.execute(f"INSERT INTO facts VALUES {_values(pool, rows)}")
    await pool.execute(f"CREATE TABLE parents (id INTEGER, region {text})")
    parents = [{"id": i, "region": f"r{(i - 1) % 2}"} for i in (*range(1, 11), 1)]
    await pool.execute(f"INSERT INTO parents VALUES {_values(pool, parents)}")


def _values(pool: Pool, rows: list[dict[str, object]]) -> str:
    return ", ".join(
        "("
        + ", ".join(exp.convert(v).sql(dialect=pool.dialect) for v in row.values())
        + ")"
        for row in rows
    )


@pytest.fixture
async def facts(engine: str) -> AsyncIterator[Pool]:
    async with harness(engine).scratch() as source, open_pool(source) as pool:
        await create_facts(pool, engine)
        yield pool
