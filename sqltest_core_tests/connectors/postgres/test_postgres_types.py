"""Every common PostgreSQL type maps to one exact Arrow type, on both paths."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from decimal import Decimal

import pyarrow as pa
import pytest

from sqltest_core.connectors import collect
from sqltest_core.connectors.postgres import PostgresConnection

UUID = uuid.UUID("12345678-1234-5678-1234-567812345678")

# column name, SQL type, SQL literal, Arrow type, Python value of the literal.
TYPES: list[tuple[str, str, str, pa.DataType, object]] = [
    ("c_smallint", "smallint", "-32768", pa.int16(), -32768),
    ("c_integer", "integer", "2147483647", pa.int32(), 2147483647),
    ("c_bigint", "bigint", "-9223372036854775808", pa.int64(), -(2**63)),
    (
        "c_numeric",
        "numeric(12,2)",
        "1234567890.12",
        pa.decimal128(12, 2),
        Decimal("1234567890.12"),
    ),
    (
        "c_numeric_free",
        "numeric",
        "3.14159265358979323846",
        pa.decimal128(38, 10),
        Decimal("3.1415926536"),
    ),
    (
        "c_numeric_wide",
        "numeric(50,5)",
        "123456789012345678901234567890123456789012345.67891",
        pa.decimal256(50, 5),
        Decimal("123456789012345678901234567890123456789012345.67891"),
    ),
    ("c_real", "real", "1.1", pa.float32(), 1.100000023841858),
    ("c_double", "double precision", "0.1", pa.float64(), 0.1),
    (
        "c_text",
        "text",
        "E'tab\\there\\nnew \\\\ back ''q'' \"dq\" é😀'",
        pa.string(),
        "tab\there\nnew \\ back 'q' \"dq\" é😀",
    ),
    ("c_varchar", "varchar(10)", "'abc'", pa.string(), "abc"),
    ("c_char", "char(5)", "'ab'", pa.string(), "ab   "),
    ("c_bool", "boolean", "true", pa.bool_(), True),
    ("c_date", "date", "'2024-02-29'", pa.date32(), dt.date(2024, 2, 29)),
    (
        "c_time",
        "time",
        "'13:14:15.123456'",
        pa.time64("us"),
        dt.time(13, 14, 15, 123456),
    ),
    ("c_timetz", "timetz", "'13:14:15.5+02'", pa.string(), "13:14:15.5+02"),
    (
        "c_timestamp",
        "timestamp",
        "'2024-02-29 13:14:15.123456'",
        pa.timestamp("us"),
        dt.datetime(2024, 2, 29, 13, 14, 15, 123456),
    ),
    (
        "c_timestamptz",
        "timestamptz",
        "'2024-02-29 13:14:15.123456+02'",
        pa.timestamp("us", tz="UTC"),
        dt.datetime(2024, 2, 29, 11, 14, 15, 123456, tzinfo=dt.UTC),
    ),
    (
        "c_interval",
        "interval",
        "'1 year 2 months -3 days 04:05:06.789'",
        pa.month_day_nano_interval(),
        pa.MonthDayNano([14, -3, (4 * 3600 + 5 * 60 + 6) * 10**9 + 789 * 10**6]),
    ),
    ("c_bytea", "bytea", "'\\x005c0aff'", pa.binary(), b"\x00\\\n\xff"),
    ("c_json", "json", "'{\"a\": [1, 2]}'", pa.string(), '{"a": [1, 2]}'),
    (
        "c_jsonb",
        "jsonb",
        '\'{"b": 1, "a": "x\\\\y"}\'',
        pa.string(),
        '{"a": "x\\\\y", "b": 1}',
    ),
    ("c_uuid", "uuid", f"'{UUID}'", pa.string(), str(UUID)),
    ("c_int_array", "integer[]", "'{1,NULL,3}'", pa.list_(pa.int32()), [1, None, 3]),
    (
        "c_text_array",
        "text[]",
        "ARRAY['a', 'b\"c', NULL, E'd\\\\e']",
        pa.list_(pa.string()),
        ["a", 'b"c', None, "d\\e"],
    ),
    (
        "c_numeric_array",
        "numeric(6,2)[]",
        "'{1.5,2.25}'",
        pa.list_(pa.decimal128(6, 2)),
        [Decimal("1.50"), Decimal("2.25")],
    ),
    ("c_inet", "inet", "'192.168.0.1/24'", pa.string(), "192.168.0.1/24"),
    ("c_mood", "mood", "'happy'", pa.string(), "happy"),
    ("c_oid", "oid", "4000000000", pa.uint32(), 4000000000),
]


@pytest.fixture
async def typed(conn: PostgresConnection) -> PostgresConnection:
    await conn.execute("CREATE TYPE mood AS ENUM ('sad', 'happy')")
    columns = ", ".join(f"{name} {sqltype}" for name, sqltype, *_ in TYPES)
    await conn.execute(f"CREATE TABLE all_types (id integer PRIMARY KEY, {columns})")
    names = ", ".join(name for name, *_ in TYPES)
    literals = ", ".join(literal for _, _, literal, *_ in TYPES)
    await conn.execute(f"INSERT INTO all_types (id, {names}) VALUES (1, {literals})")
    await conn.execute("INSERT INTO all_types (id) VALUES (2)")
    return conn


EXPECTED_SCHEMA = pa.schema(
    [("id", pa.int32())] + [(name, arrow) for name, _, _, arrow, _ in TYPES]
)


def _check(table: pa.Table) -> None:
    assert table.schema == EXPECTED_SCHEMA
    rows = table.to_pylist()
    assert [r["id"] for r in rows] == [1, 2]
    for name, _, _, _, value in TYPES:
        assert rows[0][name] == value, name
        assert rows[1][name] is None, name


async def test_copy_path_maps_every_type_exactly(typed: PostgresConnection) -> None:
    _check(await collect(typed.stream("SELECT * FROM all_types ORDER BY id")))


async def test_record_path_gives_the_same_types_and_values(
    typed: PostgresConnection,
) -> None:
    # UPDATE ... RETURNING cannot run inside COPY (SELECT ...): asyncpg records.
    table = await collect(
        typed.stream("UPDATE all_types SET id = id RETURNING *", batch_size=1)
    )
    _check(table.sort_by("id"))


async def test_timestamptz_keeps_the_instant_in_any_session_time_zone(
    conn: PostgresConnection,
) -> None:
    await conn.execute("SET TIME ZONE 'America/St_Johns'")  # UTC-03:30 in winter
    table = await collect(
        conn.stream(
            "SELECT timestamptz '2024-01-01 00:00:00+00' AS t,"
            " timestamp '2024-01-01 00:00:00' AS naive"
        )
    )
    assert table.to_pylist() == [
        {
            "t": dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
            "naive": dt.datetime(2024, 1, 1),
        }
    ]


async def test_special_floats_and_empty_strings_survive(
    conn: PostgresConnection,
) -> None:
    table = await collect(
        conn.stream(
            "SELECT x, '' AS empty, NULL::text AS nothing FROM unnest("
            "ARRAY['NaN', 'Infinity', '-Infinity', '-0']::float8[]) AS x"
        )
    )
    xs = table.column("x").to_pylist()
    assert math.isnan(xs[0]) and xs[1:3] == [math.inf, -math.inf]
    assert math.copysign(1, xs[3]) == -1
    assert table.column("empty").to_pylist() == [""] * 4
    assert table.column("nothing").to_pylist() == [None] * 4


async def test_single_text_column_of_empty_strings_keeps_every_row(
    conn: PostgresConnection,
) -> None:
    table = await collect(
        conn.stream(
            "SELECT CASE WHEN i % 2 = 0 THEN '' END AS s FROM generate_series(1, 4) i"
        )
    )
    assert table.column("s").to_pylist() == [None, "", None, ""]


async def test_unconstrained_numeric_rounds_to_ten_places_on_both_paths(
    conn: PostgresConnection,
) -> None:
    sql = "SELECT 2::numeric / 3 AS n, 1e20::numeric AS big, avg(x) AS mean FROM (VALUES (1), (2)) v(x)"
    copied = await collect(conn.stream(sql))
    recorded = await collect(conn.stream(f"EXPLAIN (COSTS OFF) {sql}"))
    assert recorded.schema == pa.schema([("QUERY PLAN", pa.string())])
    expected = {
        "n": [Decimal("0.6666666667")],
        "big": [Decimal("100000000000000000000.0000000000")],
        "mean": [Decimal("1.5000000000")],
    }
    assert copied.to_pydict() == expected
    await conn.execute("CREATE TABLE nums (n numeric)")
    returned = await collect(
        conn.stream("INSERT INTO nums VALUES (2::numeric / 3) RETURNING n")
    )
    assert returned.to_pydict() == {"n": [Decimal("0.6666666667")]}


async def test_statement_without_result_columns_yields_an_empty_batch(
    conn: PostgresConnection,
) -> None:
    batches = [b async for b in conn.stream("CREATE TABLE made_by_stream (i int)")]
    assert len(batches) == 1 and batches[0].num_rows == 0
    assert batches[0].schema == pa.schema([])
    assert await conn.execute("INSERT INTO made_by_stream VALUES (1), (2)") == 2


async def test_void_column_is_null_typed(conn: PostgresConnection) -> None:
    table = await collect(conn.stream("SELECT pg_sleep(0) AS slept, 1 AS one"))
    assert table.schema == pa.schema([("slept", pa.null()), ("one", pa.int32())])
    assert table.to_pylist() == [{"slept": None, "one": 1}]


async def test_domain_and_cast_typmods_reach_the_decimal_type(
    conn: PostgresConnection,
) -> None:
    await conn.execute("CREATE DOMAIN money2 AS numeric(8,2)")
    table = await collect(
        conn.stream("SELECT 1.5::money2 AS m, 2.5::numeric(4,1) AS c, 3 AS i")
    )
    assert table.schema.field("m").type == pa.decimal128(8, 2)
    assert table.schema.field("c").type == pa.decimal128(4, 1)
    assert table.to_pylist() == [{"m": Decimal("1.50"), "c": Decimal("2.5"), "i": 3}]


async def test_infinite_timestamp_is_a_clear_query_error(
    conn: PostgresConnection,
) -> None:
    from sqltest_core import QueryError

    with pytest.raises(QueryError, match="cannot convert the result to Arrow"):
        await collect(conn.stream("SELECT 'infinity'::timestamp AS t"))
    assert (await collect(conn.stream("SELECT 1 AS ok"))).to_pylist() == [{"ok": 1}]
