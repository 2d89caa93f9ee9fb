"""What a test is: a TestCase method, a plain function, or a declarative SQLTest.

All three become :class:`UnitTest` s, the one shape the runner knows: an id,
fixtures, where it runs, and an async body that receives the test's
:class:`~sqltest_core.testing.TestDB` and raises ``AssertionError`` to fail.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sqltest_core.errors import ConfigError
from sqltest_core.testing._assertions import (
    assert_row_count,
    assert_rows_absent,
    assert_rows_contained,
    assert_scalar,
    assert_schema,
)
from sqltest_core.testing._compare import assert_result_equal
from sqltest_core.testing._diff import ResultMismatch
from sqltest_core.testing._fixture import Fixture, parse_schema
from sqltest_core.testing._isolation import Isolation
from sqltest_core.testing._mock import select_cte

if TYPE_CHECKING:
    import pyarrow as pa

    from sqltest_core.testing._db import TestDB

__all__ = [
    "ErrorSpec",
    "Expect",
    "SQLTest",
    "TestCase",
    "UnitTest",
    "as_unit_tests",
    "unit_test",
]

Body = Callable[["TestDB"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class UnitTest:
    """One runnable test.

    Attributes:
        id: Unique in a run; becomes the result's ``rule_id``.
        body: Receives the test's database handle; raises to fail.
        fixtures: Data put in place of tables before ``body`` runs.
        source: Data source to run on; None for the run's default.
        isolation: Overrides the engine's default isolation.
        module: Key of ``module``-scoped fixtures (the file or class).
        marks: Labels (``slow``); the result's tags.
        skip: Reason to skip, if skipped.
        freeze_time: Pins the clock of every query the test runs.
        timeout: Seconds the test may take.
        description: Shown in reports.
    """

    __test__: ClassVar[bool] = False  # not a pytest test class

    id: str
    body: Body
    fixtures: tuple[Fixture, ...] = ()
    source: str | None = None
    isolation: Isolation | None = None
    module: str = ""
    marks: tuple[str, ...] = ()
    skip: str | None = None
    freeze_time: dt.datetime | None = None
    timeout: float | None = None
    description: str = ""


def unit_test(
    *,
    fixtures: Sequence[Fixture] = (),
    source: str | None = None,
    isolation: Isolation | None = None,
    marks: Sequence[str] = (),
    freeze_time: dt.datetime | None = None,
    name: str | None = None,
) -> Callable[[Body], UnitTest]:
    """Make a plain ``async def test_x(db)`` function a :class:`UnitTest`.

    >>> @unit_test(fixtures=[Fixture("t", rows=[{"x": 1}])])
    ... async def test_one_row(db):
    ...     assert (await db.scalar("SELECT count(*) FROM t")) == 1
    >>> test_one_row.id, test_one_row.fixtures[0].table
    ('test_one_row', 't')
    """

    def wrap(fn: Body) -> UnitTest:
        return UnitTest(
            name or fn.__name__,
            fn,
            tuple(fixtures),
            source,
            isolation,
            fn.__module__,
            tuple(marks),
            freeze_time=freeze_time,
            description=inspect.getdoc(fn) or "",
        )

    return wrap


class TestCase:
    """Base class of Python test suites: each ``async def test_*(self, db)`` is a test.

    Class attributes apply to every test: ``fixtures``, ``source``,
    ``isolation``, ``marks`` and ``freeze_time``. An instance is made per
    test; ``async def setup(self, db)`` runs first, inside the isolation.

    >>> class TestOrders(TestCase):
    ...     fixtures = [Fixture("orders", rows=[{"id": 1}, {"id": 2}])]
    ...     async def test_count(self, db):
    ...         assert (await db.scalar("SELECT count(*) FROM orders")) == 2
    >>> [t.id for t in TestOrders.unit_tests()]
    ['TestOrders::test_count']
    """

    __test__: ClassVar[bool] = False  # collected by the sqltest plug-in, not pytest
    fixtures: ClassVar[Sequence[Fixture]] = ()
    source: ClassVar[str | None] = None
    isolation: ClassVar[Isolation | None] = None
    marks: ClassVar[Sequence[str]] = ()
    freeze_time: ClassVar[dt.datetime | None] = None

    async def setup(self, db: TestDB) -> None:
        """Runs before each test, inside its isolation; override at will."""

    @classmethod
    def unit_tests(cls) -> list[UnitTest]:
        """One :class:`UnitTest` per ``test_*`` coroutine method, in source order."""
        tests = []
        for name, member in vars(cls).items():
            if not name.startswith("test") or not inspect.iscoroutinefunction(member):
                continue
            tests.append(
                UnitTest(
                    f"{cls.__qualname__}::{name}",
                    _method_body(cls, name),
                    tuple(cls.fixtures),
                    cls.source,
                    cls.isolation,
                    f"{cls.__module__}.{cls.__qualname__}",
                    tuple(cls.marks),
                    freeze_time=cls.freeze_time,
                    description=inspect.getdoc(member) or "",
                )
            )
        return tests


def _method_body(cls: type[TestCase], name: str) -> Body:
    async def body(db: TestDB) -> None:
        case = cls()
        await case.setup(db)
        await getattr(case, name)(db)

    return body


class ErrorSpec(BaseModel):
    """An error the SQL under test must raise: class name and message pattern."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    class_: str | None = Field(None, alias="class")
    """``QueryError``, or the driver's class (``UniqueViolationError``)."""
    match: str | None = None
    """A regular expression searched in the message."""

    def check(self, exc: BaseException) -> str | None:
        """Why ``exc`` does not fit, or None when it does."""
        names = {type(c).__name__ for c in _chain(exc)}
        names |= {k.__name__ for c in _chain(exc) for k in type(c).__mro__}
        if self.class_ is not None and self.class_ not in names:
            return f"expected a {self.class_}, got {type(exc).__name__}: {exc}"
        text = " ".join(str(c) for c in _chain(exc))
        if self.match is not None and not re.search(self.match, text):
            return f"error message does not match {self.match!r}: {exc}"
        return None


def _chain(exc: BaseException) -> list[BaseException]:
    out = [exc]
    while out[-1].__cause__ is not None and len(out) < 5:
        out.append(out[-1].__cause__)
    return out


_UNSET: Any = object()


class Expect(BaseModel):
    """What the result of a :class:`SQLTest` must be; unset parts are not checked."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    rows: list[dict[str, Any]] | None = None  # Any: cells of any type
    file: str | None = None
    types: dict[str, str] | None = None
    ordered: bool = False
    semantics: str = "bag"
    key: list[str] | None = None
    columns: list[str] | None = None
    check_types: str = "loose"
    abs_tol: float | None = None
    rel_tol: float | None = None
    row_count: int | None = None
    scalar: Any = _UNSET  # Any: the expected value
    result_schema: dict[str, str] | None = Field(None, alias="schema")
    contains: list[dict[str, Any]] | None = None
    absent: list[dict[str, Any]] | None = None
    error: ErrorSpec | None = None
    snapshot: bool = False
    max_ms: float | None = None
    max_cost: float | None = None


class SQLTest(BaseModel):
    """A declarative test: SQL (or a view, or a function call), inputs, expectations.

    >>> t = SQLTest(name="paid", sql="SELECT id FROM orders WHERE paid",
    ...             fixtures=[Fixture("orders", rows=[{"id": 1, "paid": True}])],
    ...             expect=Expect(rows=[{"id": 1}]))
    >>> t.query()
    'SELECT id FROM orders WHERE paid'
    >>> SQLTest(name="v", view="sales.v_totals").query()
    'SELECT * FROM sales.v_totals'
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)
    __test__: ClassVar[bool] = False

    name: str
    sql: str | None = None
    view: str | None = None
    call: str | None = None
    # Any: Fixture objects (a plain dataclass pydantic need not inspect).
    fixtures: tuple[Any, ...] = ()
    setup: tuple[str, ...] = ()
    expect: Expect = Expect()
    source: str | None = None
    isolation: Isolation | None = None
    freeze_time: dt.datetime | None = None
    cte: str | None = None
    marks: tuple[str, ...] = ()
    skip: str | None = None
    description: str = ""
    module: str = ""
    base_dir: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> SQLTest:
        wrong = [f for f in self.fixtures if not isinstance(f, Fixture)]
        if wrong:
            raise ValueError(f"fixtures must be Fixture objects, not {wrong[0]!r}")
        given = [k for k in ("sql", "view", "call") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of sql, view or call (got {given or 'none'})"
            )
        return self

    def query(self) -> str:
        """The query under test."""
        if self.view:
            return f"SELECT * FROM {self.view}"
        if self.call:
            return f"SELECT {self.call} AS result"
        assert self.sql is not None
        return self.sql.strip().rstrip(";")

    def unit_test(self, *, prefix: str = "") -> UnitTest:
        """This test as a :class:`UnitTest` (id ``prefix`` + name)."""
        return UnitTest(
            prefix + self.name,
            self.check,
            self.fixtures,
            self.source,
            self.isolation,
            self.module,
            self.marks,
            self.skip,
            self.freeze_time,
            description=self.description,
        )

    async def check(self, db: TestDB) -> None:
        """Run the SQL on ``db`` and assert every expectation."""
        for statement in self.setup:
            await db.execute(statement)
        sql = self.query()
        if self.view and self.fixtures:
            # The view is bound to the real tables: test its definition instead.
            from sqltest_core.testing._views import view_query

            names = [f.table for f in self.fixtures]
            sql = await view_query(db, self.view, names) or sql
        if self.cte:
            sql = select_cte(sql, self.cte, dialect=db.dialect)
        want = self.expect
        if want.error is not None:
            try:
                await db.fetch(sql)
            except Exception as exc:
                problem = want.error.check(exc)
                if problem is not None:
                    raise ResultMismatch(problem, {"kind": "error"}) from exc
                return
            raise ResultMismatch(
                f"expected an error ({want.error.class_ or 'any'}), the query ran",
                {"kind": "error"},
            )
        started = time.perf_counter()
        got = await db.fetch(sql)
        elapsed = (time.perf_counter() - started) * 1000
        await _assert_result(self, db, got, sql, elapsed)


async def _assert_result(
    test: SQLTest, db: TestDB, got: pa.Table, sql: str, elapsed_ms: float
) -> None:
    want = test.expect
    if want.rows is not None or want.file is not None:
        schema = parse_schema(want.types) if want.types else None
        if want.file is not None:
            from sqltest_core.testing._fixture import to_table

            expected = to_table(want.file, schema=schema, base_dir=test.base_dir)
        else:
            from sqltest_core.testing._fixture import _fallback_table

            expected = _fallback_table(want.rows, schema, None)
        db.asserted.update(want.columns or expected.column_names)
        assert_result_equal(
            got,
            expected,
            ordered=want.ordered,
            semantics=want.semantics,  # type: ignore[arg-type]
            key=want.key,
            columns=want.columns,
            check_types=want.check_types,  # type: ignore[arg-type]
            abs_tol=want.abs_tol,
            rel_tol=want.rel_tol,
        )
    if want.row_count is not None:
        assert_row_count(got, want.row_count)
    if want.scalar is not _UNSET:
        db.asserted.update(got.column_names[:1])
        assert_scalar(got, want.scalar)
    if want.result_schema is not None:
        db.asserted.update(want.result_schema)
        wanted = parse_schema(want.result_schema)
        assert_schema(
            got,
            {f.name: f.type for f in wanted},
            check_types="loose",
            check_order=False,
        )
    if want.contains is not None:
        db.asserted.update(k for row in want.contains for k in row)
        assert_rows_contained(got, want.contains, check_types="loose")
    if want.absent is not None:
        db.asserted.update(k for row in want.absent for k in row)
        assert_rows_absent(got, want.absent, check_types="loose")
    if want.snapshot:
        db.asserted.update(got.column_names)
        db.assert_snapshot(got)
    if want.max_ms is not None and elapsed_ms > want.max_ms:
        raise ResultMismatch(
            f"took {elapsed_ms:.1f} ms, over the budget of {want.max_ms:g} ms",
            {"kind": "budget", "ms": elapsed_ms, "max_ms": want.max_ms},
        )
    if want.max_cost is not None:
        await db.assert_budget(sql, max_cost=want.max_cost)


def as_unit_tests(*objs: object) -> list[UnitTest]:
    """Turn TestCase subclasses, SQLTests, UnitTests and ``async def f(db)``
    functions (or iterables of them) into :class:`UnitTest` s.

    Raises:
        ConfigError: for anything else.
    """
    out: list[UnitTest] = []
    for obj in objs:
        if isinstance(obj, UnitTest):
            out.append(obj)
        elif isinstance(obj, SQLTest):
            out.append(obj.unit_test(prefix=f"{obj.module}::" if obj.module else ""))
        elif isinstance(obj, type) and issubclass(obj, TestCase):
            out.extend(obj.unit_tests())
        elif inspect.iscoroutinefunction(obj):
            out.append(unit_test()(obj))
        elif isinstance(obj, list | tuple):
            out.extend(as_unit_tests(*obj))
        else:
            raise ConfigError(f"not a test: {obj!r}")
    return out
