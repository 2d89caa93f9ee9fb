"""A unit test's handle on its database: fixtures in place, clock frozen."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from sqltest_core.errors import FixtureTooLarge, UnsupportedFeature
from sqltest_core.rules._dialects import render, table
from sqltest_core.testing._clock import freeze_clock
from sqltest_core.testing._diff import ResultMismatch
from sqltest_core.testing._fixture import Fixture, FixtureStore
from sqltest_core.testing._isolation import Isolation, RunId, Scratch
from sqltest_core.testing._load import load_table
from sqltest_core.testing._mock import (
    DEFAULT_MAX_CELLS,
    _fixture_parts,
    _parts,
    mock_tables,
    parse_query,
)
from sqltest_core.testing._snapshot import assert_snapshot, explain_cost, snapshot_path

if TYPE_CHECKING:
    import pyarrow as pa

    from sqltest_core.connectors import Connection

__all__ = ["RunOptions", "TestDB"]


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Settings every test of one run shares."""

    run: RunId = field(default_factory=RunId.new)
    isolation: Isolation | None = None
    snapshot_dir: str = "__snapshots__"
    update_snapshots: bool | None = None
    max_cells: int = DEFAULT_MAX_CELLS
    template: str | None = None
    store: FixtureStore = field(default_factory=FixtureStore)


class TestDB:
    """A test's view of its database: queries see its fixtures and frozen clock.

    Attributes:
        conn: The connection, lent to this test alone, inside its isolation.
        dialect: The engine's sqlglot dialect.
        scratch: Where the test's tables go.
        statements: Every statement run, as sent (mocked).
        source_sql: The same statements before mocking (for coverage).
        asserted: Output columns the test's expectations compared.
    """

    __test__ = False

    def __init__(
        self,
        scratch: Scratch,
        *,
        dialect: str,
        test_id: str = "test",
        options: RunOptions | None = None,
        freeze_time: dt.datetime | None = None,
    ) -> None:
        self.scratch = scratch
        self.conn: Connection = scratch.conn
        self.dialect = dialect
        self.test_id = test_id
        self.options = options or RunOptions()
        self.freeze_time = freeze_time
        self.statements: list[str] = []
        self.source_sql: list[str] = []
        self.asserted: set[str] = set()
        self._inline: dict[str, pa.Table] = {}
        self._renamed: dict[str, str] = {}
        self._temporary: list[str] = []
        self._loaded = 0

    async def install(
        self, fixtures: Sequence[Fixture], tables: Mapping[str, pa.Table]
    ) -> None:
        """Put each fixture's rows in place: inline, or as a table (``load``)."""
        for fx in fixtures:
            data = tables[fx.name]
            if fx.load == "table":
                name = fx.table.split(".")[-1]
                await self.load(name, data)
                if name != fx.table:
                    self._renamed[fx.table] = name
            else:
                self._inline[fx.table] = data

    async def load(self, name: str, data: pa.Table) -> str:
        """Create table ``name`` holding ``data`` inside the test's isolation.

        Raises:
            UnsupportedFeature: on Snowflake in a transaction, where DDL commits.
        """
        temporary = self.scratch.temporary
        if self.dialect == "snowflake" and self.scratch.mode == "transaction":
            raise UnsupportedFeature(
                f"cannot create table {name!r} inside a transaction on Snowflake "
                "(DDL commits it): use isolation 'schema'"
            )
        await load_table(
            self.conn, name, data, temporary=temporary, dialect=self.dialect
        )
        kind = "temporary table" if temporary else "table"
        self.statements.append(f"-- loaded {data.num_rows} rows into {kind} {name}")
        if temporary:
            self._temporary.append(name)
        return name

    async def cleanup(self) -> None:
        """Drop temporary tables a rollback does not remove (MySQL)."""
        if self.dialect == "mysql":
            for name in self._temporary:
                target = render(table(name, "mysql"), "mysql")
                await self.conn.execute(f"DROP TEMPORARY TABLE IF EXISTS {target}")

    def _referenced(self, sql: str, names: Iterable[str]) -> list[str]:
        tree = parse_query(sql, self.dialect)
        refs = {
            tuple(p.casefold() for p in _parts(t)) for t in tree.find_all(exp.Table)
        }
        return [n for n in names if _fixture_parts(n, self.dialect) in refs]

    async def rewrite(self, sql: str) -> str:
        """``sql`` reading the fixtures (and the frozen clock) instead of tables."""
        candidates = [*self._inline, *self._renamed]
        if candidates:
            used = self._referenced(sql, candidates)
            mapping: dict[str, pa.Table | str] = {
                n: self._renamed.get(n) or self._inline[n] for n in used
            }
            while mapping:
                try:
                    sql = mock_tables(
                        sql,
                        mapping,
                        dialect=self.dialect,
                        max_cells=self.options.max_cells,
                    )
                    break
                except FixtureTooLarge as exc:
                    biggest = exc.tables[0]
                    self._loaded += 1
                    name = await self.load(
                        f"sqltest_fx_{self._loaded}", self._inline[biggest]
                    )
                    self._renamed[biggest] = mapping[biggest] = name
                    del self._inline[biggest]
        if self.freeze_time is not None:
            sql = freeze_clock(sql, self.freeze_time, dialect=self.dialect)
        return sql

    async def fetch(self, sql: str, *, mock: bool = True) -> pa.Table:
        """Run a query (mocked unless ``mock=False``); its rows as an Arrow table."""
        from sqltest_core.connectors import collect

        self.source_sql.append(sql)
        text = await self.rewrite(sql) if mock else sql
        self.statements.append(text)
        result = await collect(self.conn.stream(text))
        if self.dialect == "snowflake":  # unquoted names fold to upper case there
            result = result.rename_columns(
                [c.lower() if c.isupper() else c for c in result.column_names]
            )
        return result

    async def scalar(self, sql: str, *, mock: bool = True) -> Any:
        """The first cell of a query's result, or None when it has no row."""
        result = await self.fetch(sql, mock=mock)
        return result.column(0)[0].as_py() if result.num_rows else None

    async def execute(self, sql: str) -> int:
        """Run a statement (DDL, DML) as written; return the rows it affected."""
        self.source_sql.append(sql)
        self.statements.append(sql)
        return await self.conn.execute(sql)

    def assert_snapshot(self, result: pa.Table, name: str = "") -> None:
        """Compare ``result`` with this test's snapshot file (see ``_snapshot``)."""
        label = self.test_id + (f"::{name}" if name else "")
        assert_snapshot(
            result,
            snapshot_path(self.options.snapshot_dir, label),
            update=self.options.update_snapshots,
        )

    async def assert_budget(
        self, sql: str, *, max_ms: float | None = None, max_cost: float | None = None
    ) -> None:
        """Fail when the query takes over ``max_ms`` or its plan costs more."""
        text = await self.rewrite(sql)
        if max_cost is not None:
            cost = await explain_cost(self.conn, text, dialect=self.dialect)
            if cost > max_cost:
                raise ResultMismatch(
                    f"plan cost {cost:g} is over the budget of {max_cost:g}",
                    {"kind": "budget", "cost": cost, "max_cost": max_cost},
                )
        if max_ms is not None:
            started = time.perf_counter()
            await self.fetch(sql)
            took = (time.perf_counter() - started) * 1000
            if took > max_ms:
                raise ResultMismatch(
                    f"took {took:.1f} ms, over the budget of {max_ms:g} ms",
                    {"kind": "budget", "ms": took, "max_ms": max_ms},
                )

    async def _fixture_query(self, sql: str, deps: Mapping[str, pa.Table]) -> pa.Table:
        saved = dict(self._inline)
        self._inline.update(deps)
        try:
            return await self.fetch(sql)
        finally:
            self._inline = saved
