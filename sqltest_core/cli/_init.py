"""``sqltest init``: scaffold a project with an example DuckDB database."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from sqltest_core.errors import ConfigError

__all__ = ["DATABASE", "Scaffold", "build_database", "scaffold"]

DATABASE = "shop.duckdb"
_LOAD_ORDER = re.compile(r"create\s+table\s+(\w+)", re.IGNORECASE)


@dataclass(slots=True)
class Scaffold:
    """What ``init`` did."""

    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    database: Path | None = None
    rows: dict[str, int] = field(default_factory=dict)


def _files(root: Traversable, prefix: Path = Path()) -> list[tuple[Path, Traversable]]:
    found = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name == "__pycache__":
            continue
        if entry.is_dir():
            found.extend(_files(entry, prefix / entry.name))
        else:
            found.append((prefix / entry.name, entry))
    return found


def template_files() -> list[tuple[Path, Traversable]]:
    """The project template's files, as (relative path, resource)."""
    root = resources.files("sqltest_core.cli").joinpath("templates").joinpath("project")
    return _files(root)


def scaffold(target: Path, *, force: bool = False) -> Scaffold:
    """Write the template into ``target``, then build the example database.

    Existing files are kept unless ``force``; the database is built when it is
    missing (or rebuilt with ``force``), so running ``init`` again is safe.
    """
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{target} exists and is not a folder")
    done = Scaffold()
    for relative, resource in template_files():
        path = target / relative
        if path.exists() and not force:
            done.kept.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(resource.read_bytes())
        done.written.append(path)
    database = target / DATABASE
    if force or not database.exists():
        done.rows = build_database(target, database)
        done.database = database
    return done


def build_database(project: Path, database: Path) -> dict[str, int]:
    """Create ``database`` from ``project``'s ``schema.sql`` and ``data/*.csv``.

    Tables load in the order ``schema.sql`` creates them (parents first), each
    from ``data/<table>.csv``; an empty field is NULL. Returns rows per table.
    """
    import duckdb

    schema = (project / "schema.sql").read_text(encoding="utf-8")
    for stale in (database, database.with_name(database.name + ".wal")):
        stale.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    con = duckdb.connect(str(database))
    try:
        con.execute(schema)
        for table in _LOAD_ORDER.findall(schema):
            csv = project / "data" / f"{table}.csv"
            if not csv.exists():
                continue
            con.execute(
                f'insert into "{table}" select * from '
                "read_csv(?, header = true, all_varchar = true)",
                [str(csv)],
            )
            (count,) = con.execute(f'select count(*) from "{table}"').fetchall()[0]
            counts[table] = int(count)
    except duckdb.Error as exc:
        con.close()
        database.unlink(missing_ok=True)
        raise ConfigError(f"cannot build {database}: {exc}") from None
    con.close()
    return counts
