"""Fixtures: named data that stands in for a table while a test runs.

A :class:`Fixture` says where its rows come from (inline rows, a CSV or
Parquet file, an Arrow table or polars frame, a query, a generator spec, or a
function) and how long its data lives (``scope``). Rows are computed once per
scope and cached as a ``pyarrow.Table``; each test then puts them in place
inside its own isolation, so a cached fixture is never shared mutable state.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, overload

import anyio
import pyarrow as pa

from sqltest_core.errors import ConfigError

if TYPE_CHECKING:
    from sqltest_core.testing._generate import TableSpec

__all__ = ["Fixture", "FixtureStore", "Scope", "fixture", "parse_schema"]

Scope = Literal["test", "module", "session"]
Load = Literal["auto", "inline", "table"]
SchemaLike: TypeAlias = "pa.Schema | Mapping[str, str | pa.DataType]"
_DECIMAL = re.compile(r"^(?:decimal|numeric)\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$", re.I)
_ALIASES = {
    "int": "int32",
    "integer": "int32",
    "bigint": "int64",
    "smallint": "int16",
    "text": "string",
    "varchar": "string",
    "boolean": "bool",
    "float": "float32",
    "double": "float64",
    "date": "date32",
    "timestamp": "timestamp[us]",
    "timestamptz": "timestamp[us, tz=UTC]",
}


def _arrow_type(text: str | pa.DataType) -> pa.DataType:
    if isinstance(text, pa.DataType):
        return text
    spec = text.strip()
    match = _DECIMAL.match(spec)
    if match:
        return pa.decimal128(int(match[1]), int(match[2]))
    name = _ALIASES.get(spec.casefold(), spec)
    if name == "timestamp[us, tz=UTC]":
        return pa.timestamp("us", "UTC")
    try:
        return pa.type_for_alias(name)
    except ValueError:
        raise ConfigError(
            f"unknown column type {text!r} (try int64, string, decimal(10,2), "
            "date, timestamp, timestamptz, bool, float64)"
        ) from None


def parse_schema(schema: SchemaLike) -> pa.Schema:
    """An Arrow schema from a mapping of column names to type names.

    >>> parse_schema({"id": "int32", "amount": "decimal(10, 2)", "at": "timestamptz"})
    id: int32
    amount: decimal128(10, 2)
    at: timestamp[us, tz=UTC]
    """
    if isinstance(schema, pa.Schema):
        return schema
    return pa.schema([(name, _arrow_type(t)) for name, t in schema.items()])


@dataclass(frozen=True, slots=True)
class Fixture:
    """A named source of rows for one table.

    Give exactly one of ``rows``, ``path``, ``data``, ``sql``, ``spec`` or
    ``func``. Columns of ``schema`` that the rows omit become NULL.

    Attributes:
        table: The table the rows stand in for (``orders``, ``sales.orders``).
        rows: Inline rows, as dicts.
        path: A CSV, Parquet or Arrow IPC file (relative to ``base_dir``).
        data: An Arrow table or polars frame.
        sql: A query producing the rows, run on the test's database (it may
            read the fixtures it depends on).
        spec: A :class:`~sqltest_core.testing.TableSpec` for generated rows.
        func: A (possibly async) function returning rows, given the tables of
            its dependencies as keyword arguments (see :func:`fixture`).
        schema: Column types (an Arrow schema or ``{"id": "int32"}``).
        scope: How long the computed rows are reused: ``test``, ``module``
            (a test file or class) or ``session`` (the run).
        depends_on: Names of fixtures this one reads.
        load: ``inline`` (literal rows in the query), ``table`` (a real,
            isolated table named like ``table``, for views and DML under test)
            or ``auto`` (inline, falling back to a table when too large).
        seed: Seed of generated rows.
        name: The fixture's name; defaults to ``table``.
        base_dir: Directory ``path`` is relative to.

    >>> f = Fixture("orders", rows=[{"id": 1}], schema={"id": "int32"})
    >>> f.name, f.scope
    ('orders', 'test')
    """

    table: str
    rows: Sequence[Mapping[str, Any]] | None = None  # Any: cells of any type
    path: str | None = None
    data: Any = None  # Any: pyarrow.Table or polars.DataFrame
    sql: str | None = None
    spec: TableSpec | None = None
    func: Callable[..., Any] | None = None  # Any: returns rows or awaitable rows
    schema: SchemaLike | None = None
    scope: Scope = "test"
    depends_on: tuple[str, ...] = ()
    load: Load = "auto"
    seed: int | None = None
    name: str = ""
    base_dir: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.table)
        given = [
            k
            for k in ("rows", "path", "data", "sql", "spec", "func")
            if getattr(self, k) is not None
        ]
        if len(given) != 1:
            raise ConfigError(
                f"fixture {self.name!r}: give exactly one of rows, path, data, "
                f"sql, spec or func (got {given or 'none'})"
            )
        if self.scope not in ("test", "module", "session"):
            raise ConfigError(f"fixture {self.name!r}: unknown scope {self.scope!r}")
        if self.load not in ("auto", "inline", "table"):
            raise ConfigError(f"fixture {self.name!r}: unknown load {self.load!r}")

    def with_base_dir(self, base_dir: str | Path) -> Fixture:
        """The fixture with relative file paths resolved against ``base_dir``."""
        return replace(self, base_dir=str(base_dir))


@overload
def fixture(func: Callable[..., Any], /) -> Fixture: ...
@overload
def fixture(
    *,
    table: str | None = None,
    scope: Scope = "test",
    schema: SchemaLike | None = None,
    load: Load = "auto",
) -> Callable[[Callable[..., Any]], Fixture]: ...
def fixture(
    func: Callable[..., Any] | None = None,
    /,
    *,
    table: str | None = None,
    scope: Scope = "test",
    schema: SchemaLike | None = None,
    load: Load = "auto",
) -> Fixture | Callable[[Callable[..., Any]], Fixture]:
    """Make a fixture of a (possibly async) function returning its rows.

    The function's name is the fixture's name (and table, unless ``table`` is
    given); its parameters name the fixtures it depends on, whose tables it
    receives.

    >>> @fixture(scope="session")
    ... def customers():
    ...     return [{"id": 1, "name": "ann"}]
    >>> @fixture
    ... async def orders(customers):
    ...     return [{"id": 10, "customer_id": customers["id"][0].as_py()}]
    >>> orders.depends_on, customers.scope
    (('customers',), 'session')
    """

    def wrap(fn: Callable[..., Any]) -> Fixture:
        deps = tuple(inspect.signature(fn).parameters)
        return Fixture(
            table or fn.__name__,
            func=fn,
            name=fn.__name__,
            scope=scope,
            schema=schema,
            load=load,
            depends_on=deps,
        )

    return wrap(func) if func is not None else wrap


Query = Callable[[str, Mapping[str, pa.Table]], Awaitable[pa.Table]]


class FixtureStore:
    """Computes fixtures' tables, once per scope, in dependency order.

    One store serves a whole run: ``session`` fixtures are computed once,
    ``module`` fixtures once per module key, ``test`` fixtures every time.
    """

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str, str], pa.Table] = {}
        self._locks: dict[tuple[str, str, str], anyio.Lock] = {}

    async def resolve(
        self,
        fixtures: Sequence[Fixture],
        *,
        module: str = "",
        query: Query | None = None,
    ) -> dict[str, pa.Table]:
        """The table of every fixture, by fixture name.

        Args:
            fixtures: The test's fixtures; each dependency must be among them.
            module: Key of the test's module (file or class) for ``module`` scope.
            query: Runs a fixture's ``sql`` given the tables it depends on.

        Raises:
            ConfigError: unknown dependency, a dependency cycle, or bad data.
        """
        by_name = {f.name: f for f in fixtures}
        order = _order(by_name)
        tables: dict[str, pa.Table] = {}
        for name in order:
            fx = by_name[name]
            deps = {d: tables[d] for d in fx.depends_on}
            key = (fx.scope, module if fx.scope == "module" else "", name)
            if fx.scope == "test":
                tables[name] = await _materialize(fx, deps, query)
                continue
            lock = self._locks.setdefault(key, anyio.Lock())
            async with lock:
                if key not in self._cache:
                    self._cache[key] = await _materialize(fx, deps, query)
            tables[name] = self._cache[key]
        return tables


def _order(by_name: Mapping[str, Fixture]) -> list[str]:
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise ConfigError(
                "fixture dependency cycle: " + " -> ".join((*trail, name))
            )
        if name not in by_name:
            raise ConfigError(f"fixture {trail[-1]!r} depends on unknown {name!r}")
        state[name] = 1
        for dep in by_name[name].depends_on:
            visit(dep, (*trail, name))
        state[name] = 2
        order.append(name)

    for name in by_name:
        visit(name, ())
    return order


async def _materialize(
    fx: Fixture, deps: Mapping[str, pa.Table], query: Query | None
) -> pa.Table:
    schema = parse_schema(fx.schema) if fx.schema is not None else None
    value: Any
    if fx.sql is not None:
        if query is None:
            raise ConfigError(f"fixture {fx.name!r} runs SQL but no database is open")
        value = await query(fx.sql, deps)
    elif fx.func is not None:
        value = fx.func(**deps)
        if inspect.isawaitable(value):
            value = await value
    elif fx.spec is not None:
        from sqltest_core.testing._generate import generate

        value = generate([fx.spec], seed=fx.seed or 0)[fx.spec.name]
    elif fx.path is not None:
        value = Path(fx.path)
    elif fx.rows is not None:
        value = list(fx.rows)
    else:
        value = fx.data
    try:
        return to_table(value, schema=schema, base_dir=fx.base_dir)
    except ConfigError as exc:
        raise ConfigError(f"fixture {fx.name!r}: {exc.message}") from None
    except (ValueError, TypeError, OSError, pa.ArrowException) as exc:
        raise ConfigError(f"fixture {fx.name!r}: {exc}") from None


def to_table(
    value: Any, *, schema: pa.Schema | None = None, base_dir: str | None = None
) -> pa.Table:
    """Rows, a file, an Arrow table or a polars frame as a ``pyarrow.Table``.

    Columns of ``schema`` that the data omits are NULL (see
    :func:`sqltest_core.testing._data.to_table`).
    """
    from sqltest_core.testing._data import to_table as convert

    return convert(
        value, schema=schema, base_dir=Path(base_dir) if base_dir is not None else None
    )


def _read_file(path: Path) -> pa.Table:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        import pyarrow.csv as pacsv

        return pacsv.read_csv(path)
    if suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        return pq.read_table(path)
    if suffix in (".arrow", ".feather", ".ipc"):
        import pyarrow.feather as feather

        return feather.read_table(path)
    raise ConfigError(f"unknown fixture file type {path.name!r} (csv, parquet, arrow)")


def _fallback_table(
    value: Any, schema: pa.Schema | None, base_dir: str | None
) -> pa.Table:
    from sqltest_core.testing._frames import to_arrow

    if isinstance(value, str | Path):
        path = Path(value)
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        table = _read_file(path)
        return table if schema is None else table.select(schema.names).cast(schema)
    if schema is not None and isinstance(value, list):
        value = [{name: row.get(name) for name in schema.names} for row in value]
    return to_arrow(value, schema=schema)
