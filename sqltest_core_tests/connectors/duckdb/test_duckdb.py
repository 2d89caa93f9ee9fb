"""DuckDB specifics: type mapping, shared in-memory database, file options."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from sqltest_core import ConnectError, open_pool

TYPES = """
create table every_type (
    i8 tinyint, i16 smallint, i32 integer, i64 bigint, u64 ubigint, huge hugeint,
    dec decimal(12, 3), f32 real, f64 double, txt varchar, flag boolean,
    day date, clock time, ts timestamp, tstz timestamptz, span interval,
    raw blob, id uuid, doc json, tags varchar[]
)
"""
VALUES = """
insert into every_type values (
    -8, -16, -32, -64, 18446744073709551615, 170141183460469231731687303715884105727,
    123456789.123, 1.5, 2.25, 'héllo', true,
    date '2026-11-28', time '13:14:15.123456', timestamp '2026-11-28 13:14:15.123456',
    timestamptz '2026-11-28 13:14:15.5+02', interval '1 month 2 days 3 seconds',
    '\\x00\\xFF'::blob, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2]}', ['x', 'y']
)
"""
EXPECTED_TYPES = {
    "i8": pa.int8(),
    "i16": pa.int16(),
    "i32": pa.int32(),
    "i64": pa.int64(),
    "u64": pa.uint64(),
    "huge": pa.decimal128(38, 0),
    "dec": pa.decimal128(12, 3),
    "f32": pa.float32(),
    "f64": pa.float64(),
    "txt": pa.string(),
    "flag": pa.bool_(),
    "day": pa.date32(),
    "clock": pa.time64("us"),
    "ts": pa.timestamp("us"),
    "tstz": pa.timestamp("us", tz="Etc/UTC"),  # the session zone; no ICU: UTC
    "span": pa.month_day_nano_interval(),
    "raw": pa.binary(),
    "id": pa.string(),
    "doc": pa.string(),
    "tags": pa.list_(pa.string()),
}


async def test_every_type_maps_to_arrow_with_values_and_nulls() -> None:
    async with open_pool("duckdb://:memory:") as db:
        await db.execute(TYPES)
        await db.execute(VALUES)
        await db.execute("insert into every_type default values")
        table = await db.fetch_arrow("select * from every_type")
    got = {f.name: f.type for f in table.schema}
    for name, expected in EXPECTED_TYPES.items():
        assert got[name] == expected or (name == "id" and "uuid" in str(got[name])), (
            name
        )
    values, nulls = table.to_pylist()
    assert all(v is None for v in nulls.values())
    assert values["u64"] == 18446744073709551615
    assert values["huge"] == Decimal("170141183460469231731687303715884105727")
    assert values["dec"] == Decimal("123456789.123")
    assert values["txt"] == "héllo"
    assert values["day"] == dt.date(2026, 11, 28)
    assert values["clock"] == dt.time(13, 14, 15, 123456)
    assert values["ts"] == dt.datetime(2026, 11, 28, 13, 14, 15, 123456)
    assert values["tstz"] == dt.datetime(
        2026, 11, 28, 11, 14, 15, 500000, tzinfo=dt.UTC
    )
    assert (values["span"].months, values["span"].days, values["span"].nanoseconds) == (
        1,
        2,
        3_000_000_000,
    )
    assert values["raw"] == b"\x00\xff"
    assert str(values["id"]) in (
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        str(uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").bytes),
    )
    assert values["doc"] == '{"a": [1, 2]}'
    assert values["tags"] == ["x", "y"]


async def test_pooled_memory_connections_share_one_database() -> None:
    async with open_pool(
        "duckdb://:memory:", pool={"min_size": 3, "max_size": 3}
    ) as db:
        async with db.acquire() as a, db.acquire() as b:
            assert a is not b
            await a.execute("create table shared (x int)")
            await a.execute("insert into shared values (1)")
            assert await b.execute("insert into shared values (2)") == 1
        assert await db.scalar("select sum(x) from shared") == 3


async def test_file_database_persists_and_opens_read_only(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    async with open_pool(f"duckdb:///{path}") as db:
        await db.execute("create table t as select * from range(5) r(i)")
    async with open_pool(f"duckdb:///{path}?read_only=true") as db:
        assert await db.scalar("select count(*) from t") == 5
        with pytest.raises(Exception, match="read-only"):
            await db.execute("insert into t values (9)")


async def test_unopenable_file_is_a_connect_error(tmp_path: Path) -> None:
    async with open_pool(
        f"duckdb:///{tmp_path}/missing/dir/x.duckdb",
        pool={"min_size": 0},
        retry={"attempts": 1},
    ) as db:
        with pytest.raises(ConnectError, match="cannot open DuckDB database"):
            await db.scalar("select 1")


async def test_execute_reports_affected_rows() -> None:
    async with open_pool("duckdb://:memory:") as db:
        await db.execute("create table t (x int)")
        assert await db.execute("insert into t select * from range(7)") == 7
        assert await db.execute("update t set x = x + 1 where x < 3") == 3
        assert await db.execute("delete from t") == 7
