"""``*.sqltest.yml`` files: declarative SQL unit tests; errors name file, line, test."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sqltest_core.config._loader import Document, load_yaml, relabel, validate
from sqltest_core.errors import ConfigError
from sqltest_core.testing._case import Expect, SQLTest
from sqltest_core.testing._fixture import Fixture, Load, Scope, _arrow_type
from sqltest_core.testing._isolation import Isolation

if TYPE_CHECKING:
    from sqltest_core.testing._generate import TableSpec

__all__ = ["load_tests", "parse_tests"]


class _GenColumn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str
    nullable: bool = True
    unique: bool = False
    values: list[Any] | None = None  # Any: values of the column's type
    min: Any = None
    max: Any = None
    null_ratio: float = 0.1
    length: tuple[int, int] = (1, 12)


class _Generate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rows: int
    seed: int = 0
    columns: dict[str, _GenColumn]

    def spec(self, table: str) -> TableSpec:
        from sqltest_core.testing._generate import ColumnSpec, TableSpec

        columns = tuple(
            ColumnSpec(
                name,
                _arrow_type(c.type),
                nullable=c.nullable,
                unique=c.unique,
                values=tuple(c.values) if c.values is not None else None,
                min=c.min,
                max=c.max,
                null_ratio=c.null_ratio,
                length=c.length,
            )
            for name, c in self.columns.items()
        )
        return TableSpec(table, columns, self.rows)


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rows: list[dict[str, Any]] | None = None  # Any: cells of any type
    file: str | None = None
    sql: str | None = None
    generate: _Generate | None = None
    columns: dict[str, str] | None = None
    table: str | None = None
    scope: Scope | None = None
    load: Load = "auto"
    depends_on: list[str] = Field(default_factory=list)


class _Test(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str = ""
    sql: str | None = None
    sql_file: str | None = None
    view: str | None = None
    call: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)  # Any: checked per input
    setup: list[str] = Field(default_factory=list)
    expect: Expect = Expect()
    source: str | None = None
    isolation: Isolation | None = None
    freeze_time: dt.datetime | None = None
    cte: str | None = None
    marks: list[str] = Field(default_factory=list)
    skip: str | None = None


class _File(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str | None = None
    isolation: Isolation | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)  # Any: checked per input
    tests: list[Any]


def load_tests(
    path: str | os.PathLike[str], *, text: str | None = None
) -> list[SQLTest]:
    """The tests of a ``*.sqltest.yml`` file (``text``, if given, stands for it).

    >>> tests = load_tests("orders.sqltest.yml", text='''
    ... tests:
    ...   - name: big orders
    ...     sql: SELECT id FROM orders WHERE amount > 100
    ...     inputs:
    ...       orders:
    ...         rows: [{id: 1, amount: 50}, {id: 2, amount: 500}]
    ...     expect:
    ...       rows: [{id: 2}]
    ... ''')
    >>> tests[0].name, tests[0].fixtures[0].table, tests[0].expect.rows
    ('big orders', 'orders', [{'id': 2}])

    Raises:
        ConfigError: naming file, line and test, for any mistake.
    """
    return parse_tests(load_yaml(path, text=text))


def parse_tests(doc: Document) -> list[SQLTest]:
    """The tests of an already loaded YAML document (see :func:`load_tests`)."""
    if not isinstance(doc.data, dict) or not isinstance(doc.data.get("tests"), list):
        raise doc.error(("tests",), "expected a mapping with a 'tests:' list")
    head = validate(doc, _File)
    base = Path(doc.file).parent
    shared = {
        name: _fixture(doc, ("inputs", name), name, base, "module", "")
        for name in head.inputs
    }
    tests: list[SQLTest] = []
    seen: dict[str, int | None] = {}
    for i, entry in enumerate(doc.data["tests"]):
        at: tuple[str | int, ...] = ("tests", i)
        label = _label(entry, i)
        if not isinstance(entry, dict):
            raise _error(doc, at, label, "a test must be a mapping")
        try:
            spec = validate(doc, _Test, at=at)
        except ConfigError as exc:
            raise _wrap(exc, label) from None
        if spec.name in seen:
            raise _error(
                doc,
                (*at, "name"),
                label,
                f"duplicate test name (first defined on line {seen[spec.name]})",
            )
        seen[spec.name] = doc.line_of((*at, "name"))
        fixtures = dict(shared)
        for name in spec.inputs:
            path = (*at, "inputs", name)
            fixtures[name] = _fixture(doc, path, name, base, None, label)
        sql = spec.sql
        if spec.sql_file is not None:
            try:
                sql = (base / spec.sql_file).read_text()
            except OSError as exc:
                raise _error(doc, (*at, "sql_file"), label, str(exc)) from None
        try:
            tests.append(
                SQLTest(
                    name=spec.name,
                    description=spec.description,
                    sql=sql,
                    view=spec.view,
                    call=spec.call,
                    fixtures=tuple(fixtures.values()),
                    setup=tuple(spec.setup),
                    expect=spec.expect,
                    source=spec.source or head.source,
                    isolation=spec.isolation or head.isolation,
                    freeze_time=spec.freeze_time,
                    cte=spec.cte,
                    marks=tuple(spec.marks),
                    skip=spec.skip,
                    module=doc.file,
                    base_dir=str(base),
                )
            )
        except ValidationError as exc:
            message = exc.errors()[0]["msg"].removeprefix("Value error, ")
            raise _error(doc, at, label, message) from None
    return tests


def _fixture(
    doc: Document,
    at: tuple[str | int, ...],
    name: str,
    base: Path,
    scope: Scope | None,
    label: str,
) -> Fixture:
    raw: Any = doc.data
    for part in at:
        raw = raw[part]
    if isinstance(raw, list):
        spec = _Input(rows=raw)
    elif isinstance(raw, dict):
        try:
            spec = validate(doc, _Input, at=at)
        except ConfigError as exc:
            raise _wrap(exc, label) from None
    else:
        raise _error(doc, at, label, "an input is a list of rows or a mapping")
    table = spec.table or name
    try:
        return Fixture(
            table,
            rows=spec.rows,
            path=spec.file,
            sql=spec.sql,
            spec=spec.generate.spec(table) if spec.generate else None,
            seed=spec.generate.seed if spec.generate else None,
            schema=spec.columns,
            scope=spec.scope or scope or "test",
            load=spec.load,
            depends_on=tuple(spec.depends_on),
            name=name,
            base_dir=str(base),
        )
    except ConfigError as exc:
        raise _error(doc, at, label, exc.message) from None


def _label(entry: object, index: int) -> str:
    if isinstance(entry, dict) and isinstance(entry.get("name"), str):
        return f"test {entry['name']!r}: "
    return f"test #{index + 1} (no name): "


def _error(
    doc: Document, at: tuple[str | int, ...], label: str, message: str
) -> ConfigError:
    base = doc.error(at, message)
    return ConfigError(label + message, file=base.file, line=base.line, key=base.key)


def _wrap(exc: ConfigError, label: str) -> ConfigError:
    return relabel(exc, label, ConfigError)
