"""Coverage of a schema by tests and rules, from the SQL that actually ran.

Each statement is parsed with sqlglot and qualified against the schema's
catalog (so ``SELECT *`` and unqualified columns resolve); the tables, views
and columns it reads count as covered. Unit tests read their statements from
``details["source_sql"]`` (the SQL before mocking: a mocked table is still the
table under test) and report the output columns their expectations compared
in ``details["asserted_columns"]``; rules use their ``sql``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import traverse_scope

from sqltest_core.results import Coverage
from sqltest_core.rules._dialects import dialect_of

if TYPE_CHECKING:
    from sqltest_core.connectors import Catalog
    from sqltest_core.results import RuleResult, RunResult

__all__ = ["Coverage", "measure_coverage"]


def _statements(result: RuleResult) -> list[str]:
    source = result.details.get("source_sql")
    if isinstance(source, list):
        return [str(s) for s in source]
    return list(result.sql)


def _reads(
    sql: str, dialect: str, schema: Mapping[str, Mapping[str, str]]
) -> tuple[set[str], set[str], list[str]]:
    """Tables and ``table.column`` s one statement reads, and its output names."""
    read = dialect_of(dialect)
    try:
        tree = sqlglot.parse_one(sql, read=read)
    except SqlglotError:
        return set(), set(), []
    with_schema: dict[str, object] = {k: dict(v) for k, v in schema.items()}
    try:
        tree = qualify(
            tree, schema=with_schema, dialect=read, validate_qualify_columns=False
        )
    except SqlglotError:
        pass
    tables: set[str] = set()
    columns: set[str] = set()
    known = {k.casefold(): k for k in schema}
    for scope in traverse_scope(tree) if isinstance(tree, exp.Query) else []:
        for _node, source in scope.selected_sources.values():
            if isinstance(source, exp.Table) and source.name.casefold() in known:
                tables.add(known[source.name.casefold()])
        for col in scope.columns:
            origin = scope.sources.get(col.table)
            if isinstance(origin, exp.Table):
                table = known.get(origin.name.casefold())
                if table is not None:
                    columns.add(f"{table}.{col.name.casefold()}")
    for ref in tree.find_all(exp.Table):  # DML targets, subqueries not scoped
        if ref.name.casefold() in known:
            tables.add(known[ref.name.casefold()])
    outputs = list(tree.named_selects) if isinstance(tree, exp.Query) else []
    return tables, columns, outputs


def measure_coverage(
    run: RunResult | Iterable[RuleResult], catalog: Catalog, *, dialect: str
) -> Coverage:
    """Coverage of ``catalog``'s schema by the statements of ``run``'s results.

    >>> from sqltest_core.connectors import Catalog, Column, Table
    >>> from sqltest_core.results import RuleResult
    >>> cols = lambda *n: tuple(Column(c, "int", True, i) for i, c in enumerate(n))
    >>> cat = Catalog.of("main", [
    ...     Table("main", "orders", "table", cols("id", "amount")),
    ...     Table("main", "users", "table", cols("id"))])
    >>> r = RuleResult(rule_id="t", status="passed", kind="test", details={
    ...     "source_sql": ["SELECT id, amount * 2 AS twice FROM orders"],
    ...     "asserted_columns": ["twice"]})
    >>> cov = measure_coverage([r], cat, dialect="duckdb")
    >>> cov.table_percent, cov.column_percent, cov.uncovered_columns
    (50.0, 66.7, ('users.id',))
    >>> cov.outputs, cov.outputs_asserted
    (('t: id', 't: twice'), ('t: twice',))
    """
    results = run.results if hasattr(run, "results") else tuple(run)
    schema = {
        name: {c.name.casefold(): c.data_type for c in t.columns}
        for name, t in catalog.tables.items()
    }
    tables = tuple(sorted(schema))
    columns = tuple(f"{t}.{c}" for t in tables for c in schema[t])
    tables_read: set[str] = set()
    columns_read: set[str] = set()
    outputs: list[str] = []
    asserted: list[str] = []
    for result in results:
        last: list[str] = []
        for sql in _statements(result):
            t, c, out = _reads(sql, dialect, schema)
            tables_read |= t
            columns_read |= c
            last = out or last
        if result.kind == "test":
            wanted = {
                str(c).casefold() for c in result.details.get("asserted_columns", ())
            }
            for name in dict.fromkeys(last):
                outputs.append(f"{result.rule_id}: {name}")
                if name.casefold() in wanted:
                    asserted.append(f"{result.rule_id}: {name}")
    return Coverage(
        schema_name=catalog.schema,
        tables=tables,
        tables_read=tuple(t for t in tables if t in tables_read),
        columns=columns,
        columns_read=tuple(c for c in columns if c in columns_read),
        outputs=tuple(outputs),
        outputs_asserted=tuple(asserted),
    )
