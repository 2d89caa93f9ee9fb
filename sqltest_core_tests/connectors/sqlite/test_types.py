"""SQLite values as Arrow: declared types, inference, and values that do not fit."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pyarrow as pa
import pytest

from sqltest_core import QueryError
from sqltest_core.connectors import collect
from sqltest_core.connectors.sqlite import SQLiteConnection

EVERY_TYPE = """
create table every_type (
    i integer, big bigint, r real, dbl double precision, t text, v varchar(20),
    b blob, n numeric(10, 2), wide decimal(40, 5), free numeric, flag boolean,
    d date, dtm datetime, ts timestamp, tstz timestamptz, clock time, doc json,
    id uuid, anything
)
"""
VALUES = """
insert into every_type values (
    -42, 9223372036854775807, 1.5, 2.25, 'héllo', 'short', x'00ff', 12345678.9,
    12345678901234.5, 7, true, '2026-11-28',
    '2026-11-28 13:14:15', '2026-11-28T13:14:15.123456', '2026-11-28 13:14:15.5+02:00',
    '13:14:15.25', '{"a": [1, 2]}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'free text'
)
"""
EXPECTED_TYPES = {
    "i": pa.int64(),
    "big": pa.int64(),
    "r": pa.float64(),
    "dbl": pa.float64(),
    "t": pa.string(),
    "v": pa.string(),
    "b": pa.binary(),
    "n": pa.decimal128(10, 2),
    "wide": pa.decimal256(40, 5),
    "free": pa.float64(),
    "flag": pa.bool_(),
    "d": pa.date32(),
    "dtm": pa.timestamp("us"),
    "ts": pa.timestamp("us"),
    "tstz": pa.timestamp("us", tz="UTC"),
    "clock": pa.time64("us"),
    "doc": pa.string(),
    "id": pa.string(),
    "anything": pa.string(),  # no declared type: typed by its values
}


async def _table(
    conn: SQLiteConnection,
    sql: str,
    params: list[object] | None = None,
    **kwargs: object,
) -> pa.Table:
    return await collect(conn.stream(sql, params or [], **kwargs))  # type: ignore[arg-type]


async def test_every_type_maps_to_arrow_with_values_and_nulls(
    conn: SQLiteConnection,
) -> None:
    await conn.execute(EVERY_TYPE)
    await conn.execute(VALUES)
    await conn.execute("insert into every_type default values")
    table = await _table(conn, "select * from every_type order by i is null")
    assert {f.name: f.type for f in table.schema} == EXPECTED_TYPES
    values, nulls = table.to_pylist()
    assert all(v is None for v in nulls.values())
    assert values == {
        "i": -42,
        "big": 9223372036854775807,
        "r": 1.5,
        "dbl": 2.25,
        "t": "héllo",
        "v": "short",
        "b": b"\x00\xff",
        "n": Decimal("12345678.90"),
        "wide": Decimal("12345678901234.50000"),
        "free": 7.0,
        "flag": True,
        "d": dt.date(2026, 11, 28),
        "dtm": dt.datetime(2026, 11, 28, 13, 14, 15),
        "ts": dt.datetime(2026, 11, 28, 13, 14, 15, 123456),
        "tstz": dt.datetime(2026, 11, 28, 11, 14, 15, 500000, tzinfo=dt.UTC),
        "clock": dt.time(13, 14, 15, 250000),
        "doc": '{"a": [1, 2]}',
        "id": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "anything": "free text",
    }


async def test_a_batch_of_only_nulls_keeps_the_declared_types(
    conn: SQLiteConnection,
) -> None:
    await conn.execute(EVERY_TYPE)
    await conn.execute("insert into every_type default values")
    table = await _table(conn, "select * from every_type")
    expected = {**EXPECTED_TYPES, "anything": pa.null()}  # nothing to infer from
    assert {f.name: f.type for f in table.schema} == expected


async def test_empty_result_has_declared_types(conn: SQLiteConnection) -> None:
    await conn.execute(EVERY_TYPE)
    table = await _table(conn, "select d, n, 1 + 1 as expr from every_type")
    assert table.num_rows == 0
    assert table.schema == pa.schema(
        [("d", pa.date32()), ("n", pa.decimal128(10, 2)), ("expr", pa.null())]
    )


async def test_expressions_are_typed_by_their_values(conn: SQLiteConnection) -> None:
    table = await _table(
        conn,
        "select 1 as i, 1.5 as r, 'x' as t, x'01' as b, null as n, 2 * 3 as e,"
        " count(*) over () as w",
    )
    assert table.schema == pa.schema(
        [
            ("i", pa.int64()),
            ("r", pa.float64()),
            ("t", pa.string()),
            ("b", pa.binary()),
            ("n", pa.null()),
            ("e", pa.int64()),
            ("w", pa.int64()),
        ]
    )
    assert table.to_pylist() == [
        {"i": 1, "r": 1.5, "t": "x", "b": b"\x01", "n": None, "e": 6, "w": 1}
    ]


async def test_declared_types_survive_bound_parameters(conn: SQLiteConnection) -> None:
    await conn.execute("create table t (id integer, d date, amount numeric(8, 2))")
    await conn.execute("insert into t values (1, '2026-01-02', 3.5)")
    table = await _table(
        conn,
        "select d, amount, '?' as q from t where id = ? and d > ?",
        [1, dt.date(2026, 1, 1)],
    )
    assert table.schema.field("d").type == pa.date32()
    assert table.schema.field("amount").type == pa.decimal128(8, 2)
    assert table.to_pylist() == [
        {"d": dt.date(2026, 1, 2), "amount": Decimal("3.50"), "q": "?"}
    ]


async def test_schema_is_the_same_in_every_batch(conn: SQLiteConnection) -> None:
    await conn.execute("create table t (x integer, note text, at datetime)")
    await conn.execute(
        "insert into t values (1, null, null), (2, null, null), (3, 'c', '2026-01-01'),"
        " (4, 'd', '2026-01-02 03:04'), (5, null, null)"
    )
    batches = [
        b
        async for b in conn.stream(
            "select x, note, at, x * 2 as y from t", batch_size=2
        )
    ]
    assert [b.num_rows for b in batches] == [2, 2, 1]
    assert len({b.schema for b in batches}) == 1
    assert batches[0].schema == pa.schema(
        [
            ("x", pa.int64()),
            ("note", pa.string()),
            ("at", pa.timestamp("us")),
            ("y", pa.int64()),
        ]
    )
    assert pa.Table.from_batches(batches).column("at").to_pylist() == [
        None,
        None,
        dt.datetime(2026, 1, 1),
        dt.datetime(2026, 1, 2, 3, 4),
        None,
    ]


async def test_exact_multiple_of_batch_size_has_no_trailing_empty_batch(
    conn: SQLiteConnection,
) -> None:
    sql = "select value from json_each('[1, 2, 3, 4]')"
    assert [b.num_rows async for b in conn.stream(sql, batch_size=2)] == [2, 2]


async def test_a_statement_without_rows_streams_one_empty_batch(
    conn: SQLiteConnection,
) -> None:
    batches = [b async for b in conn.stream("create table t (x integer)")]
    assert len(batches) == 1
    assert batches[0].num_rows == 0 and batches[0].num_columns == 0


async def test_insert_returning_is_typed_by_values(conn: SQLiteConnection) -> None:
    await conn.execute("create table t (id integer primary key, label text)")
    table = await _table(
        conn, "insert into t (label) values ('a'), ('b') returning id, label"
    )
    assert table.to_pylist() == [{"id": 1, "label": "a"}, {"id": 2, "label": "b"}]


# -- values that do not fit their declared type -------------------------------------


async def test_text_in_an_integer_column_is_a_clear_error(
    conn: SQLiteConnection,
) -> None:
    await conn.execute("create table t (qty integer)")
    await conn.execute("insert into t values (1), ('n/a')")
    with pytest.raises(QueryError) as info:
        await _table(conn, "select qty from t order by rowid")
    message = str(info.value)
    assert "'qty' (declared INTEGER) holds a TEXT value in row 2" in message
    assert 'CAST("qty" AS TEXT)' in message
    assert "n/a" not in message  # data stays out of messages
    assert not info.value.transient
    # The suggested workaround: a cast has no declared type, so the values decide.
    table = await _table(conn, "select cast(qty as text) as qty from t order by rowid")
    assert table.to_pylist() == [{"qty": "1"}, {"qty": "n/a"}]
    table = await _table(conn, "select qty from t where typeof(qty) = 'integer'")
    assert table.to_pylist() == [{"qty": 1}]


async def test_later_batch_that_does_not_fit_the_first_batchs_type(
    conn: SQLiteConnection,
) -> None:
    sql = (
        "select case when value < 3 then value else 'many' end as v"
        " from json_each('[1, 2, 3]')"
    )
    stream = conn.stream(sql, batch_size=2)
    first = await anext(stream)
    assert first.schema == pa.schema([("v", pa.int64())])
    with pytest.raises(
        QueryError,
        match=r"'v' \(typed integer from the first batch\)"
        r" holds a TEXT value in row 3",
    ):
        await anext(stream)
    # Within one batch, text beside numbers widens the column to text.
    table = await _table(conn, sql)
    assert table.to_pylist() == [{"v": "1"}, {"v": "2"}, {"v": "many"}]


async def test_column_type_hint_in_the_alias(conn: SQLiteConnection) -> None:
    table = await _table(
        conn,
        'select null as "n [integer]", \'2026-05-06\' as "d [date]", 1 as "x  [real]"',
    )
    assert table.schema == pa.schema(
        [("n", pa.int64()), ("d", pa.date32()), ("x", pa.float64())]
    )
    assert table.to_pylist() == [{"n": None, "d": dt.date(2026, 5, 6), "x": 1.0}]


async def test_numbers_in_a_text_column_become_exact_text(
    conn: SQLiteConnection,
) -> None:
    await conn.execute("create table t (s text)")
    await conn.execute("insert into t values ('a')")
    table = await _table(
        conn, "select s from t union all select 12 union all select 0.1"
    )
    assert table.schema.field("s").type == pa.string()
    assert table.column("s").to_pylist() == ["a", "12", "0.1"]


@pytest.mark.parametrize(
    ("declared", "stored", "error"),
    [
        ("numeric(5, 2)", "1.005", "holds a REAL value"),  # would need rounding
        ("numeric(5, 2)", "12345.5", "holds a REAL value"),  # too many digits
        ("boolean", "2", "holds a INTEGER value"),
        ("date", "'2026-02-30'", "holds a TEXT value"),
        ("date", "'2026-01-02 10:00'", "holds a TEXT value"),  # a time would be lost
        ("date", "20260102", "holds a INTEGER value"),  # julian day or unix time?
        ("datetime", "'yesterday'", "holds a TEXT value"),
        ("time", "'25:00:00x'", "holds a TEXT value"),
        ("real", "'1.5 kg'", "holds a TEXT value"),
        ("blob", "'text'", "holds a TEXT value"),
        ("text", "x'00'", "holds a BLOB value"),
        ("integer", "1.5", "holds a REAL value"),
    ],
)
async def test_values_that_do_not_fit(
    conn: SQLiteConnection, declared: str, stored: str, error: str
) -> None:
    await conn.execute(f"create table t (c {declared})")
    await conn.execute(f"insert into t values ({stored})")
    with pytest.raises(QueryError, match=error):
        await _table(conn, "select c from t")


async def test_unconstrained_numeric_is_float64_and_exact_ints_only(
    conn: SQLiteConnection,
) -> None:
    await conn.execute("create table t (amount numeric)")
    await conn.execute("insert into t values (10), (12.5)")
    table = await _table(conn, "select amount from t", batch_size=1)
    assert table.schema.field("amount").type == pa.float64()
    assert table.column(0).to_pylist() == [10.0, 12.5]
    await conn.execute("insert into t values (9007199254740993)")  # 2**53 + 1
    with pytest.raises(QueryError, match="holds a INTEGER value in row 3"):
        await _table(conn, "select amount from t")


async def test_integral_reals_fit_integer_columns(conn: SQLiteConnection) -> None:
    await conn.execute("create table t (i integer)")
    await conn.execute("insert into t values (1)")
    table = await _table(conn, "select i from t union all select 2.0")
    assert table.schema.field("i").type == pa.int64()
    assert table.column(0).to_pylist() == [1, 2]


async def test_mixed_blob_and_text_expression_is_an_error(
    conn: SQLiteConnection,
) -> None:
    with pytest.raises(QueryError, match="TEXT value beside BLOB values in row 2"):
        await _table(conn, "select x'00' as v union all select 'a'")


# -- dates and times as text -----------------------------------------------------------


async def test_datetime_text_forms(conn: SQLiteConnection) -> None:
    await conn.execute("create table t (k integer, at datetime, utc timestamptz)")
    forms = [
        "2026-01-02",
        "2026-01-02 03:04",
        "2026-01-02T03:04:05",
        "2026-01-02 03:04:05.1234567",  # beyond microseconds: truncated
        "2026-01-02 03:04:05Z",
        "2026-01-02 03:04:05 +02:00",
        "2026-01-02T01:00-05:30",
    ]
    for k, form in enumerate(forms):
        await conn.execute("insert into t values (?, ?, ?)", [k, form, form])
    table = await _table(conn, "select at, utc from t order by k")
    at = dt.datetime
    expected = [
        at(2026, 1, 2),
        at(2026, 1, 2, 3, 4),
        at(2026, 1, 2, 3, 4, 5),
        at(2026, 1, 2, 3, 4, 5, 123456),
        at(2026, 1, 2, 3, 4, 5),
        at(2026, 1, 2, 1, 4, 5),  # offsets are shifted to UTC, as datetime() does
        at(2026, 1, 2, 6, 30),
    ]
    assert table.column("at").to_pylist() == expected
    assert table.column("utc").to_pylist() == [
        v.replace(tzinfo=dt.UTC) for v in expected
    ]


# -- parameters --------------------------------------------------------------------------


async def test_python_parameters_bind_as_sqlite_stores_them(
    conn: SQLiteConnection,
) -> None:
    cases: list[tuple[object, str]] = [
        (dt.date(2026, 1, 2), "'2026-01-02'"),
        (dt.datetime(2026, 1, 2, 3, 4, 5), "'2026-01-02 03:04:05'"),
        # Aware datetimes are shifted to UTC, the convention of SQLite's functions.
        (
            dt.datetime(
                2026, 1, 2, 3, 4, 5, 600000, tzinfo=dt.timezone(dt.timedelta(hours=2))
            ),
            "'2026-01-02 01:04:05.600000'",
        ),
        (dt.time(13, 14, 15), "'13:14:15'"),
        (Decimal("12.25"), "12.25"),  # SQLite has no decimal: REAL
        (Decimal("12.00"), "12"),  # or INTEGER when integral
        (
            uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'",
        ),
        (bytearray(b"\x01\x02"), "X'0102'"),
        (memoryview(b"\x03"), "X'03'"),
        (True, "1"),
        (None, "NULL"),
    ]
    for value, literal in cases:
        table = await _table(conn, "select quote(?) as v", [value])
        assert table.column(0).to_pylist() == [literal], value


async def test_unsupported_parameter_type_is_a_query_error(
    conn: SQLiteConnection,
) -> None:
    with pytest.raises(QueryError, match="parameter 1") as info:
        await _table(conn, "select ? as v", [{"secret": "hunter2"}])
    assert "hunter2" not in str(info.value)
