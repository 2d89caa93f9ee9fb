"""load_table on all five engines: exact round trips, transactions, temp tables.

Engines store some types differently; the read-back types are declared here,
per engine, and the values are then compared exactly:

- SQLite: every integer is int64, floats are float64 (SQLite has one of each).
- PostgreSQL: ``int8`` is ``SMALLINT`` (int16): PostgreSQL has no 1-byte integer.
- MySQL/MariaDB: booleans are ``TINYINT(1)`` (int8), ``TIME`` reads back as a
  duration, an aware timestamp is stored as UTC in ``DATETIME(6)`` (naive), and
  ``FLOAT`` travels as text with 6 significant digits (compared at 5e-6, half a unit in the 6th digit).
- Snowflake: every integer is ``NUMBER(38, 0)``, floats are ``DOUBLE``; the
  emulator (fakesnow) returns a NULL timestamp as 1970-01-01, so NULL timestamps
  are counted in SQL instead.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from sqltest_core import Pool
from sqltest_core.connectors import collect
from sqltest_core.errors import ConfigError, QueryError
from sqltest_core.rules._dialects import identifier, render, table
from sqltest_core.testing._generate import ColumnSpec, TableSpec, generate
from sqltest_core.testing._load import load_table
from sqltest_core_tests.testing.conftest import ENGINES, lowered

ROWS = 10_000
COLUMNS = (
    ColumnSpec("id", pa.int64(), nullable=False, unique=True),
    ColumnSpec("i8", pa.int8()),
    ColumnSpec("i16", pa.int16()),
    ColumnSpec("i32", pa.int32()),
    ColumnSpec("f32", pa.float32()),
    ColumnSpec("f64", pa.float64()),
    ColumnSpec("dec", pa.decimal128(12, 2)),
    ColumnSpec("s", pa.string(), length=(0, 20)),
    ColumnSpec("b", pa.bool_()),
    ColumnSpec("d", pa.date32()),
    ColumnSpec("ts", pa.timestamp("us")),
    ColumnSpec("tz", pa.timestamp("us", tz="UTC")),
    ColumnSpec("tm", pa.time64("us")),
)
DATA = generate([TableSpec("t", COLUMNS, ROWS)], seed=2024)["t"]
INT64 = pa.int64()
F64 = pa.float64()
READ_BACK: dict[str, dict[str, pa.DataType]] = {
    "duckdb": {},
    "sqlite": {"i8": INT64, "i16": INT64, "i32": INT64, "f32": F64},
    "postgres": {"i8": pa.int16()},
    "mysql": {"b": pa.int8(), "tz": pa.timestamp("us"), "tm": pa.duration("us")},
    "snowflake": {
        **{c: pa.decimal128(38, 0) for c in ("id", "i8", "i16", "i32")},
        "f32": F64,
    },
}
HOSTILE_TABLE = 'a"; drop table keep; --'
HOSTILE_COLUMNS = ['c"; drop table keep; --', "b`x", "p%s%%", "Mixed Case"]
HOSTILE_TEXT = [
    "'); drop table keep; --",
    "\\",
    "\\'",
    '"',
    "`",
    "%s",
    "\n\t",
    "é ∑ 🎉",
    "",
]


@pytest.fixture(
    params=[
        *ENGINES[:-1],
        # 10k rows through the emulator's per-value bindings take 15-40 s.
        pytest.param("snowflake", marks=pytest.mark.slow),
    ]
)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def ref(name: str, pool: Pool) -> str:
    return render(table(name, pool.dialect), pool.dialect)


def utc(arrow: pa.DataType) -> pa.DataType:
    """DuckDB names UTC after the session's zone database (``Etc/UTC``)."""
    if pa.types.is_timestamp(arrow) and arrow.tz == "Etc/UTC":
        return pa.timestamp(arrow.unit, tz="UTC")
    return arrow


async def count(pool: Pool, name: str) -> int:
    return int(await pool.scalar(f"SELECT COUNT(*) FROM {ref(name, pool)}"))


async def test_every_type_round_trips_exactly(pool: Pool, engine: str) -> None:
    assert await load_table(pool, "t", DATA) == ROWS
    back = lowered(await pool.fetch_arrow(f"SELECT * FROM {ref('t', pool)} ORDER BY 1"))
    expected = DATA.sort_by("id")
    declared = READ_BACK[engine]
    assert {f.name: utc(f.type) for f in back.schema} == {
        f.name: declared.get(f.name, f.type) for f in expected.schema
    }
    for name in expected.column_names:
        want = expected.column(name).combine_chunks()
        got = back.column(name).combine_chunks()
        if pa.types.is_duration(got.type):
            got = got.view(pa.int64()).view(want.type)
        if engine == "snowflake" and pa.types.is_timestamp(want.type):
            got = pc.if_else(want.is_null(), pa.nulls(len(want), got.type), got)
            nulls = await pool.scalar(
                f"SELECT COUNT(*) FROM {ref('t', pool)} WHERE {name} IS NULL"
            )
            assert nulls == want.null_count
        got = got.cast(want.type)
        if engine == "mysql" and name == "f32":
            assert got.is_null().equals(want.is_null())
            assert np.allclose(
                got.drop_null().to_numpy(), want.drop_null().to_numpy(), rtol=5e-6
            )
            continue
        assert got.equals(want), name


async def test_rolled_back_load_leaves_no_rows(pool: Pool) -> None:
    await load_table(pool, "t", DATA.slice(0, 0))
    async with pool.acquire() as conn:
        with pytest.raises(RuntimeError, match="roll back"):
            async with conn.transaction():
                part = DATA.slice(0, 1000)
                assert await load_table(conn, "t", part, create=False) == 1000
                n = await collect(
                    conn.stream(f"SELECT COUNT(*) AS n FROM {ref('t', pool)}")
                )
                assert n.column(0)[0].as_py() == 1000
                raise RuntimeError("roll back")
    assert await count(pool, "t") == 0


@pytest.mark.parametrize("engine", ["duckdb", "sqlite", "postgres"])
async def test_created_table_rolls_back_with_transactional_ddl(pool: Pool) -> None:
    async with pool.acquire() as conn:
        with pytest.raises(RuntimeError, match="roll back"):
            async with conn.transaction():
                await load_table(conn, "gone", DATA.slice(0, 10))
                raise RuntimeError("roll back")
    with pytest.raises(QueryError):
        await count(pool, "gone")


# Not on Snowflake: the emulator answers a constraint violation with HTTP 500,
# which the driver retries until its retry_timeout (a ConnectError, after 10 s).
@pytest.mark.parametrize("engine", ["duckdb", "sqlite", "postgres", "mysql"])
async def test_own_transaction_is_atomic(pool: Pool) -> None:
    # A NULL in a NOT NULL column, in the last row: nothing of the load remains.
    schema = pa.schema([pa.field("k", pa.int32(), nullable=False)])
    await load_table(
        pool, "strict", pa.table({"k": pa.array([], pa.int32())}, schema=schema)
    )
    bad = pa.table({"k": pa.array([*range(99), None], pa.int32())})
    with pytest.raises(QueryError):
        await load_table(pool, "strict", bad, create=False)
    assert await count(pool, "strict") == 0


async def test_temporary_table_lives_on_its_connection(pool: Pool) -> None:
    async with pool.acquire() as conn:
        assert await load_table(conn, "tmp", DATA.slice(0, 100), temporary=True) == 100
        n = await collect(conn.stream(f"SELECT COUNT(*) AS n FROM {ref('tmp', pool)}"))
        assert n.column(0)[0].as_py() == 100
        with pytest.raises(
            ConfigError, match="temporary table lives on one connection"
        ):
            await load_table(pool, "tmp2", DATA, temporary=True)


async def test_hostile_names_and_values_are_inert(pool: Pool, engine: str) -> None:
    await load_table(pool, "keep", pa.table({"k": [1]}))
    values = pa.array(HOSTILE_TEXT * 3, pa.string())
    data = pa.table(dict.fromkeys(HOSTILE_COLUMNS, values))
    assert await load_table(pool, HOSTILE_TABLE, data) == len(values)
    columns = ", ".join(
        render(identifier(c, pool.dialect), pool.dialect) for c in HOSTILE_COLUMNS
    )
    back = await pool.fetch_arrow(f"SELECT {columns} FROM {ref(HOSTILE_TABLE, pool)}")
    assert back.column_names == HOSTILE_COLUMNS
    for name in HOSTILE_COLUMNS:
        assert sorted(back.column(name).to_pylist()) == sorted(values.to_pylist())
    assert await count(pool, "keep") == 1


async def test_load_into_an_existing_table_fills_named_columns(pool: Pool) -> None:
    await pool.execute(
        f"CREATE TABLE {ref('existing', pool)} (a INT, b VARCHAR(10) DEFAULT 'dflt', c INT)"
    )
    data = pa.table(
        {"c": pa.array([3, None], pa.int32()), "a": pa.array([1, 2], pa.int32())}
    )
    assert await load_table(pool, "existing", data, create=False) == 2
    back = lowered(
        await pool.fetch_arrow(
            f"SELECT a, b, c FROM {ref('existing', pool)} ORDER BY a"
        )
    )
    assert back.to_pylist() == [
        {"a": 1, "b": "dflt", "c": 3},
        {"a": 2, "b": "dflt", "c": None},
    ]


async def test_bad_names_and_inputs_are_config_errors(pool: Pool) -> None:
    with pytest.raises(ConfigError, match="bad table name"):
        await load_table(pool, "a.b.c.d", DATA)
    with pytest.raises(ConfigError, match="no columns"):
        await load_table(pool, "t", pa.table({}))
    with pytest.raises(ConfigError, match="expected a pyarrow Table"):
        await load_table(pool, "t", [{"a": 1}])


@pytest.mark.parametrize("engine", ["sqlite", "postgres", "mysql"])
async def test_joins_a_transaction_begun_by_hand(pool: Pool) -> None:
    await load_table(pool, "t", DATA.slice(0, 0))
    async with pool.acquire() as conn:
        await conn.execute("BEGIN")
        assert await load_table(conn, "t", DATA.slice(0, 50), create=False) == 50
        await conn.execute("ROLLBACK")
    assert await count(pool, "t") == 0
