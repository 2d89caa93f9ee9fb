"""Catalog: one information_schema query per schema (a MySQL database)."""

from __future__ import annotations

from sqltest_core.connectors import Column, ForeignKey, collect, open_pool
from sqltest_core.connectors.mysql import MySQLConnector

from .harness import scratch

DDL = [
    "CREATE TABLE parent (a INT, b VARCHAR(10), note TEXT, PRIMARY KEY (a, b),"
    " UNIQUE KEY ba (b, a))"
    " ENGINE=InnoDB",
    "CREATE TABLE child (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,"
    " pa INT NOT NULL, pb VARCHAR(10) NOT NULL, amount DECIMAL(12,2),"
    " color ENUM('Red','green'),"
    " CONSTRAINT fk_parent FOREIGN KEY (pb, pa) REFERENCES parent (b, a))"
    " ENGINE=InnoDB",
    "CREATE VIEW child_view AS SELECT id, amount FROM child",
    "INSERT INTO parent VALUES (1, 'x', NULL), (2, 'y', NULL), (3, 'z', 'n')",
    "ANALYZE TABLE parent",
]


async def selects_run(conn: object) -> int:
    table = await collect(
        conn.stream("SHOW SESSION STATUS LIKE 'Com_select'")  # type: ignore[attr-defined]
    )
    return int(table.column(1)[0].as_py())


async def test_catalog_reads_tables_views_columns_and_keys_in_one_query() -> None:
    async with scratch() as source:
        conn = await MySQLConnector(source).connect()
        try:
            for sql in DDL:
                await conn.execute(sql)
            before = await selects_run(conn)
            catalog = await conn.catalog()
            assert await selects_run(conn) - before == 1
        finally:
            await conn.aclose()
    database = source.url.database
    assert catalog.schema == database
    assert list(catalog.tables) == ["child", "child_view", "parent"]

    parent = catalog["parent"]
    assert (parent.kind, parent.primary_key, parent.row_estimate) == (
        "table",
        ("a", "b"),
        3,
    )
    assert parent.columns == (
        Column("a", "int(11)", False, 1),
        Column("b", "varchar(10)", False, 2),
        Column("note", "text", True, 3),
    )
    child = catalog["child"]
    assert child.primary_key == ("id",)
    assert child.column("id").data_type == "bigint(20) unsigned"
    assert child.column("amount") == Column("amount", "decimal(12,2)", True, 4)
    assert child.column("color").data_type == "enum('Red','green')"
    assert child.foreign_keys == (
        ForeignKey("fk_parent", ("pb", "pa"), database, "parent", ("b", "a")),
    )
    view = catalog["child_view"]
    assert (view.kind, view.row_estimate, view.primary_key) == ("view", None, ())
    assert [c.name for c in view.columns] == ["id", "amount"]


async def test_catalog_of_a_named_schema_and_the_schema_list() -> None:
    async with scratch() as source, scratch() as other:
        other_db = other.url.database
        assert other_db is not None
        async with open_pool(source) as db:
            await db.execute(f"CREATE TABLE `{other_db}`.lonely (x INT)")
            catalog = await db.catalog(other_db)
            assert catalog.schema == other_db
            assert list(catalog.tables) == ["lonely"]
            assert catalog["lonely"].primary_key == ()
            empty = await db.catalog()
            assert (empty.schema, len(empty)) == (source.url.database, 0)
            schemas = await db.schemas()
    assert {source.url.database, other_db} <= set(schemas)
    assert not {"information_schema", "mysql", "performance_schema"} & set(schemas)
