"""Every common MySQL/MariaDB type, read through both drivers into Arrow."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from sqltest_core.connectors import collect, open_pool
from sqltest_core.connectors.mysql import MySQLConnector

from .harness import scratch

DRIVERS = ["asyncmy", "aiomysql"]

TYPES = """
CREATE TABLE every_type (
    id INT PRIMARY KEY,
    i8 TINYINT, u8 TINYINT UNSIGNED, flag TINYINT(1),
    i16 SMALLINT, u16 SMALLINT UNSIGNED, i24 MEDIUMINT, u24 MEDIUMINT UNSIGNED,
    i32 INT, u32 INT UNSIGNED, i64 BIGINT, u64 BIGINT UNSIGNED,
    dec12 DECIMAL(12, 3), udec DECIMAL(10, 2) UNSIGNED, wide DECIMAL(50, 10),
    f32 FLOAT, f64 DOUBLE, bits BIT(10),
    ch CHAR(3), vc VARCHAR(20), txt TEXT, blb BLOB, vb VARBINARY(8), bn BINARY(2),
    day DATE, clock TIME(6), ts DATETIME(6), tstz TIMESTAMP(6) NULL DEFAULT NULL,
    yr YEAR, doc JSON, color ENUM('red', 'green'), tags SET('a', 'b', 'c')
)
"""
VALUES = """
INSERT INTO every_type VALUES (
    1, -128, 255, 1, -32768, 65535, -8388608, 16777215,
    -2147483648, 4294967295, -9223372036854775808, 18446744073709551615,
    -123456789.125, 99999999.99, 1234567890123456789012345678901234567890.0123456789,
    1.5, 2.25, b'1010101010',
    'abc', 'héllo wörld', 'long text', x'00FF', x'DEADBEEF', x'0102',
    '2026-11-28', '-838:59:59.000000', '2026-11-28 13:14:15.123456',
    '2026-11-28 15:14:15.5', 2026, '{"a": [1, 2]}', 'green', 'a,c'
)
"""
EXPECTED = {
    "id": (pa.int32(), 1),
    "i8": (pa.int8(), -128),
    "u8": (pa.uint8(), 255),
    "flag": (pa.int8(), 1),
    "i16": (pa.int16(), -32768),
    "u16": (pa.uint16(), 65535),
    "i24": (pa.int32(), -8388608),
    "u24": (pa.uint32(), 16777215),
    "i32": (pa.int32(), -2147483648),
    "u32": (pa.uint32(), 4294967295),
    "i64": (pa.int64(), -9223372036854775808),
    "u64": (pa.uint64(), 18446744073709551615),
    "dec12": (pa.decimal128(12, 3), Decimal("-123456789.125")),
    "udec": (pa.decimal128(10, 2), Decimal("99999999.99")),
    "wide": (
        pa.decimal256(50, 10),
        Decimal("1234567890123456789012345678901234567890.0123456789"),
    ),
    "f32": (pa.float32(), 1.5),
    "f64": (pa.float64(), 2.25),
    "bits": (pa.uint64(), 0b1010101010),
    "ch": (pa.string(), "abc"),
    "vc": (pa.string(), "héllo wörld"),
    "txt": (pa.string(), "long text"),
    "blb": (pa.binary(), b"\x00\xff"),
    "vb": (pa.binary(), b"\xde\xad\xbe\xef"),
    "bn": (pa.binary(), b"\x01\x02"),
    "day": (pa.date32(), dt.date(2026, 11, 28)),
    "clock": (pa.duration("us"), -dt.timedelta(hours=838, minutes=59, seconds=59)),
    "ts": (pa.timestamp("us"), dt.datetime(2026, 11, 28, 13, 14, 15, 123456)),
    # Written in a +02:00 session: the instant is 13:14:15.5 UTC.
    "tstz": (
        pa.timestamp("us", tz="UTC"),
        dt.datetime(2026, 11, 28, 13, 14, 15, 500000, tzinfo=dt.UTC),
    ),
    "yr": (pa.int16(), 2026),
    "doc": (pa.string(), '{"a": [1, 2]}'),
    "color": (pa.string(), "green"),
    "tags": (pa.string(), "a,c"),
}


@pytest.mark.parametrize("driver", DRIVERS)
async def test_every_type_maps_to_exact_arrow_types_values_and_nulls(
    driver: str,
) -> None:
    async with scratch(driver=driver) as source:
        conn = await MySQLConnector(source).connect()
        try:
            await conn.execute(TYPES)
            # Another session zone on the writing side shows the instant is kept.
            await conn.execute("SET time_zone = '+02:00'")
            await conn.execute(VALUES)
            await conn.execute("INSERT INTO every_type (id) VALUES (2)")
        finally:
            await conn.aclose()
        async with open_pool(source) as db:
            table = await db.fetch_arrow("SELECT * FROM every_type ORDER BY id")
    assert {f.name: f.type for f in table.schema} == {
        name: typ for name, (typ, _) in EXPECTED.items()
    }
    values, nulls = table.to_pylist()
    assert values == {name: value for name, (_, value) in EXPECTED.items()}
    assert nulls == {name: (2 if name == "id" else None) for name in EXPECTED}


@pytest.mark.parametrize("driver", DRIVERS)
async def test_time_is_a_duration_beyond_a_day_and_below_zero(driver: str) -> None:
    async with scratch(driver=driver) as source, open_pool(source) as db:
        table = await db.fetch_arrow(
            "SELECT CAST('838:59:59.5' AS TIME(1)) AS a,"
            " CAST('-00:00:01.25' AS TIME(2)) AS b, CAST('25:00:00' AS TIME) AS c"
        )
    assert table.schema.types == [pa.duration("us")] * 3
    assert table.to_pylist() == [
        {
            "a": dt.timedelta(hours=838, minutes=59, seconds=59.5),
            "b": -dt.timedelta(seconds=1.25),
            "c": dt.timedelta(hours=25),
        }
    ]


@pytest.mark.parametrize("driver", DRIVERS)
async def test_zero_dates_read_as_null(driver: str) -> None:
    async with scratch(driver=driver) as source, open_pool(source) as db:
        async with db.acquire() as conn:
            await conn.execute("SET SESSION sql_mode = ''")
            await conn.execute("CREATE TABLE z (d DATE, t DATETIME)")
            await conn.execute(
                "INSERT INTO z VALUES ('0000-00-00', '0000-00-00 00:00:00'),"
                " ('2026-01-02', '2026-01-02 03:04:05')"
            )
            table = await collect(conn.stream("SELECT d, t FROM z ORDER BY d"))
    assert table.to_pylist() == [
        {"d": None, "t": None},
        {"d": dt.date(2026, 1, 2), "t": dt.datetime(2026, 1, 2, 3, 4, 5)},
    ]


async def test_expressions_get_types_from_their_descriptors() -> None:
    async with scratch() as source, open_pool(source) as db:
        table = await db.fetch_arrow(
            "SELECT NULL AS nothing, 1.50 AS lit, COUNT(*) AS n,"
            " CAST(-1 AS UNSIGNED) AS big, UTC_TIMESTAMP() = NOW() AS utc_session"
        )
    assert table.schema.field("nothing").type == pa.null()
    assert table.schema.field("lit").type == pa.decimal128(3, 2)
    assert table.schema.field("n").type == pa.int64()
    assert table.schema.field("big").type == pa.uint64()
    assert table.to_pylist() == [
        {
            "nothing": None,
            "lit": Decimal("1.50"),
            "n": 1,
            "big": 18446744073709551615,
            "utc_session": 1,
        }
    ]
