"""Snowflake types become the documented Arrow types, values and NULLs intact.

The emulator tests go through the real driver's Arrow path; the unit tests below
them feed :func:`_conform` the Arrow shapes real Snowflake produces and the
emulator cannot (nanoseconds, session time zones, wide integers, typed OBJECTs).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pyarrow as pa
import pytest

from sqltest_core.connectors import collect
from sqltest_core.connectors.snowflake import (
    SnowflakeConnector,
    _arrow_type,
    _conform,
    _result_schema,
)
from sqltest_core.errors import QueryError
from sqltest_core_tests.connectors.snowflake.harness import scratch

UTC = dt.UTC

COLUMNS = """
    n NUMBER(10,2), n18 NUMBER(18,0), i INT, f FLOAT, v VARCHAR(20), b BOOLEAN,
    d DATE, tm TIME, ntz TIMESTAMP_NTZ, tz TIMESTAMP_TZ, ltz TIMESTAMP_LTZ,
    bin BINARY, var VARIANT, obj OBJECT, arr ARRAY
"""
VALUES = """
    SELECT 12345678.91, 123456789012345678, 42, 1.5, 'héllo', TRUE,
      '2024-02-29', '13:14:15.123456', '2024-02-29 13:14:15.123456',
      '2024-02-29T13:14:15.123456+02:00', '2024-02-29T13:14:15.123456+02:00',
      TO_BINARY('DEADBEEF', 'HEX'), PARSE_JSON('{"a": 1}'),
      OBJECT_CONSTRUCT('k', 'v'), ARRAY_CONSTRUCT(1, 2)
"""
EXPECTED_SCHEMA = pa.schema(
    [
        ("N", pa.decimal128(10, 2)),
        ("N18", pa.int64()),
        ("I", pa.decimal128(38, 0)),
        ("F", pa.float64()),
        ("V", pa.string()),
        ("B", pa.bool_()),
        ("D", pa.date32()),
        ("TM", pa.time64("us")),
        ("NTZ", pa.timestamp("us")),
        ("TZ", pa.timestamp("us", tz="UTC")),
        ("LTZ", pa.timestamp("us", tz="UTC")),
        ("BIN", pa.binary()),
        ("VAR", pa.string()),
        ("OBJ", pa.string()),
        ("ARR", pa.string()),
    ]
)
EXPECTED_VALUES = {
    "N": Decimal("12345678.91"),
    "N18": 123456789012345678,
    "I": Decimal(42),
    "F": 1.5,
    "V": "héllo",
    "B": True,
    "D": dt.date(2024, 2, 29),
    "TM": dt.time(13, 14, 15, 123456),
    "NTZ": dt.datetime(2024, 2, 29, 13, 14, 15, 123456),
    "TZ": dt.datetime(2024, 2, 29, 11, 14, 15, 123456, tzinfo=UTC),
    "LTZ": dt.datetime(2024, 2, 29, 11, 14, 15, 123456, tzinfo=UTC),
    "BIN": b"\xde\xad\xbe\xef",
}
JSON_VALUES = {"VAR": {"a": 1}, "OBJ": {"k": "v"}, "ARR": [1, 2]}
NULL_GAP = pytest.mark.xfail(
    strict=True, reason="fakesnow returns a NULL timestamp as 1970-01-01 00:00:00"
)


async def typed_table() -> pa.Table:
    async with scratch() as ds:
        conn = await SnowflakeConnector(ds).connect()
        try:
            await conn.execute(f"CREATE TABLE t ({COLUMNS})")
            await conn.execute(f"INSERT INTO t {VALUES}")
            await conn.execute("INSERT INTO t (n) VALUES (NULL)")
            return await collect(conn.stream("SELECT * FROM t ORDER BY n NULLS LAST"))
        finally:
            await conn.aclose()


async def test_every_type_has_its_documented_arrow_type_and_value() -> None:
    table = await typed_table()
    assert table.schema == EXPECTED_SCHEMA
    row = table.slice(0, 1).to_pylist()[0]
    assert {k: row[k] for k in EXPECTED_VALUES} == EXPECTED_VALUES
    # Semi-structured values are JSON text; compare the JSON, since real
    # Snowflake indents it and the emulator does not.
    assert {k: json.loads(row[k]) for k in JSON_VALUES} == JSON_VALUES


@pytest.mark.parametrize(
    "column",
    [
        pytest.param(f.name, marks=NULL_GAP)
        if f.name in ("NTZ", "TZ", "LTZ")
        else f.name
        for f in EXPECTED_SCHEMA
    ],
)
async def test_null_comes_back_as_null(column: str) -> None:
    table = await typed_table()
    assert table.column(column)[1].as_py() is None


async def test_bound_parameters_round_trip_with_server_side_binding() -> None:
    async with scratch() as ds:
        conn = await SnowflakeConnector(ds).connect()
        try:
            table = await collect(
                conn.stream(
                    "SELECT ? AS i, ? AS s, ? AS b, ? AS d, ? AS n",
                    (7, "it's ?", True, dt.date(2024, 1, 2), None),
                )
            )
        finally:
            await conn.aclose()
    # A ? inside a bound string stays text: values are never spliced into SQL.
    assert table.to_pylist() == [
        {"I": 7, "S": "it's ?", "B": True, "D": dt.date(2024, 1, 2), "N": None}
    ]


async def test_decimal_parameters_bind_and_round_trip() -> None:
    # The driver sends a Decimal as a FIXED binding holding "0.25"; fakesnow alone
    # answered that with HTTP 500, which the driver retried without end.
    async with scratch() as ds:
        conn = await SnowflakeConnector(ds).connect()
        try:
            await conn.execute("CREATE TABLE money (id INT, amount NUMBER(10,2))")
            for i, amount in enumerate(
                [Decimal("0.25"), Decimal("-12345678.9"), Decimal("1E+2"), Decimal(0)]
            ):
                assert (
                    await conn.execute("INSERT INTO money VALUES (?, ?)", (i, amount))
                    == 1
                )
            table = await collect(conn.stream("SELECT amount FROM money ORDER BY id"))
        finally:
            await conn.aclose()
    assert table.schema.field(0).type == pa.decimal128(10, 2)
    assert table.column(0).to_pylist() == [
        Decimal("0.25"),
        Decimal("-12345678.90"),
        Decimal("100.00"),
        Decimal("0.00"),
    ]


# -- unit tests: the mapping and the conversions real Snowflake needs ----------------


@pytest.mark.parametrize(
    ("name", "precision", "scale", "expected"),
    [
        ("FIXED", 18, 0, pa.int64()),
        ("FIXED", 1, 0, pa.int64()),
        ("FIXED", 19, 0, pa.decimal128(19, 0)),
        ("FIXED", 38, 0, pa.decimal128(38, 0)),
        ("FIXED", 12, 4, pa.decimal128(12, 4)),
        ("FIXED", None, None, pa.decimal128(38, 0)),
        ("REAL", None, None, pa.float64()),
        ("TEXT", None, None, pa.string()),
        ("BOOLEAN", None, None, pa.bool_()),
        ("DATE", None, None, pa.date32()),
        ("TIME", 0, 9, pa.time64("us")),
        ("TIMESTAMP_NTZ", 0, 9, pa.timestamp("us")),
        ("TIMESTAMP_LTZ", 0, 9, pa.timestamp("us", tz="UTC")),
        ("TIMESTAMP_TZ", 0, 9, pa.timestamp("us", tz="UTC")),
        ("BINARY", None, None, pa.binary()),
        ("VARIANT", None, None, pa.string()),
        ("OBJECT", None, None, pa.string()),
        ("ARRAY", None, None, pa.string()),
        ("GEOGRAPHY", None, None, pa.string()),
        ("VECTOR", None, None, pa.string()),
        ("INTERVAL_DAY_TIME", None, None, pa.duration("us")),
        ("INTERVAL_YEAR_MONTH", None, None, pa.month_day_nano_interval()),
        ("SOMETHING_NEW", None, None, pa.string()),
    ],
)
def test_type_mapping(
    name: str, precision: int | None, scale: int | None, expected: pa.DataType
) -> None:
    assert _arrow_type(name, precision, scale) == expected


def conform_one(array: pa.Array, target: pa.DataType) -> list[object]:
    batch = pa.RecordBatch.from_arrays([array], names=["X"])
    out = _conform(batch, pa.schema([("X", target)]))
    assert out.schema.field("X").type == target
    values: list[object] = out.column(0).to_pylist()
    return values


def test_nanosecond_timestamps_are_truncated_to_microseconds() -> None:
    ns = pa.array([1_709_212_455_123_456_789, None], type=pa.timestamp("ns"))
    assert conform_one(ns, pa.timestamp("us")) == [
        dt.datetime(2024, 2, 29, 13, 14, 15, 123456),
        None,
    ]


def test_session_time_zone_is_converted_keeping_the_instant() -> None:
    local = pa.array(
        [1_709_212_455_000_000_000], type=pa.timestamp("ns", tz="Europe/Berlin")
    )
    assert conform_one(local, pa.timestamp("us", tz="UTC")) == [
        dt.datetime(2024, 2, 29, 13, 14, 15, tzinfo=UTC)
    ]


def test_nanosecond_time_is_truncated_to_microseconds() -> None:
    t = pa.array([47_655_123_456_789], type=pa.time64("ns"))
    assert conform_one(t, pa.time64("us")) == [dt.time(13, 14, 15, 123456)]


def test_narrow_integer_batches_widen_to_the_column_type() -> None:
    # Snowflake sends each chunk in the narrowest integer type that fits it.
    assert conform_one(pa.array([1, None], pa.int8()), pa.decimal128(38, 0)) == [
        Decimal(1),
        None,
    ]
    assert conform_one(pa.array([300], pa.int16()), pa.int64()) == [300]


def test_wide_number_that_cannot_fit_is_a_query_error() -> None:
    wide = pa.array([Decimal(10**20)], type=pa.decimal128(38, 0))
    with pytest.raises(QueryError, match="cast wide integers to VARCHAR"):
        conform_one(wide, pa.int64())


def test_structured_object_and_vector_become_json_text() -> None:
    obj = pa.array(
        [{"a": 1, "b": "x"}, None],
        type=pa.struct([("a", pa.int64()), ("b", pa.string())]),
    )
    assert conform_one(obj, pa.string()) == ['{"a":1,"b":"x"}', None]
    vec = pa.array([[1.5, 2.0]], type=pa.list_(pa.float32(), 2))
    assert conform_one(vec, pa.string()) == ["[1.5,2.0]"]


def test_year_month_interval_counts_months() -> None:
    months = pa.array([14, None], pa.int64())
    assert conform_one(months, pa.month_day_nano_interval()) == [
        pa.MonthDayNano([14, 0, 0]),
        None,
    ]


def test_day_time_interval_becomes_microsecond_duration() -> None:
    ns = pa.array([90_000_000_123_456_789], pa.duration("ns"))
    assert conform_one(ns, pa.duration("us")) == [
        dt.timedelta(seconds=90_000_000, microseconds=123456)
    ]


def test_result_schema_uses_driver_metadata() -> None:
    from snowflake.connector.cursor import ResultMetadata

    meta = [
        ResultMetadata("A", 0, None, None, 10, 2, True),
        ResultMetadata("B", 8, None, None, 0, 9, True),
    ]
    assert _result_schema(meta) == pa.schema(
        [("A", pa.decimal128(10, 2)), ("B", pa.timestamp("us"))]
    )
