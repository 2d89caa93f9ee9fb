"""SQLite catalogs: one query per schema over the pragma table-valued functions."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqltest_core import QueryError
from sqltest_core.connectors import Column, ForeignKey
from sqltest_core.connectors.sqlite import SQLiteConnection

SCHEMA = [
    "create table parent (id integer primary key, code text not null unique)",
    "create table pair (a text, b integer, note varchar(30), primary key (a, b))",
    "create table keyed (k text primary key, v blob) without rowid",
    """create table child (
        id integer primary key,
        parent_id integer references parent,
        a text, b integer,
        total numeric(10, 2) not null default 0,
        doubled integer generated always as (parent_id * 2) virtual,
        foreign key (a, b) references pair (a, b) on delete cascade
    )""",
    "create view child_view as select id, total, total * 2 as twice from child",
    "create virtual table docs using fts5(body)",
]


async def _create(conn: SQLiteConnection, statements: list[str] = SCHEMA) -> None:
    for sql in statements:
        await conn.execute(sql)


async def test_catalog_reads_tables_views_columns_and_keys(
    conn: SQLiteConnection,
) -> None:
    await _create(conn)
    catalog = await conn.catalog()
    assert catalog.schema == "main"
    # FTS5 keeps its data in shadow tables; only the virtual table itself shows.
    assert sorted(catalog.tables) == [
        "child",
        "child_view",
        "docs",
        "keyed",
        "pair",
        "parent",
    ]
    child = catalog["child"]
    assert child.kind == "table"
    assert child.columns == (
        Column("id", "integer", False, 1),  # INTEGER PRIMARY KEY is the rowid
        Column("parent_id", "integer", True, 2),
        Column("a", "text", True, 3),
        Column("b", "integer", True, 4),
        Column("total", "numeric(10, 2)", False, 5),
        Column("doubled", "integer", True, 6),  # generated columns are real columns
    )
    assert child.primary_key == ("id",)
    assert sorted(child.foreign_keys, key=lambda fk: fk.referred_table) == [
        ForeignKey(None, ("a", "b"), "main", "pair", ("a", "b")),
        # "references parent" names no column: the parent's primary key is meant.
        ForeignKey(None, ("parent_id",), "main", "parent", ("id",)),
    ]
    pair = catalog["pair"]
    assert pair.primary_key == ("a", "b")
    # A SQLite quirk: other primary keys of rowid tables accept NULL.
    assert [c.nullable for c in pair.columns] == [True, True, True]
    assert catalog["keyed"].columns[0] == Column("k", "text", False, 1)  # WITHOUT ROWID
    view = catalog["child_view"]
    assert view.kind == "view"
    assert view.columns == (
        Column("id", "integer", True, 1),
        Column("total", "numeric(10, 2)", True, 2),
        Column("twice", "", True, 3),  # an expression has no declared type
    )
    assert view.primary_key == () and view.row_estimate is None
    assert catalog["docs"].columns == (Column("body", "", True, 1),)
    assert all(
        t.row_estimate is None for t in catalog.tables.values()
    )  # no ANALYZE yet


async def test_catalog_is_one_statement(conn: SQLiteConnection) -> None:
    await _create(conn)
    statements: list[str] = []
    conn._raw.set_trace_callback(statements.append)
    await conn.catalog()
    assert len([s for s in statements if not s.startswith("--")]) == 1
    await conn.execute("analyze")  # now with sqlite_stat1
    statements.clear()
    await conn.catalog()
    conn._raw.set_trace_callback(None)
    # The pragma functions trace their own work as "-- PRAGMA" comments.
    assert [s for s in statements if not s.startswith("--")] == statements[:1]


async def test_row_estimates_come_from_sqlite_stat1(conn: SQLiteConnection) -> None:
    await _create(conn)
    await conn.execute("insert into parent (code) values ('a'), ('b'), ('c')")
    await conn.execute("insert into pair values ('x', 1, null)")
    await conn.execute("analyze")
    catalog = await conn.catalog()
    assert catalog["parent"].row_estimate == 3
    assert catalog["pair"].row_estimate == 1
    assert catalog["child"].row_estimate is None  # empty tables get no statistics
    assert catalog["child_view"].row_estimate is None


async def test_a_view_over_a_dropped_table_does_not_hide_the_catalog(
    conn: SQLiteConnection,
) -> None:
    await _create(
        conn, ["create table base (x integer)", "create table other (y text)"]
    )
    await conn.execute("create view stale as select x from base")
    await conn.execute("create view fine as select y from other")
    await conn.execute("drop table base")
    catalog = await conn.catalog()
    assert sorted(catalog.tables) == ["fine", "other", "stale"]
    assert catalog["stale"].columns == ()
    assert catalog["fine"].columns == (Column("y", "text", True, 1),)


async def test_schemas_are_the_attached_databases(
    conn: SQLiteConnection, tmp_path: Path
) -> None:
    assert await conn.schemas() == ["main", "temp"]
    await conn.execute("attach database ? as aux", [str(tmp_path / "aux.db")])
    await conn.execute("create table aux.extra (id integer primary key, label text)")
    await conn.execute("create temp table scratch (x real)")
    assert await conn.schemas() == ["main", "temp", "aux"]
    aux = await conn.catalog("aux")
    assert aux.schema == "aux"
    assert list(aux.tables) == ["extra"]
    assert aux["extra"].schema == "aux"
    temp = await conn.catalog("temp")
    assert list(temp.tables) == ["scratch"]
    assert temp["scratch"].columns == (Column("x", "real", True, 1),)
    assert len(await conn.catalog()) == 0  # main is untouched


async def test_unknown_schema_is_a_query_error(conn: SQLiteConnection) -> None:
    with pytest.raises(QueryError, match="nowhere"):
        await conn.catalog("nowhere")
