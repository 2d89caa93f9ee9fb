"""The SQL the connector writes is valid Snowflake SQL (checked with sqlglot).

The emulator cannot run the keyed catalog statement, so its shape is checked
here: three statements chained by ``->>``, each parsed in the snowflake dialect.
"""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from sqltest_core.connectors.snowflake import SnowflakeConnection, catalog_sql
from sqltest_core_tests.connectors.snowflake.harness import sleep_sql


def parse(sql: str) -> exp.Expr:
    [tree] = sqlglot.parse(sql, read="snowflake", error_level=sqlglot.ErrorLevel.RAISE)
    assert tree is not None
    return tree


def piped(sql: str) -> list[exp.Expr]:
    return [parse(part) for part in sql.split("->>")]


@pytest.mark.parametrize("schema", ["SALES", "we\"ird's \\ schema"])
def test_keyed_catalog_is_show_show_select(schema: str) -> None:
    show_pk, show_fk, select = piped(catalog_sql(schema, keys=True))
    assert isinstance(show_pk, exp.Show) and show_pk.name == "PRIMARY KEYS"
    assert isinstance(show_fk, exp.Show) and show_fk.name == "IMPORTED KEYS"
    for show in (show_pk, show_fk):
        assert show.args["scope_kind"] == "SCHEMA"
        assert show.args["scope"].name == schema  # a quoted identifier, exactly
    assert isinstance(select, exp.Union)
    # $2 is two statements back (primary keys), $1 the one just before (imported keys).
    sources = {
        t.alias: t.this.sql("snowflake")
        for t in select.find_all(exp.Table)
        if isinstance(t.this, exp.Parameter)
    }
    assert sources == {"pk": "$2", "fk": "$1"}
    filters = [
        e.expression.this
        for e in select.find_all(exp.EQ)
        if isinstance(e.expression, exp.Literal)
    ]
    assert filters == [schema]


def test_current_schema_catalog_needs_no_name() -> None:
    show_pk, show_fk, select = piped(catalog_sql(None, keys=True))
    assert show_pk.args.get("scope") is None and show_fk.args.get("scope") is None
    assert any(
        f.name.upper() == "CURRENT_SCHEMA" for f in select.find_all(exp.Func)
    ) or "CURRENT_SCHEMA()" in select.sql("snowflake")


def test_catalog_without_keys_is_one_select() -> None:
    sql = catalog_sql("S", keys=False)
    assert "->>" not in sql
    tree = parse(sql)
    assert isinstance(tree, exp.Select)
    tables = {t.sql("snowflake") for t in tree.find_all(exp.Table)}
    assert tables == {
        "information_schema.columns AS c",
        "information_schema.tables AS t",
        "information_schema.views AS v",
    }


def test_transaction_statements_parse() -> None:
    assert isinstance(parse(SnowflakeConnection.begin_sql), exp.Transaction)
    assert isinstance(parse(SnowflakeConnection.commit_sql), exp.Commit)
    assert isinstance(parse(SnowflakeConnection.rollback_sql), exp.Rollback)


def test_sleep_sql_is_one_select() -> None:
    tree = parse(sleep_sql(1.5))
    assert isinstance(tree, exp.Select)
    assert "SYSTEM$WAIT(1500, 'MILLISECONDS')" in tree.sql("snowflake")
