"""to_table: every fixture shape, schema conforming, defaults and safe casts."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sqltest_core.errors import ConfigError
from sqltest_core.testing._data import to_table, typed_default

TARGET = pa.schema(
    [
        pa.field("id", pa.int32(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("amount", pa.decimal128(8, 2)),
        pa.field("day", pa.date32()),
        pa.field("active", pa.bool_(), nullable=False),
    ]
)


def test_rows_with_missing_keys_become_nulls() -> None:
    table = to_table([{"a": 1}, {"b": "x"}, {"a": 3, "b": "z"}])
    assert table.column_names == ["a", "b"]
    assert table.to_pydict() == {"a": [1, None, 3], "b": [None, "x", "z"]}


def test_columns_dict() -> None:
    table = to_table({"a": [1, 2], "b": ["x", None]})
    assert table.schema.types == [pa.int64(), pa.string()]
    assert table.to_pydict() == {"a": [1, 2], "b": ["x", None]}


def test_columns_of_different_lengths_are_an_error() -> None:
    with pytest.raises(ConfigError, match="b: 1 values, earlier columns have 2"):
        to_table({"a": [1, 2], "b": [1]})


def test_arrow_table_batch_and_polars_pass_through() -> None:
    table = pa.table({"a": pa.array([1, 2], pa.int16())})
    assert to_table(table) is table
    assert to_table(table.to_batches()[0]).equals(table)
    frame = pl.DataFrame({"a": [1, 2]}, schema={"a": pl.Int16})
    assert to_table(frame).equals(table)


def test_schema_orders_fills_and_casts() -> None:
    rows = [
        {"active": True, "id": 1, "amount": "12.50", "day": "2024-01-02"},
        {"id": 2, "active": False},
    ]
    table = to_table(rows, schema=TARGET)
    assert table.schema.equals(TARGET)
    assert table.to_pylist() == [
        {
            "id": 1,
            "name": None,
            "amount": Decimal("12.50"),
            "day": dt.date(2024, 1, 2),
            "active": True,
        },
        {"id": 2, "name": None, "amount": None, "day": None, "active": False},
    ]


def test_typed_defaults_fill_only_not_null_columns() -> None:
    table = to_table([{"name": "a"}], schema=TARGET, defaults="typed")
    assert table.to_pylist() == [
        {"id": 0, "name": "a", "amount": None, "day": None, "active": False}
    ]
    nulls = to_table([{"name": "a"}], schema=TARGET)
    assert nulls.to_pylist()[0]["id"] is None


@pytest.mark.parametrize(
    ("arrow", "expected"),
    [
        (pa.int8(), 0),
        (pa.float32(), 0.0),
        (pa.decimal128(5, 2), Decimal("0.00")),
        (pa.string(), ""),
        (pa.binary(), b""),
        (pa.bool_(), False),
        (pa.date32(), dt.date(1970, 1, 1)),
        (pa.timestamp("us"), dt.datetime(1970, 1, 1)),
        (pa.timestamp("ms", tz="UTC"), dt.datetime(1970, 1, 1, tzinfo=dt.UTC)),
        (pa.time64("us"), dt.time(0)),
    ],
)
def test_typed_default_values(arrow: pa.DataType, expected: object) -> None:
    assert typed_default(arrow).type == arrow
    assert typed_default(arrow).as_py() == expected


def test_typed_default_of_a_nested_type_is_an_error() -> None:
    with pytest.raises(ConfigError, match="no typed default for type list"):
        typed_default(pa.list_(pa.int8()))


def test_column_names_match_case_insensitively() -> None:
    table = to_table([{"ID": 5, "Active": True}], schema=TARGET)
    assert table.column("id").to_pylist() == [5]
    assert table.column("active").to_pylist() == [True]


def test_unknown_column_is_named() -> None:
    with pytest.raises(ConfigError, match="columns not in the target: nope"):
        to_table([{"id": 1, "nope": 2}], schema=TARGET)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"id": 1}, {"id": 2.5}], r"id: row 2: cannot cast 2.5 to int32"),
        ([{"id": 2**40}], r"id: row 1: cannot cast 1099511627776 to int32"),
        (
            [{"id": 1, "amount": "1.234"}],
            r"amount: row 1: cannot cast '1.234' to decimal128\(8, 2\)",
        ),
        (
            [{"id": 1, "day": "2024-01-02"}, {"id": 2, "day": "soon"}],
            r"day: row 2: cannot cast 'soon' to date32",
        ),
        ([{"id": 1}, {"id": "x"}], r"id: row 2: cannot convert 'x' to int32"),
    ],
)
def test_bad_values_name_column_and_row(
    rows: list[dict[str, object]], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        to_table(rows, schema=TARGET)


def test_bad_value_is_found_in_a_large_column() -> None:
    values = [str(i) for i in range(100_000)]
    values[76_543] = "7x"
    with pytest.raises(ConfigError, match="id: row 76544: cannot cast '7x' to int32"):
        to_table({"id": values}, schema=TARGET)


def test_mixed_types_without_schema_are_an_error() -> None:
    with pytest.raises(ConfigError, match=r"a: values of mixed types \(int, str\)"):
        to_table([{"a": 1}, {"a": "x"}])


def test_not_rows_is_an_error() -> None:
    with pytest.raises(ConfigError, match="not int"):
        to_table(42)
    with pytest.raises(ConfigError, match="row 2: expected a dict, not int"):
        to_table([{"a": 1}, 2])


def test_csv_typed_from_schema_keeps_leading_zeros(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(
        'id,name,amount,day,active\n1,"007",1.50,2024-01-02,true\n2,,,,false\n'
    )
    table = to_table("t.csv", schema=TARGET, base_dir=tmp_path)
    assert table.to_pylist() == [
        {
            "id": 1,
            "name": "007",
            "amount": Decimal("1.50"),
            "day": dt.date(2024, 1, 2),
            "active": True,
        },
        {"id": 2, "name": "", "amount": None, "day": None, "active": False},
    ]


def test_csv_without_schema_is_inferred(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,x\n2,y\n")
    table = to_table(path)
    assert table.schema.types == [pa.int64(), pa.string()]


def test_csv_bad_value_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,active\n1,true\nzz,false\n")
    with pytest.raises(ConfigError, match=r"bad\.csv: cannot read: .*zz") as info:
        to_table(path, schema=TARGET)
    assert info.value.file == str(path)


def test_parquet_json_and_jsonl(tmp_path: Path) -> None:
    source = pa.table({"id": pa.array([1, 2], pa.int64()), "name": ["a", None]})
    pq.write_table(source, tmp_path / "t.parquet")
    pq.write_table(source, tmp_path / "t.pq")
    (tmp_path / "t.json").write_text(json.dumps(source.to_pylist()))
    (tmp_path / "t.jsonl").write_text(
        "\n".join(json.dumps(r) for r in source.to_pylist()) + "\n"
    )
    for name in ("t.parquet", "t.pq", "t.json", "t.jsonl"):
        table = to_table(tmp_path / name, schema=TARGET, defaults="typed")
        assert table.column("id").to_pylist() == [1, 2], name
        assert table.column("name").to_pylist() == ["a", None], name
        assert table.column("active").to_pylist() == [False, False], name


def test_json_columns_object(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text('{"id": [1], "day": ["2024-02-29"]}')
    table = to_table(tmp_path / "c.json", schema=TARGET, defaults="typed")
    assert table.column("day").to_pylist() == [dt.date(2024, 2, 29)]


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.csv: fixture file not found"):
        to_table(tmp_path / "missing.csv")
    (tmp_path / "t.xlsx").write_text("")
    with pytest.raises(ConfigError, match=r"t\.xlsx: unknown fixture file type .xlsx"):
        to_table(tmp_path / "t.xlsx")
    (tmp_path / "bad.json").write_text("[{")
    with pytest.raises(ConfigError, match=r"bad\.json: cannot read"):
        to_table(tmp_path / "bad.json")
    (tmp_path / "cast.json").write_text('[{"id": "one"}]')
    with pytest.raises(ConfigError, match=r"cast\.json: id: row 1: cannot cast 'one'"):
        to_table(tmp_path / "cast.json", schema=TARGET)


def test_bad_defaults_keyword() -> None:
    with pytest.raises(ConfigError, match="defaults must be 'null' or 'typed'"):
        to_table([{"id": 1}], schema=TARGET, defaults="zero")  # type: ignore[arg-type]
