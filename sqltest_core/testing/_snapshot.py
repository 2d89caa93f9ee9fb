"""Snapshot (golden) assertions and performance budgets.

A snapshot is a result stored as a JSON file (columns with their Arrow types,
then rows, values as JSON text), reviewed like code. ``update=True`` or the
environment variable ``SQLTEST_UPDATE_SNAPSHOTS=1`` rewrites it instead of
comparing.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from sqltest_core.errors import UnsupportedFeature
from sqltest_core.testing._compare import assert_result_equal
from sqltest_core.testing._diff import ResultMismatch

if TYPE_CHECKING:
    from sqltest_core.connectors import Connection

__all__ = ["assert_snapshot", "explain_cost", "snapshot_path", "updating_snapshots"]

UPDATE_ENV = "SQLTEST_UPDATE_SNAPSHOTS"


def updating_snapshots(update: bool | None = None) -> bool:
    """True when snapshots are rewritten: ``update``, else the environment."""
    if update is not None:
        return update
    return os.environ.get(UPDATE_ENV, "").lower() in ("1", "true", "yes")


def snapshot_path(directory: str | Path, name: str) -> Path:
    """The file of snapshot ``name`` (unsafe characters become ``_``).

    >>> snapshot_path("snaps", "orders.sqltest.yml::total per day").name
    'orders.sqltest.yml_total_per_day.json'
    """
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_")
    return Path(directory) / f"{safe}.json"


def _json_value(value: Any) -> Any:  # Any: a cell of any type
    if isinstance(value, decimal.Decimal | dt.date | dt.time | dt.datetime):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return value


def _as_text(table: pa.Table) -> dict[str, Any]:
    rows = [[_json_value(v) for v in row.values()] for row in table.to_pylist()]
    columns = [{"name": f.name, "type": str(f.type)} for f in table.schema]
    return {"columns": columns, "rows": rows}


def assert_snapshot(
    actual: pa.Table,
    path: str | Path,
    *,
    update: bool | None = None,
    ordered: bool = True,
) -> bool:
    """Compare ``actual`` with the snapshot at ``path``; write it when updating.

    A missing snapshot fails (so CI never records one silently) unless
    updating. Returns True when the file was written.

    >>> import tempfile
    >>> t = pa.table({"id": [1, 2]})
    >>> d = tempfile.mkdtemp()
    >>> assert_snapshot(t, d + "/s.json", update=True)
    True
    >>> assert_snapshot(t, d + "/s.json")
    False
    >>> try:
    ...     assert_snapshot(pa.table({"id": [1, 3]}), d + "/s.json")
    ... except ResultMismatch as exc:
    ...     print(str(exc).splitlines()[-1])
      ~ row=1: id: expected '2', got '3'

    Raises:
        ResultMismatch: the result differs, or there is no snapshot.
    """
    file = Path(path)
    text = _as_text(actual)
    if updating_snapshots(update):
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(text, indent=1, ensure_ascii=False) + "\n")
        return True
    if not file.exists():
        raise ResultMismatch(
            f"no snapshot {file.name} yet: run with {UPDATE_ENV}=1 to record it",
            {"kind": "snapshot", "path": str(file), "missing_snapshot": True},
        )
    stored = json.loads(file.read_text())
    if stored == json.loads(json.dumps(text)):
        return False
    names = [c["name"] for c in text["columns"]]
    stored_names = [c["name"] for c in stored["columns"]]

    def table_of(cols: list[str], rows: list[list[Any]]) -> pa.Table:
        data = [[json.dumps(r[i]) for r in rows] for i in range(len(cols))]
        return pa.table(
            {c: pa.array(d, pa.string()) for c, d in zip(cols, data, strict=True)}
        )

    try:
        assert_result_equal(
            table_of(names, json.loads(json.dumps(text["rows"]))),
            table_of(stored_names, stored["rows"]),
            ordered=ordered,
        )
    except ResultMismatch as exc:
        raise ResultMismatch(
            f"snapshot {file.name} differs: {exc}", {**exc.diff, "path": str(file)}
        ) from None
    types = {c["name"]: c["type"] for c in text["columns"]}
    old = {c["name"]: c["type"] for c in stored["columns"]}
    raise ResultMismatch(
        f"snapshot {file.name} differs in column types: {old} -> {types}",
        {"kind": "snapshot", "path": str(file), "types": [old, types]},
    )


async def explain_cost(conn: Connection, sql: str, *, dialect: str) -> float:
    """The planner's estimate for ``sql``.

    PostgreSQL: the plan's total cost (``EXPLAIN (FORMAT JSON)``). DuckDB: the
    largest estimated cardinality in its plan (DuckDB reports no cost).

    Raises:
        UnsupportedFeature: on other engines.
    """
    from sqltest_core.connectors import collect

    if dialect == "postgres":
        table = await collect(conn.stream(f"EXPLAIN (FORMAT JSON) {sql}"))
        plan = table.column(0)[0].as_py()
        data = json.loads(plan) if isinstance(plan, str) else plan
        return float(data[0]["Plan"]["Total Cost"])
    if dialect == "duckdb":
        table = await collect(conn.stream(f"EXPLAIN (FORMAT JSON) {sql}"))
        text = " ".join(str(v) for v in table.column(table.num_columns - 1).to_pylist())
        found = re.findall(r'"Estimated Cardinality"\s*:\s*"?~?(\d+)', text)
        return float(max((int(n) for n in found), default=0))
    raise UnsupportedFeature(
        f"a plan-cost budget needs PostgreSQL or DuckDB, not {dialect}"
    )
