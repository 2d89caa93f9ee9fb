"""Result-set equality and the smaller assertions, on Arrow tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pyarrow as pa
import pytest

from sqltest_core.testing import (
    ResultMismatch,
    assert_result_equal,
    assert_row_count,
    assert_rows_absent,
    assert_rows_contained,
    assert_scalar,
    assert_schema,
)

UTC = dt.UTC
PARIS = "Europe/Paris"


def people() -> pa.Table:
    return pa.table({"id": [1, 2, 3], "name": ["a", "b", "c"]})


def test_unordered_bag_equal_in_any_order() -> None:
    assert_result_equal(
        people(),
        [{"id": 3, "name": "c"}, {"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
    )


def test_expected_as_polars_frame() -> None:
    assert_result_equal(
        people(), pl.DataFrame({"id": [3, 2, 1], "name": ["c", "b", "a"]})
    )


def test_ordered_reports_changed_cells_by_row() -> None:
    with pytest.raises(ResultMismatch) as info:
        assert_result_equal(
            people(), pa.table({"id": [1, 3, 2], "name": ["a", "b", "c"]}), ordered=True
        )
    diff = info.value.diff
    assert diff["changed"] == [
        {"key": {"row": 1}, "column": "id", "expected": 3, "actual": 2},
        {"key": {"row": 2}, "column": "id", "expected": 2, "actual": 3},
    ]
    assert (diff["missing_count"], diff["unexpected_count"], diff["changed_count"]) == (
        0,
        0,
        2,
    )
    assert "  ~ row=1: id: expected 3, got 2" in str(info.value)


def test_bag_counts_duplicates_and_set_ignores_them() -> None:
    got = pa.table({"x": [1, 1, 2]})
    with pytest.raises(ResultMismatch) as info:
        assert_result_equal(got, [{"x": 1}, {"x": 2}])
    assert info.value.diff["unexpected"] == [{"x": 1}]
    assert info.value.diff["missing"] == []
    assert_result_equal(got, [{"x": 1}, {"x": 2}, {"x": 2}], semantics="set")


def test_row_diff_message_is_a_table_capped_with_more() -> None:
    got = pa.table({"id": list(range(10)), "name": [f"n{i}" for i in range(10)]})
    want = pa.table({"id": list(range(5, 15)), "name": [f"n{i}" for i in range(5, 15)]})
    with pytest.raises(ResultMismatch) as info:
        assert_result_equal(got, want, max_rows=3)
    lines = str(info.value).splitlines()
    assert lines[0] == (
        "result sets differ (unordered bag): expected 10 rows, got 10; "
        "5 missing (-), 5 unexpected (+), 0 changed cells (~)"
    )
    assert lines[1] == "    | id | name"
    assert lines[2].startswith("  - | 1")
    assert lines[-1] == "  ... and 7 more"
    assert len(info.value.diff["missing"]) == 3
    assert info.value.diff["missing_count"] == 5


def test_key_reports_changed_cells_with_key() -> None:
    want = [{"id": 1, "name": "a"}, {"id": 2, "name": "x"}, {"id": 4, "name": "d"}]
    with pytest.raises(ResultMismatch) as info:
        assert_result_equal(people(), want, key=["id"])
    diff = info.value.diff
    assert diff["changed"] == [
        {"key": {"id": 2}, "column": "name", "expected": "x", "actual": "b"}
    ]
    assert diff["missing"] == [{"id": 4, "name": "d"}]
    assert diff["unexpected"] == [{"id": 3, "name": "c"}]
    assert "  ~ id=2: name: expected 'x', got 'b'" in str(info.value)


def test_column_names_checked_and_subset() -> None:
    with pytest.raises(ResultMismatch) as info:
        assert_result_equal(people(), [{"id": 1, "nom": "a"}])
    assert info.value.diff == {
        "kind": "columns",
        "missing_columns": ["nom"],
        "unexpected_columns": ["name"],
        "expected": ["id", "nom"],
        "actual": ["id", "name"],
    }
    assert_result_equal(people(), [{"id": 2}, {"id": 1}, {"id": 3}], columns=["id"])


def test_column_order_only_when_asked() -> None:
    swapped = pa.table({"name": ["a", "b", "c"], "id": [1, 2, 3]})
    assert_result_equal(people(), swapped)
    with pytest.raises(ResultMismatch, match="columns differ"):
        assert_result_equal(people(), swapped, check_column_order=True)


def test_int_widths_need_loose() -> None:
    got = pa.table({"n": pa.array([1, 2], pa.int32())})
    with pytest.raises(ResultMismatch) as info:
        assert_result_equal(got, [{"n": 1}, {"n": 2}])
    assert info.value.diff["type_mismatches"] == [
        {
            "column": "n",
            "expected": "int64",
            "actual": "int32",
            "reason": "type int32 differs from int64 (check_types='strict')",
        }
    ]
    assert_result_equal(got, [{"n": 1}, {"n": 2}], check_types="loose")


def test_string_layouts_are_one_logical_type() -> None:
    got = pa.table({"s": pa.array(["a"], pa.large_string())})
    assert_result_equal(got, [{"s": "a"}])


def test_decimal_vs_float_never_passes_silently() -> None:
    got = pa.table({"v": pa.array([Decimal("1.10")], pa.decimal128(5, 2))})
    want = [{"v": 1.1}]
    for check in ("strict", "loose"):
        with pytest.raises(ResultMismatch, match="v: "):
            assert_result_equal(got, want, check_types=check)
    assert_result_equal(got, want, check_types="loose", abs_tol=1e-9)
    with pytest.raises(ResultMismatch):
        assert_result_equal(got, [{"v": 1.2}], check_types="loose", abs_tol=1e-9)


def test_decimals_compare_exactly_as_numbers_scale_only_strict() -> None:
    got = pa.table({"v": pa.array([Decimal("1.10")], pa.decimal128(5, 2))})
    want = pa.table({"v": pa.array([Decimal("1.1")], pa.decimal128(5, 1))})
    with pytest.raises(
        ResultMismatch, match=r"decimal128\(5, 2\) differs from decimal128\(5, 1\)"
    ):
        assert_result_equal(got, want)
    assert_result_equal(got, want, check_types="loose")
    off = pa.table({"v": pa.array([Decimal("1.11")], pa.decimal128(5, 2))})
    with pytest.raises(ResultMismatch):
        assert_result_equal(got, off, abs_tol=0.1)  # tolerances never apply to decimals


def test_float_tolerances() -> None:
    got = pa.table({"k": [1, 2], "v": [1.0, 100.0]})
    want = pa.table({"k": [2, 1], "v": [100.5, 1.0000001]})
    with pytest.raises(ResultMismatch):
        assert_result_equal(got, want)
    with pytest.raises(ResultMismatch):
        assert_result_equal(got, want, abs_tol=1e-3)
    assert_result_equal(got, want, abs_tol=1e-3, rel_tol=0.01)
    assert_result_equal(got, want, rel_tol=0.01)


def test_tolerance_with_key_reports_changed_value() -> None:
    got = pa.table({"k": [1, 2], "v": [1.0, 2.0]})
    want = pa.table({"k": [1, 2], "v": [1.0, 2.5]})
    with pytest.raises(ResultMismatch) as info:
        assert_result_equal(got, want, key=["k"], abs_tol=0.1)
    assert info.value.diff["changed"] == [
        {"key": {"k": 2}, "column": "v", "expected": 2.5, "actual": 2.0}
    ]


def test_nulls_equal_by_default_sql_semantics_on_request() -> None:
    got = pa.table({"a": [1, None], "b": [None, 2.5]})
    assert_result_equal(got, pa.table({"a": [None, 1], "b": [2.5, None]}))
    assert_result_equal(got, pa.table({"a": [None, 1], "b": [2.5, None]}), abs_tol=0.1)
    with pytest.raises(ResultMismatch) as info:
        assert_result_equal(got, got, null_equal=False)
    assert (info.value.diff["missing_count"], info.value.diff["unexpected_count"]) == (
        2,
        2,
    )
    assert "NULL" in str(info.value)


def test_nan_equals_nan() -> None:
    got = pa.table({"v": [float("nan"), 1.0]})
    assert_result_equal(got, pa.table({"v": [1.0, float("nan")]}))
    assert_result_equal(got, pa.table({"v": [1.0, float("nan")]}), rel_tol=1e-9)


def test_naive_vs_aware_timestamps_never_equal() -> None:
    naive = pa.table({"t": pa.array([dt.datetime(2024, 1, 1)], pa.timestamp("us"))})
    aware = pa.table(
        {
            "t": pa.array(
                [dt.datetime(2024, 1, 1, tzinfo=UTC)], pa.timestamp("us", "UTC")
            )
        }
    )
    for check in ("strict", "loose"):
        with pytest.raises(ResultMismatch) as info:
            assert_result_equal(naive, aware, check_types=check)
    assert (
        "naive timestamp never equals an aware one"
        in info.value.diff["type_mismatches"][0]["reason"]
    )


def test_aware_timestamps_compare_as_instants_when_loose() -> None:
    utc = pa.table(
        {
            "t": pa.array(
                [dt.datetime(2024, 1, 1, 11, tzinfo=UTC)], pa.timestamp("us", "UTC")
            )
        }
    )
    paris = pa.table(
        {
            "t": pa.array(
                [dt.datetime(2024, 1, 1, 11, tzinfo=UTC)], pa.timestamp("ns", PARIS)
            )
        }
    )
    with pytest.raises(ResultMismatch, match="check_types='strict'"):
        assert_result_equal(utc, paris)
    assert_result_equal(utc, paris, check_types="loose")
    later = pa.table(
        {
            "t": pa.array(
                [dt.datetime(2024, 1, 1, 12, tzinfo=UTC)], pa.timestamp("us", PARIS)
            )
        }
    )
    with pytest.raises(ResultMismatch):
        assert_result_equal(utc, later, check_types="loose")


def test_unordered_large_results_are_linear_enough() -> None:
    n = 50_000
    got = pa.table(
        {"id": pa.array(range(n)), "v": pa.array([i * 0.5 for i in range(n)])}
    )
    want = got.take(pa.array(range(n - 1, -1, -1)))
    assert_result_equal(got, want)
    assert_result_equal(got, want, abs_tol=1e-9)


def test_schema_assertion() -> None:
    table = pa.table({"id": pa.array([1], pa.int32()), "name": ["a"]})
    assert_schema(table, {"id": "int32", "name": pa.string()})
    assert_schema(table, ["id", "name"])
    assert_schema(
        table, {"name": None, "id": "int64"}, check_order=False, check_types="loose"
    )
    with pytest.raises(ResultMismatch) as info:
        assert_schema(table, {"id": "int64", "other": None})
    assert info.value.diff["missing_columns"] == ["other"]
    assert info.value.diff["unexpected_columns"] == ["name"]
    assert info.value.diff["type_mismatches"][0]["column"] == "id"


def test_row_count() -> None:
    assert_row_count(people(), 3)
    with pytest.raises(ResultMismatch, match="row count: expected 2, got 3"):
        assert_row_count(people(), 2)
    with pytest.raises(ResultMismatch, match="between 4 and None"):
        assert_row_count(people(), at_least=4)


def test_scalar() -> None:
    assert_scalar(pa.table({"n": pa.array([3], pa.int32())}), 3)
    assert_scalar(pa.table({"n": [None]}), None)
    with pytest.raises(ResultMismatch, match="scalar n: expected 4, got 3"):
        assert_scalar(pa.table({"n": [3]}), 4)
    money = pa.table({"m": pa.array([Decimal("2.50")], pa.decimal128(5, 2))})
    assert_scalar(money, Decimal("2.5"))
    with pytest.raises(ResultMismatch, match="abs_tol"):
        assert_scalar(money, 2.5)
    assert_scalar(money, 2.5, abs_tol=0.0)
    with pytest.raises(ResultMismatch, match="one row and one column, got 3 x 2"):
        assert_scalar(people(), 1)


def test_rows_contained_and_absent() -> None:
    assert_rows_contained(people(), [{"id": 2, "name": "b"}])
    assert_rows_contained(people(), [{"name": "c"}])
    with pytest.raises(ResultMismatch) as info:
        assert_rows_contained(people(), [{"id": 2}, {"id": 2}, {"id": 9}])
    assert info.value.diff["rows"] == [{"id": 2}, {"id": 9}]
    assert_rows_absent(people(), [{"id": 7}])
    with pytest.raises(ResultMismatch) as info:
        assert_rows_absent(people(), [{"id": 7}, {"id": 1}])
    assert info.value.diff == {
        "kind": "present",
        "columns": ["id"],
        "rows": [{"id": 1}],
        "count": 1,
    }


def test_nanosecond_timestamps_compare_and_print() -> None:
    ns = pa.table({"t": pa.array([1_000_000_001, 5], pa.timestamp("ns"))})
    assert_result_equal(ns, ns.take([1, 0]))
    other = pa.table({"t": pa.array([1_000_000_002, 5], pa.timestamp("ns"))})
    with pytest.raises(ResultMismatch) as info:
        assert_result_equal(ns, other)
    assert info.value.diff["missing"] == [{"t": "1970-01-01 00:00:01.000000002"}]
    micro = pa.table({"t": pa.array([1_000_000, 5_000], pa.timestamp("us"))})
    exact = pa.table({"t": pa.array([1_000_000_000, 5_000_000], pa.timestamp("ns"))})
    assert_result_equal(micro, exact, check_types="loose")


def test_absent_reports_each_forbidden_row_present() -> None:
    with pytest.raises(ResultMismatch) as info:
        assert_rows_absent(people(), [{"id": 1}, {"id": 1}])
    assert info.value.diff["count"] == 2
