"""Keys, duplicates, casts, phones, sequences, quantiles, schema, reconciliation,
custom queries and Python predicates on every engine, with exact counts."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from sqlglot import exp

from sqltest_core import Pool, open_pool
from sqltest_core.cache import QueryCache
from sqltest_core.connectors import Pools
from sqltest_core.results import RuleResult, Status
from sqltest_core.rules import (
    BaseRule,
    Castable,
    DuplicateRows,
    Format,
    Monotonic,
    Predicate,
    PrimaryKey,
    Quantile,
    Query,
    Reconciliation,
    Schema,
    Threshold,
    evaluate,
    rule,
)
from sqltest_core_tests.rules.conftest import (
    HOSTILE,
    create_facts,
    fact_rows,
    harness,
    quote,
)

X = "extras"
INTEGERS: list[str | None] = [
    "12",
    " -7 ",
    "+3",
    "1.5",
    "abc",
    "",
    None,
    "1234567890123456789",
]
INTEGERS += ["0", "00", "1e3", "-"]
TIMES: list[str | None] = [
    "2024-02-29",
    "2024-02-30",
    "2024-04-31",
    "2024-13-01",
    "2024-1-05",
]
TIMES += ["2024-12-31", "2024-06-15 10:30:00", "2024-06-15T10:30:00Z"]
TIMES += ["2024-06-15 25:00", None, "2024-06-15 10:30:00.123+02:00", "20240615"]
FLAGS: list[str | None] = [
    "true",
    "FALSE",
    "Yes",
    "n",
    "1",
    "0",
    "maybe",
    "on",
    "OFF",
    "",
    "tru",
    None,
]
PHONES: list[str | None] = [
    "+1 555 123 4567",
    "(555) 123-4567",
    "555.123.4567",
    "+44 20 7946 0958",
]
PHONES += ["12", "555-CALL", "+1--555", "5551234567", None, "phone", "+49 (0)30 1234"]
PHONES += ["123 45"]
SEQ = [1, 2, 2, 5, 4, 6, None, 7, 3, 8, 8, 9]


async def create_extras(pool: Pool, engine: str) -> None:
    cols = ["id INTEGER", "num VARCHAR(40)", "stamp VARCHAR(40)", "flag VARCHAR(40)"]
    cols += ["phone VARCHAR(40)", "seq INTEGER", f"{quote(HOSTILE, engine)} INTEGER"]
    await pool.execute(f"CREATE TABLE {X} ({', '.join(cols)})")
    rows = zip(range(1, 13), INTEGERS, TIMES, FLAGS, PHONES, SEQ, SEQ, strict=True)
    values = ", ".join(
        "(" + ", ".join(exp.convert(v).sql(dialect=pool.dialect) for v in row) + ")"
        for row in rows
    )
    await pool.execute(f"INSERT INTO {X} VALUES {values}")


@pytest.fixture
async def tables(engine: str) -> AsyncIterator[Pool]:
    async with harness(engine).scratch() as source, open_pool(source) as pool:
        await create_facts(pool, engine)
        await create_extras(pool, engine)
        yield pool


def _lower(row: dict[str, Any]) -> dict[str, Any]:
    return {k.lower(): v for k, v in row.items()}


def _ids(result: RuleResult) -> set[int]:
    return {int(_lower(r)["id"]) for r in result.samples}


def _quantile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


SCORES = [s for r in fact_rows() if isinstance(s := r["score"], int)]

# rule, failing count, failing ids among the samples (None: do not check ids)
ROW_RULES: list[tuple[BaseRule, int, set[int] | None]] = [
    (Castable(id="int", table=X, column="num", to="integer"), 6, {4, 5, 6, 8, 11}),
    (Castable(id="number", table=X, column="num", to="number"), 3, {5, 6, 12}),
    (Castable(id="date", table=X, column="stamp", to="date"), 9, {2, 3, 4, 5, 7}),
    (Castable(id="ts", table=X, column="stamp", to="timestamp"), 8, {1, 2, 3, 4, 5}),
    (Castable(id="bool", table=X, column="flag", to="boolean"), 3, {7, 10, 11}),
    (Castable(id="int_of_int", table=X, column="seq", to="integer"), 0, set()),
    (Format(id="phone", table=X, column="phone", format="phone"), 5, {5, 6, 7, 10, 11}),
    (Monotonic(id="mono", table=X, column="seq", order_by=("id",)), 2, {5, 9}),
    (
        Monotonic(
            id="mono_strict", table=X, column="seq", order_by=("id",), strict=True
        ),
        4,
        {3, 5, 9, 11},
    ),
    (
        Monotonic(
            id="mono_down", table=X, column="seq", order_by=("id",), decreasing=True
        ),
        6,
        {2, 4, 6, 8, 10},
    ),
    (
        Monotonic(
            id="mono_where", table=X, column="seq", order_by=("id",), where="id > 5"
        ),
        1,
        {9},
    ),
    (
        Monotonic(id="mono_hostile", table=X, column=HOSTILE, order_by=("id",)),
        2,
        {5, 9},
    ),
    (PrimaryKey(id="pk", table="facts", columns=("code",)), 7, {2, 3, 4, 5, 6}),
    (PrimaryKey(id="pk_id", table="facts", columns=("id",)), 0, set()),
    (PrimaryKey(id="pk_pair", table="facts", columns=("code", "region")), 4, None),
    (Query(id="q", sql="SELECT * FROM facts WHERE num = 100"), 4, {10, 11, 12, 13}),
    (
        Query(id="q_cte", sql="WITH f AS (SELECT id FROM facts) SELECT id FROM f; "),
        20,
        None,
    ),
]


async def test_row_rules(tables: Pool) -> None:
    results = await evaluate([r for r, _, _ in ROW_RULES], tables)
    for (want, count, ids), got in zip(ROW_RULES, results, strict=True):
        status = Status.FAILED if count else Status.PASSED
        assert (got.status, got.failing_count) == (status, count), (want.id, got)
        if ids is not None:
            assert _ids(got) == ids, want.id
    by_id = {r.rule_id: r for r in results}
    assert by_id["mono"].rows_scanned == 11
    previous = {
        int(_lower(r)["id"]): _lower(r)["sqltest_previous"]
        for r in by_id["mono"].samples
    }
    assert previous == {5: 5, 9: 7}
    assert by_id["pk"].details == {
        "duplicated_values": 2,
        "null_rows": 2,
        "duplicated_rows": 5,
    }
    assert by_id["pk"].rows_scanned == 20
    # (code, region): dup1 rows are r0/r1 apart; dup2 rows 4 and 6 share r0.
    assert by_id["pk_pair"].details["duplicated_rows"] == 2
    assert by_id["q"].rows_scanned is None and len(by_id["q"].samples) == 4
    # Castable and format rules on one table fuse into one scan.
    scans = {by_id[i].sql[0] for i in ("int", "number", "date", "ts", "bool", "phone")}
    assert len(scans) == 1


async def test_duplicate_rows(tables: Pool) -> None:
    rules = [
        DuplicateRows(id="all", table="parents"),
        DuplicateRows(id="region", table="parents", columns=("region",)),
        DuplicateRows(id="none", table="facts"),
        DuplicateRows(id="where", table="parents", columns=("region",), where="id > 8"),
    ]
    got = {r.rule_id: r for r in await evaluate(rules, tables)}
    assert (got["all"].failing_count, got["all"].details) == (
        2,
        {"duplicated_values": 1, "extra_rows": 1},
    )
    assert [_lower(s) for s in got["all"].samples] == [
        {"id": 1, "region": "r0", "sqltest_copies": 2}
    ]
    assert (got["region"].failing_count, got["region"].details) == (
        11,
        {"duplicated_values": 2, "extra_rows": 9},
    )
    assert got["none"].status is Status.PASSED and got["none"].rows_scanned == 20
    assert got["where"].status is Status.PASSED and got["where"].rows_scanned == 2


async def test_duplicate_rows_count_null_rows_as_equal(engine: str) -> None:
    async with harness(engine).scratch() as source, open_pool(source) as pool:
        await pool.execute("CREATE TABLE n (a INTEGER, b VARCHAR(10))")
        await pool.execute(
            "INSERT INTO n VALUES (NULL, NULL), (NULL, NULL), (1, NULL), (1, 'x')"
        )
        (result,) = await evaluate([DuplicateRows(id="d", table="n")], pool)
    assert (result.failing_count, result.details["duplicated_values"]) == (2, 1)


@pytest.mark.parametrize("q", [0.0, 0.25, 0.5, 0.9, 1.0])
async def test_quantile(tables: Pool, q: float) -> None:
    want = _quantile(SCORES, q)
    rules = [
        Quantile(
            id="ok",
            table="facts",
            column="score",
            q=q,
            min=want - 1e-9,
            max=want + 1e-9,
        ),
        Quantile(id="low", table="facts", column="score", q=q, max=want - 0.5),
        Quantile(
            id="where", table="facts", column="score", q=q, min=0, where="id <= 4"
        ),
        Quantile(id="none", table="facts", column="score", q=q, min=0, where="id > 99"),
    ]
    ok, low, where, none = await evaluate(rules, tables)
    assert ok.status is Status.PASSED and math.isclose(ok.details["value"], want)
    assert (low.status, low.failing_count) == (Status.FAILED, 1)
    assert math.isclose(where.details["value"], _quantile([2, 4, 6, 8], q))
    assert (none.details["value"], none.failing_count) == (None, 1)
    assert ok.rows_scanned == 20 and where.rows_scanned == 4


async def test_schema_drift(tables: Pool, engine: str) -> None:
    expected: dict[str, str | None] = {
        "id": "integer",
        "email": "varchar",
        "ts": None,
        "nope": "integer",
        "score": "varchar(10)",
    }
    loose = Schema(id="loose", table="facts", columns=expected, allow_extra=True)
    strict = Schema(id="strict", table="facts", columns=expected)
    exact = Schema(
        id="exact",
        table="extras",
        columns={"id": "int", "num": "varchar", "seq": "integer"},
        allow_extra=True,
    )
    missing = Schema(id="missing", table="no_such_table", columns={"a": None})
    got = {
        r.rule_id: r for r in await evaluate([loose, strict, exact, missing], tables)
    }
    assert got["loose"].failing_count == 2 and got["loose"].rows_scanned == 5
    changed = got["loose"].details["changed"]
    assert [c["column"] for c in changed] == ["score"]
    assert got["loose"].details["removed"] == ["nope"]
    assert len(got["loose"].details["added"]) == 8
    assert got["strict"].failing_count == 10
    assert got["exact"].status is Status.PASSED, got["exact"].details
    assert got["missing"].status is Status.ERRORED
    assert "no_such_table" in (got["missing"].reason or "")


async def test_reconciliation_on_one_source(tables: Pool) -> None:
    rules = [
        Reconciliation(id="count", table="facts", other_table="parents"),
        Reconciliation(
            id="count_ok", table="facts", other_table="parents", where="id <= 11"
        ),
        Reconciliation(
            id="count_tol", table="facts", other_table="parents", tolerance=9
        ),
        Reconciliation(
            id="groups", table="facts", other_table="parents", group_by=("region",)
        ),
        Reconciliation(
            id="sum",
            table="facts",
            other_table="facts",
            measure="sum",
            column="num",
            other_where="id <= 10",
            relative_tolerance=0.5,
        ),
        Reconciliation(
            id="sum_groups",
            table="facts",
            other_table="parents",
            measure="sum",
            column="num",
            other_column="id",
            group_by=("region",),
            where="region <> 'rX'",
        ),
    ]
    got = {r.rule_id: r for r in await evaluate(rules, tables)}
    assert (got["count"].failing_count, got["count"].details) == (
        1,
        {"value": 20, "other_value": 11, "difference": 9},
    )
    assert got["count"].rows_scanned == 20 and len(got["count"].sql) == 1
    assert got["count_ok"].status is Status.PASSED
    assert got["count_tol"].status is Status.PASSED
    groups = got["groups"]
    assert (groups.failing_count, groups.rows_scanned) == (3, 3)
    assert groups.details == {
        "groups": 3,
        "other_groups": 2,
        "missing_in_other": 1,
        "missing_here": 0,
        "differing": 2,
    }
    samples = {
        _lower(s)["region"]: (s["value"], s["other_value"]) for s in groups.samples
    }
    assert samples == {"r0": (10, 6), "r1": (9, 5), "rX": (1, None)}
    # num sums: all rows 1..20 with 10-13 set to 100 and 14, 16 NULL.
    total = sum(n for r in fact_rows() if isinstance(n := r["num"], int))
    first = sum(n for r in fact_rows()[:10] if isinstance(n := r["num"], int))
    assert (
        got["sum"].details["value"] == total
        and got["sum"].details["other_value"] == first
    )
    assert got["sum"].status is Status.FAILED  # 530 vs 145: beyond 50 %
    sums = got["sum_groups"]
    assert sums.status is Status.FAILED and sums.rows_scanned == 2
    assert len(sums.sql) == 2


async def test_reconciliation_across_sources(engine: str) -> None:
    other = harness("duckdb").scratch(name="copy")
    async with (
        harness(engine).scratch() as source,
        other as copy,
        Pools({source.name: source, "copy": copy}) as pools,
    ):
        pool = await pools.get(source.name)
        await create_facts(pool, engine)
        duck = await pools.get("copy")
        await create_facts(duck, "duckdb")
        await duck.execute("DELETE FROM facts WHERE id = 3")
        rules = [
            Reconciliation(
                id="same", table="facts", other_table="parents", other_source="copy"
            ),
            Reconciliation(
                id="by_region",
                table="facts",
                other_table="facts",
                other_source="copy",
                group_by=("region",),
                measure="sum",
                column="num",
            ),
        ]
        same, by_region = await evaluate(rules, pool, pools=pools)
    assert (same.failing_count, same.details["other_value"]) == (1, 11)
    assert (by_region.failing_count, by_region.rows_scanned) == (1, 3)
    (sample,) = by_region.samples
    assert _lower(sample)["region"] == "r1"
    assert sample["value"] - sample["other_value"] == 3  # row 3's num


def _id_column(batch: pa.RecordBatch) -> pa.Array:
    return batch.column(0)


async def test_python_predicate_streams_batches(tables: Pool) -> None:
    seen: list[int] = []

    @rule(table="facts", columns=["id", "num"], batch_size=4)
    def small_ids(batch: pa.RecordBatch) -> pa.Array:
        """Ids stay below 15."""
        seen.append(batch.num_rows)
        return pc.less(_id_column(batch), 15)

    def with_nulls(batch: pa.RecordBatch) -> list[bool | None]:
        return [None if i % 2 else False for i in range(batch.num_rows)]

    rules = [
        small_ids,
        Predicate(
            id="nulls_pass", table="facts", predicate=with_nulls, where="id <= 6"
        ),
        Predicate(id="wrong_length", table="facts", predicate=lambda b: [True]),
        Predicate(
            id="tolerated",
            table="facts",
            predicate=lambda b: pc.less(_id_column(b), 19),
            threshold=Threshold(rows=2),
        ),
    ]
    small, nulls, wrong, tolerated = await evaluate(rules, tables)
    assert (small.status, small.failing_count, small.rows_scanned) == (
        Status.FAILED,
        6,
        20,
    )
    assert max(seen) <= 4 and sum(seen) == 20
    assert _ids(small) == {15, 16, 17, 18, 19}
    assert set(_lower(small.samples[0])) == {"id", "num"}
    assert small.description == "Ids stay below 15."
    assert (nulls.failing_count, nulls.rows_scanned) == (3, 6)
    assert wrong.status is Status.ERRORED and "1 values for a batch" in (
        wrong.reason or ""
    )
    assert (tolerated.status, tolerated.failing_count) == (Status.PASSED, 2)


async def test_query_cache_serves_repeated_runs(tables: Pool) -> None:
    cache = QueryCache(ttl=60)
    rules = [
        Castable(id="int", table=X, column="num", to="integer"),
        PrimaryKey(id="pk", table="facts", columns=("code",)),
        Reconciliation(id="rec", table="facts", other_table="parents"),
        Castable(id="fresh", table="facts", column="code", to="integer", cache=False),
    ]
    first = await evaluate(rules, tables, cache=cache)
    second = await evaluate(rules, tables, cache=cache)
    assert [r.cache_hit for r in first] == [False] * 4
    assert [r.cache_hit for r in second] == [True, True, True, False]
    for a, b in zip(first, second, strict=True):
        assert (a.status, a.failing_count, a.samples) == (
            b.status,
            b.failing_count,
            b.samples,
        )
    cache.invalidate()
    third = await evaluate(rules, tables, cache=cache)
    assert not any(r.cache_hit for r in third)


async def test_bad_custom_rules_error_alone(tables: Pool) -> None:
    rules = [
        Query(id="no_table", sql="SELECT * FROM no_such_table"),
        Query(id="not_a_query", sql="DROP TABLE facts"),
        Castable(id="fine", table=X, column="num", to="number"),
        Monotonic(id="no_column", table=X, column="nope", order_by=("id",)),
    ]
    no_table, not_query, fine, no_column = await evaluate(rules, tables)
    assert no_table.status is Status.ERRORED and no_column.status is Status.ERRORED
    assert not_query.status is Status.ERRORED
    assert "one SELECT" in (not_query.reason or "")
    assert fine.failing_count == 3
    assert await tables.scalar("SELECT COUNT(*) FROM facts") == 20


async def test_hostile_names_in_reconciliation_and_predicates(tables: Pool) -> None:
    def positive(batch: pa.RecordBatch) -> pa.Array:
        return pc.greater(batch.column(0), 3)

    rules = [
        Reconciliation(
            id="rec",
            table=X,
            other_table=X,
            measure="sum",
            column=HOSTILE,
            group_by=(HOSTILE,),
            other_where="id > 1",
        ),
        Predicate(id="pred", table=X, columns=(HOSTILE,), predicate=positive),
        Schema(id="schema", table=X, columns={HOSTILE: "integer"}, allow_extra=True),
    ]
    rec, pred, schema = await evaluate(rules, tables)
    # Group 1 (row 1) exists on this side only; the others match.
    assert (rec.status, rec.failing_count, rec.rows_scanned) == (Status.FAILED, 1, 10)
    assert (pred.failing_count, pred.rows_scanned) == (
        4,
        12,
    )  # 1, 2, 2 and 3; NULL passes
    assert schema.status is Status.PASSED, schema.details
    assert await tables.scalar(f"SELECT COUNT(*) FROM {X}") == 12
