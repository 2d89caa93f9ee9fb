"""Rules evaluated outside the fused scan: schema drift, reconciliation, Python
predicates over streamed batches, and the catalog lookups they need."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import anyio
from sqlglot import exp
from sqlglot.errors import SqlglotError

from sqltest_core.errors import QueryError
from sqltest_core.rules import _dialects as d
from sqltest_core.rules._models import Predicate, Reconciliation, Schema

if TYPE_CHECKING:
    import pyarrow as pa

    from sqltest_core.connectors import Pool, Rows
    from sqltest_core.connectors._catalog import Table

__all__ = [
    "Outcome",
    "find_table",
    "predicate_outcome",
    "reconcile",
    "reconcile_queries",
    "schema_outcome",
]


@dataclass(slots=True)
class Outcome:
    """What a check found: counts, figures and samples."""

    failing: int
    scanned: int | None
    details: dict[str, Any] = field(default_factory=dict)
    samples: tuple[dict[str, Any], ...] = ()


async def find_table(pool: Pool, name: str) -> Table:
    """``name``'s catalog entry (cached by the pool), matched as the engine folds.

    Raises:
        QueryError: when the table is not in its schema's catalog.
    """
    parts = name.split(".")
    schema = parts[-2] if len(parts) > 1 else None
    catalog = await pool.catalog(schema)
    wanted = parts[-1]
    folded = d.identifier(wanted, pool.dialect).name
    for candidate in (wanted, folded):
        if candidate in catalog:
            return catalog[candidate]
    loose = [t for t in catalog.tables if t.lower() == wanted.lower()]
    if len(loose) == 1:
        return catalog[loose[0]]
    where = f"schema {catalog.schema!r}" if catalog.schema else "the default schema"
    raise QueryError(f"table {name!r} not found in {where}", source=pool.name)


def _find(names: list[str], wanted: str) -> str | None:
    if wanted in names:
        return wanted
    loose = [n for n in names if n.lower() == wanted.lower()]
    return loose[0] if len(loose) == 1 else None


def _type(text: str, dialect: str) -> exp.DataType | None:
    try:
        built = exp.DataType.build(text, dialect=d.dialect_of(dialect), udt=True)
    except (SqlglotError, ValueError):
        return None
    integers = exp.DataType.INTEGER_TYPES
    if dialect == "snowflake" and built.this in integers:
        return exp.DataType.build("DECIMAL(38, 0)")  # Snowflake's INTEGER
    return built


def _same_type(expected: str, actual: str, dialect: str) -> bool:
    want, got = _type(expected, dialect), _type(actual, dialect)
    if want is None or got is None:
        return expected.strip().lower() == actual.strip().lower()
    if want.this != got.this:
        return False
    return not want.expressions or want == got


def schema_outcome(rule: Schema, table: Table, dialect: str) -> Outcome:
    """Compare ``table``'s columns with the rule's; drift goes in the details."""
    actual = {c.name: c.data_type for c in table.columns}
    names = list(actual)
    removed: list[str] = []
    changed: list[dict[str, str]] = []
    matched: set[str] = set()
    for name, expected in rule.columns.items():
        found = _find(names, name)
        if found is None:
            removed.append(name)
            continue
        matched.add(found)
        if expected is not None and not _same_type(expected, actual[found], dialect):
            changed.append(
                {"column": name, "expected": expected, "actual": actual[found]}
            )
    added = [n for n in names if n not in matched]
    drift = len(removed) + len(changed) + (0 if rule.allow_extra else len(added))
    details = {"removed": removed, "added": added, "changed": changed}
    return Outcome(drift, len(rule.columns), details)


def _measure(
    rule: Reconciliation, other: bool, dialect: str
) -> tuple[exp.Select, list[exp.Expr]]:
    """One side's ``SELECT [keys,] COUNT(*), [SUM(col)] FROM t WHERE ...``."""
    table = rule.other_table if other else rule.table
    where = rule.other_where if other else rule.where
    groups = rule.other_columns if other else rule.group_by
    keys: list[exp.Expr] = [d.column(g, dialect) for g in groups]
    figures: list[exp.Expr] = [
        exp.alias_(k.copy(), d.identifier(f"sqltest_k{i}", dialect))
        for i, k in enumerate(keys)
    ]
    figures.append(exp.alias_(exp.Count(this=exp.Star()), "sqltest_rows"))
    if rule.measure == "sum":
        name = (rule.other_column or rule.column) if other else rule.column
        assert name is not None
        figures.append(exp.alias_(exp.Sum(this=d.column(name, dialect)), "sqltest_v"))
    query = exp.select(*figures).from_(d.table(table, dialect))
    if where:
        query = query.where(d.parse_condition(where, dialect))
    return query, keys


def reconcile_queries(
    rule: Reconciliation, dialect: str, *, other_dialect: str | None
) -> list[str]:
    """The statements to run, this side's first.

    ``other_dialect`` is the other data source's (None: the same source, where
    two totals take one statement).
    """
    other = other_dialect or dialect
    (this, keys), (that, other_keys) = (
        _measure(rule, False, dialect),
        _measure(rule, True, other),
    )
    if keys:
        return [
            d.render(this.group_by(*keys), dialect),
            d.render(that.group_by(*other_keys), other),
        ]
    if other_dialect is None:
        both = (
            exp.select(exp.Star())
            .from_(this.subquery(d.identifier("sqltest_a", dialect)))
            .join(that.subquery(d.identifier("sqltest_b", dialect)), join_type="cross")
        )
        return [d.render(both, dialect)]
    return [d.render(this, dialect), d.render(that, other)]


def _value(row: tuple[Any, ...], rule: Reconciliation) -> Any:
    value = row[-1]
    if rule.measure == "sum" and value is None:
        return 0  # the sum of no values: nothing to reconcile
    return value


def reconcile(rule: Reconciliation, sides: list[Rows], *, sample_size: int) -> Outcome:
    """Compare the measures fetched by :func:`reconcile_queries`' statements."""
    width = len(rule.group_by)
    mine: tuple[Any, ...]
    theirs: tuple[Any, ...]
    if len(sides) == 1:  # one row: this side's figures, then the other's
        (row,) = sides[0].rows
        half = len(row) // 2
        mine, theirs = row[:half], row[half:]
    else:
        mine, theirs = (s.rows[0] for s in sides)
    if not width:
        value, other = _exact(_value(mine, rule), _value(theirs, rule))
        differs = not _close(value, other, rule)
        details = {"value": value, "other_value": other, "difference": value - other}
        return Outcome(int(differs), int(mine[0]), _plain(details))
    # By position: both sides' columns may share names.
    this = {tuple(r[:width]): _value(r, rule) for r in sides[0].rows}
    that = {tuple(r[:width]): _value(r, rule) for r in sides[1].rows}
    mismatches: list[dict[str, Any]] = []
    missing = extra = differing = 0
    for key in [*this, *(k for k in that if k not in this)]:
        value, other = this.get(key), that.get(key)
        if value is None or other is None:
            missing += other is None
            extra += value is None
        elif _close(value, other, rule):
            continue
        else:
            differing += 1
        if len(mismatches) < sample_size:
            sample = dict(zip(rule.group_by, key, strict=True))
            sample |= {"value": value, "other_value": other}
            mismatches.append(_plain(sample))
    details = {
        "groups": len(this),
        "other_groups": len(that),
        "missing_in_other": missing,
        "missing_here": extra,
        "differing": differing,
    }
    failing = missing + extra + differing
    return Outcome(failing, len(this.keys() | that.keys()), details, tuple(mismatches))


def _exact(value: Any, other: Any) -> tuple[Any, Any]:
    """Both as Decimals when either is one (a Decimal and a float do not mix)."""
    if isinstance(value, Decimal) or isinstance(other, Decimal):
        return Decimal(str(value)), Decimal(str(other))
    return value, other


def _close(value: Any, other: Any, rule: Reconciliation) -> bool:
    if value == other:
        return True
    value, other = _exact(value, other)
    if isinstance(value, Decimal):
        allowed = Decimal(str(rule.tolerance)) + Decimal(
            str(rule.relative_tolerance)
        ) * abs(value)
    else:
        allowed = rule.tolerance + rule.relative_tolerance * abs(value)
    return bool(abs(value - other) <= allowed)


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe figures: Decimals as int or float (details must round-trip)."""
    out: dict[str, Any] = {}
    for k, v in row.items():
        if isinstance(v, Decimal):
            v = int(v) if v == v.to_integral_value() else float(v)
        out[k] = v
    return out


async def predicate_outcome(
    rule: Predicate, pool: Pool, sql: str, *, sample_size: int, timeout: float | None
) -> Outcome:
    """Stream ``sql``'s rows through the rule's predicate, one batch at a time."""
    import pyarrow as pa
    import pyarrow.compute as pc

    scanned = failing = 0
    samples: list[dict[str, Any]] = []
    batches = pool.stream(sql, batch_size=rule.batch_size, timeout=timeout)
    async for batch in batches:
        verdict = await anyio.to_thread.run_sync(rule.predicate, batch)
        mask = _mask(verdict, batch.num_rows)
        broken = pc.fill_null(pc.invert(mask), False)
        count = pc.sum(broken).as_py() or 0
        scanned += batch.num_rows
        failing += count
        if count and len(samples) < sample_size:
            bad = batch.filter(broken).slice(0, sample_size - len(samples))
            samples.extend(pa.Table.from_batches([bad]).to_pylist())
    return Outcome(failing, scanned, {}, tuple(samples))


def _mask(verdict: object, rows: int) -> pa.Array:
    import pyarrow as pa

    if isinstance(verdict, pa.ChunkedArray):
        verdict = verdict.combine_chunks()
    if not isinstance(verdict, pa.Array):
        to_arrow = getattr(verdict, "to_arrow", None)  # polars Series
        verdict = to_arrow() if callable(to_arrow) else pa.array(verdict)
    assert isinstance(verdict, pa.Array)
    if len(verdict) != rows:
        raise ValueError(
            f"the predicate returned {len(verdict)} values for a batch of {rows} rows"
        )
    if not pa.types.is_boolean(verdict.type):
        raise ValueError(f"the predicate returned {verdict.type} values, not booleans")
    return verdict
