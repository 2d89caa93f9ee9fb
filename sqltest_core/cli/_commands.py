"""Bodies of ``validate``, ``inspect``, ``report``, ``history`` and ``init``."""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from sqltest_core.cli._init import scaffold
from sqltest_core.cli._project import discover, find_config, nice_path
from sqltest_core.cli._run import unreachable
from sqltest_core.cli._validate import validate_project
from sqltest_core.config import Settings
from sqltest_core.connectors import Catalog, Pools, open_pool
from sqltest_core.errors import ConfigError, ConnectError
from sqltest_core.history import SQLHistory, open_history
from sqltest_core.reporting import load_run
from sqltest_core.results import RunResult

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "any_match",
    "earlier_runs",
    "frame_rows",
    "init",
    "print_catalog",
    "read_catalog",
    "read_report",
    "read_trend",
    "trend_table",
    "validate",
]


def any_match(values: Sequence[str], patterns: Sequence[str]) -> bool:
    """True when a value matches a shell-style pattern."""
    return any(fnmatch.fnmatchcase(v, p) for v in values for p in patterns)


# -- validate -------------------------------------------------------------------------


def validate(
    paths: list[Path], config: Path | None, json_out: bool, out: Console, err: Console
) -> int:
    """Check everything without a database; 0 when valid, 2 otherwise."""
    if config is not None and not config.is_file():
        raise ConfigError(f"no such configuration file: {config}")
    config_path = config or find_config(paths)
    targets = paths or [config_path.parent if config_path else Path.cwd()]
    suites, tests = discover(targets)
    found = validate_project(config_path, suites, tests)
    if json_out:
        document = {
            "ok": not found.problems,
            "config": str(config_path) if config_path else None,
            "rules": found.rules,
            "suites": found.suites,
            "tests": found.tests,
            "data_sources": found.sources,
            "problems": [
                {"file": p.file, "line": p.line, "key": p.key, "message": p.message}
                for p in found.problems
            ],
            "notes": found.notes,
        }
        print(json.dumps(document, indent=2))
    else:
        for problem in found.problems:
            err.print(f"[red]error:[/] {escape(problem.message)}", soft_wrap=True)
        for note in found.notes:
            err.print(f"[yellow]note:[/] {escape(note)}", soft_wrap=True)
        tally = (
            f"{found.rules} rules in {found.suites} suite(s), {found.tests} tests, "
            f"{found.sources} data source(s)"
        )
        if found.problems:
            out.print(f"[bold red]✘ {len(found.problems)} problem(s)[/] ({tally})")
        else:
            where = f" ({config_path})" if config_path else " (no sqltest.yml found)"
            out.print(f"[bold green]✔ valid:[/] {tally}{escape(where)}")
    return 2 if found.problems else 0


# -- inspect --------------------------------------------------------------------------


async def read_catalog(settings: Settings, source: str, schema: str | None) -> Catalog:
    """The catalog of a configured data source (or of a URL)."""
    try:
        if "://" in source:
            async with open_pool(source, name="inspect") as pool:
                return await pool.catalog(schema)
        async with Pools(settings) as pools:
            pool = await pools.get(source)
            return await pool.catalog(schema)
    except Exception as exc:
        if unreachable(exc):
            raise ConnectError(
                f"data source {source if '://' not in source else 'URL'} is "
                f"unreachable: {str(exc).splitlines()[0]}"
            ) from exc
        raise


def print_catalog(
    catalog: Catalog, patterns: Sequence[str], json_out: bool, out: Console
) -> None:
    """Tables with their columns, primary and foreign keys."""
    tables = [
        t
        for t in catalog.tables.values()
        if not patterns or any(fnmatch.fnmatchcase(t.name, p) for p in patterns)
    ]
    if json_out:
        document = {
            "schema": catalog.schema,
            "tables": [
                {
                    "name": t.name,
                    "kind": t.kind,
                    "row_estimate": t.row_estimate,
                    "primary_key": list(t.primary_key),
                    "columns": [
                        {"name": c.name, "type": c.data_type, "nullable": c.nullable}
                        for c in t.columns
                    ],
                    "foreign_keys": [
                        {
                            "columns": list(fk.columns),
                            "table": fk.referred_table,
                            "schema": fk.referred_schema,
                            "referred_columns": list(fk.referred_columns),
                        }
                        for fk in t.foreign_keys
                    ],
                }
                for t in tables
            ],
        }
        print(json.dumps(document, indent=2))
        return
    out.print(f"[bold]schema {escape(catalog.schema)}[/]: {len(tables)} table(s)")
    for t in tables:
        rows = "" if t.row_estimate is None else f", ~{t.row_estimate:,} rows"
        grid = Table(
            title=Text(f"{t.name} ({t.kind}{rows})", style="bold"),
            title_justify="left",
            show_edge=False,
        )
        for name in ("column", "type", "null", "key"):
            grid.add_column(name)
        refs = {
            col: f"→ {fk.referred_table}.{fk.referred_columns[i]}"
            for fk in t.foreign_keys
            for i, col in enumerate(fk.columns)
        }
        for c in t.columns:
            key = " ".join(
                k
                for k in ("PK" if c.name in t.primary_key else "", refs.get(c.name, ""))
                if k
            )
            cells = (c.name, c.data_type, "yes" if c.nullable else "no", key)
            grid.add_row(*(Text(cell) for cell in cells))
        out.print(grid)


# -- report ---------------------------------------------------------------------------


def read_report(path: Path) -> RunResult:
    """A JSON report read back; a clear error when it is not one."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return load_run(text)
    except ValueError as exc:
        lines = [line.strip() for line in str(exc).splitlines()]
        why = ": ".join(lines[1:3]) if len(lines) > 1 else lines[0]
        raise ConfigError(
            f"{path} is not a sqltest JSON report (schema version 1): {why}"
        ) from None


async def earlier_runs(path: Path, run: RunResult) -> list[RunResult]:
    """Runs recorded before ``run`` in the history at ``path``, oldest first."""
    async with open_history(path) as store:
        runs = await store.runs(limit=50)
    start = run.started_at
    return [
        r
        for r in runs
        if r.run_id != run.run_id
        and (start is None or r.started_at is None or r.started_at <= start)
    ]


# -- history --------------------------------------------------------------------------


async def read_trend(
    settings: Settings,
    path: Path,
    source: str | None,
    table: str,
    rule: str | None,
    limit: int,
) -> pl.DataFrame:
    """The history's trend frame, from a file or a data source's table."""
    if source is None:
        if not await anyio.Path(path).exists():
            raise ConfigError(f"no history at {path} (record one with `sqltest run`)")
        async with open_history(path, table=table) as store:
            return await store.trend(rule, limit=limit)
    async with Pools(settings) as pools:
        try:
            pool = await pools.get(source)
        except Exception as exc:
            if unreachable(exc):
                raise ConnectError(f"data source {source!r} is unreachable") from exc
            raise
        return await SQLHistory(pool, table=table).trend(rule, limit=limit)


def frame_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:  # Any: JSON values
    """Rows as JSON-ready dicts (times in ISO 8601)."""
    rows = frame.to_dicts()
    for row in rows:
        for key, value in row.items():
            if isinstance(value, dt.datetime):
                row[key] = value.isoformat()
    return rows


def trend_table(frame: pl.DataFrame, *, per_rule: bool) -> Table:
    """The trend frame as a rich table, newest run last."""
    from sqltest_core.cli._console import status_text
    from sqltest_core.results import Status

    grid = Table(show_edge=False, header_style="bold")
    for row in frame_rows(frame):
        if not grid.columns:
            for name in row:
                grid.add_column(
                    name, justify="left" if name in ("run_id", "rule_id") else "right"
                )
        cells: list[Any] = []
        for key, value in row.items():
            if per_rule and key == "status":
                cells.append(status_text(Status(value)))
            elif key == "started_at":
                cells.append(Text(str(value)[:19].replace("T", " ")))
            elif isinstance(value, float):
                cells.append(
                    f"{value:.1%}"
                    if key in ("pass_rate", "failing_ratio")
                    else f"{value:,.0f}"
                )
            else:
                cells.append(Text("" if value is None else str(value)))
        grid.add_row(*cells)
    return grid


# -- init -----------------------------------------------------------------------------


def init(directory: Path, force: bool, out: Console) -> None:
    """Scaffold the example project and say what to do next."""
    done = scaffold(directory, force=force)
    for path in done.written:
        out.print(f"[green]created[/] {escape(str(nice_path(path)))}")
    if done.kept:
        out.print(
            f"[dim]kept    {len(done.kept)} existing file(s) (--force overwrites)[/]"
        )
    if done.database is not None:
        rows = ", ".join(f"{t} {n:,}" for t, n in done.rows.items())
        where = escape(str(nice_path(done.database)))
        out.print(f"[green]built[/]   {where} ({rows} rows)")
    where = "" if directory.resolve() == Path.cwd().resolve() else f"cd {directory} && "
    out.print(
        f"\nNext: [bold]{escape(where)}sqltest run --format html --output report[/] "
        "(some rules and a test fail on purpose)"
    )
