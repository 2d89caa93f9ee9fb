"""Catalog: one statement per schema; columns, kinds, row counts, keys."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from sqltest_core.config import DataSource
from sqltest_core.connectors import Column, ForeignKey
from sqltest_core.connectors.snowflake import (
    SnowflakeConnection,
    SnowflakeConnector,
    _build_catalog,
)
from sqltest_core.errors import QueryError
from sqltest_core_tests.connectors.snowflake.harness import Emulator, scratch

DDL = [
    "CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, "
    "balance NUMBER(12,2), joined TIMESTAMP_NTZ, photo BINARY, extra VARIANT)",
    "CREATE TABLE orders (id INT, customer_id INT REFERENCES customers (id), "
    "total FLOAT, PRIMARY KEY (id))",
    "CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100",
    "INSERT INTO customers (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c')",
]


@pytest.fixture
async def source() -> AsyncIterator[DataSource]:
    async with scratch() as ds:
        conn = await SnowflakeConnector(ds).connect()
        try:
            for sql in DDL:
                await conn.execute(sql)
        finally:
            await conn.aclose()
        yield ds


def schema_of(source: DataSource) -> str:
    assert source.url.database is not None
    return source.url.database.split("/")[1]


async def test_catalog_of_current_schema_in_one_statement(
    conn: SnowflakeConnection, source: DataSource, snowflake_emulator: Emulator
) -> None:
    before = len(snowflake_emulator.get("/sqltest/history"))
    catalog = await conn.catalog()
    assert len(snowflake_emulator.get("/sqltest/history")) == before + 1
    schema = schema_of(source)
    assert catalog.schema == schema
    assert sorted(catalog.tables) == ["BIG_ORDERS", "CUSTOMERS", "ORDERS"]
    customers = catalog["CUSTOMERS"]
    assert (customers.schema, customers.kind, customers.row_estimate) == (
        schema,
        "table",
        3,
    )
    assert customers.columns == (
        Column("ID", "number(38,0)", False, 1),
        Column("NAME", "varchar(40)", False, 2),
        Column("BALANCE", "number(12,2)", True, 3),
        Column("JOINED", "timestamp_ntz", True, 4),
        Column("PHOTO", "binary", True, 5),
        Column("EXTRA", "variant", True, 6),
    )
    view = catalog["BIG_ORDERS"]
    assert (view.kind, view.row_estimate) == ("view", None)
    assert [c.name for c in view.columns] == ["ID", "TOTAL"]
    assert catalog["ORDERS"].column("TOTAL").data_type == "float"


async def test_catalog_of_named_schema(
    conn: SnowflakeConnection, source: DataSource
) -> None:
    catalog = await conn.catalog(schema_of(source))
    assert sorted(catalog.tables) == ["BIG_ORDERS", "CUSTOMERS", "ORDERS"]
    assert len(await conn.catalog("NO_SUCH_SCHEMA")) == 0


async def test_schemas_lists_the_current_database(
    conn: SnowflakeConnection, source: DataSource
) -> None:
    names = await conn.schemas()
    assert schema_of(source) in names
    assert "INFORMATION_SCHEMA" in names


async def test_scratch_schema_is_dropped_afterwards() -> None:
    async with scratch() as ds:
        schema = schema_of(ds)
        conn = await SnowflakeConnector(ds).connect()
    try:
        assert schema not in await conn.schemas()
    finally:
        await conn.aclose()


@pytest.mark.xfail(
    strict=True,
    raises=QueryError,
    reason="fakesnow cannot parse the ->> pipe operator that chains SHOW ... KEYS",
)
async def test_keys_on_the_emulator(source: DataSource) -> None:
    keyed = source.model_copy(update={"options": {"catalog_keys": True}})
    conn = await SnowflakeConnector(keyed).connect()
    try:
        catalog = await conn.catalog()
    finally:
        await conn.aclose()
    assert catalog["CUSTOMERS"].primary_key == ("ID",)


# -- unit test: assembling rows shaped like real Snowflake's pipe output ----------


def column(table: str, name: str, pos: int, **extra: Any) -> dict[str, Any]:
    row = {
        "KIND": "column",
        "TABLE_NAME": table,
        "TABLE_TYPE": "BASE TABLE",
        "ROW_COUNT": 10,
        "COLUMN_NAME": name,
        "DATA_TYPE": "NUMBER",
        "IS_NULLABLE": "NO",
        "ORDINAL_POSITION": pos,
        "CHARACTER_MAXIMUM_LENGTH": None,
        "NUMERIC_PRECISION": 38,
        "NUMERIC_SCALE": 0,
        "KEY_NAME": None,
        "REF_SCHEMA": None,
        "REF_TABLE": None,
        "REF_COLUMN": None,
    }
    return row | extra


def key(
    kind: str, table: str, name: str, seq: int, key_name: str, *ref: str
) -> dict[str, Any]:
    ref_schema, ref_table, ref_column = ref or (None, None, None)
    return column(table, name, seq) | {
        "KIND": kind,
        "TABLE_TYPE": None,
        "ROW_COUNT": None,
        "KEY_NAME": key_name,
        "REF_SCHEMA": ref_schema,
        "REF_TABLE": ref_table,
        "REF_COLUMN": ref_column,
    }


def test_build_catalog_orders_composite_keys_by_sequence() -> None:
    rows = [
        column("LINES", "ORDER_ID", 1),
        column("LINES", "LINE_NO", 2),
        column("LINES", "SKU", 3, DATA_TYPE="TEXT", CHARACTER_MAXIMUM_LENGTH=16777216),
        column("LINES", "CODE", 4, DATA_TYPE="TEXT", IS_NULLABLE="YES"),
        column("ORDERS", "ID", 1),
        column("V", "ID", 1, TABLE_TYPE="VIEW", ROW_COUNT=None),
        column("MV", "ID", 1, TABLE_TYPE="MATERIALIZED VIEW"),
        key("pk", "LINES", "LINE_NO", 2, "PK_LINES"),
        key("pk", "LINES", "ORDER_ID", 1, "PK_LINES"),
        key("fk", "LINES", "CODE", 2, "FK_PROD", "CAT", "PRODUCTS", "CODE"),
        key("fk", "LINES", "SKU", 1, "FK_PROD", "CAT", "PRODUCTS", "SKU"),
        key("fk", "LINES", "ORDER_ID", 1, "FK_ORDER", "S", "ORDERS", "ID"),
    ]
    catalog = _build_catalog("S", rows)
    lines = catalog["LINES"]
    assert lines.primary_key == ("ORDER_ID", "LINE_NO")
    assert lines.foreign_keys == (
        ForeignKey("FK_ORDER", ("ORDER_ID",), "S", "ORDERS", ("ID",)),
        ForeignKey("FK_PROD", ("SKU", "CODE"), "CAT", "PRODUCTS", ("SKU", "CODE")),
    )
    assert lines.column("SKU").data_type == "varchar(16777216)"
    assert lines.column("CODE").nullable
    assert lines.row_estimate == 10
    assert catalog["ORDERS"].primary_key == ()
    assert (catalog["V"].kind, catalog["V"].row_estimate) == ("view", None)
    assert (catalog["MV"].kind, catalog["MV"].row_estimate) == ("view", None)


def test_build_catalog_of_empty_schema() -> None:
    assert len(_build_catalog(f"S{uuid.uuid4().hex}", [])) == 0
