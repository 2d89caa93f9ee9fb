"""Finding the project: its ``sqltest.yml``, rule suites and test files, selection."""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqltest_core.config import Settings, load_settings
from sqltest_core.errors import ConfigError
from sqltest_core.rules import BaseRule, load_suite

__all__ = [
    "CONFIG_NAMES",
    "Project",
    "discover",
    "find_config",
    "load_project_settings",
    "load_rules",
    "nice_path",
    "path_selected",
    "select_rules",
]

CONFIG_NAMES = ("sqltest.yml", "sqltest.yaml")
TEST_SUFFIXES = (".sqltest.yml", ".sqltest.yaml")
_SUITE = re.compile(r"^rules\s*:", re.MULTILINE)
_FILE_ENGINES = ("duckdb", "sqlite")
_SKIP_DIRS = ("node_modules", "venv", "site-packages")


@dataclass(frozen=True, slots=True)
class Project:
    """What ``sqltest`` works on: settings, suites and test files."""

    config: Path | None
    settings: Settings
    suites: tuple[Path, ...]
    tests: tuple[Path, ...]


def find_config(paths: Sequence[Path]) -> Path | None:
    """``sqltest.yml`` beside (or above) the first path, else in (or above) cwd."""
    starts = []
    if paths:
        first = paths[0].resolve()
        starts.append(first if first.is_dir() else first.parent)
    starts.append(Path.cwd().resolve())
    for start in starts:
        for folder in (start, *start.parents):
            for name in CONFIG_NAMES:
                candidate = folder / name
                if candidate.is_file():
                    return nice_path(candidate)
    return None


def load_project_settings(config: Path | None) -> Settings:
    """Load ``config``; relative file databases are relative to the file.

    ``duckdb:///shop.duckdb`` in ``project/sqltest.yml`` opens
    ``project/shop.duckdb`` wherever ``sqltest`` runs from.
    """
    if config is None:
        return Settings()
    settings = load_settings(config)
    base = config.resolve().parent
    sources = {}
    for name, source in settings.data_sources.items():
        url = source.url
        db = url.database
        if url.scheme in _FILE_ENGINES and db and db != ":memory:":
            path = Path(db).expanduser()
            if not path.is_absolute():
                url = dataclasses.replace(url, database=str(base / path))
                source = source.model_copy(update={"url": url})
        sources[name] = source
    return settings.model_copy(update={"data_sources": sources})


def nice_path(path: Path) -> Path:
    """``path`` relative to the working folder when inside it (shorter ids, output)."""
    full = path.resolve()
    try:
        relative = Path(os.path.relpath(full, Path.cwd()))
    except ValueError:  # another drive on Windows
        return full
    return full if relative.parts[:1] == ("..",) else relative


def _is_suite(path: Path) -> bool:
    try:
        return bool(_SUITE.search(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError):
        return False


def _is_test_file(path: Path) -> bool:
    return path.name.endswith(TEST_SUFFIXES)


def _walk(folder: Path) -> Iterable[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(
            d for d in dirs if not d.startswith((".", "_")) and d not in _SKIP_DIRS
        )
        for name in sorted(files):
            if name.endswith((".yml", ".yaml")) and name not in CONFIG_NAMES:
                yield Path(root) / name


def discover(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """Rule suites and test files under ``paths`` (files or folders).

    In a folder, a ``*.sqltest.yml`` file is a unit-test file and any other
    YAML file with a top-level ``rules:`` key a rule suite; hidden folders and
    ``sqltest.yml`` are skipped. A file named explicitly is taken as it is.

    Raises:
        ConfigError: a path does not exist.
    """
    suites: list[Path] = []
    tests: list[Path] = []
    for path in paths:
        if not path.exists():
            raise ConfigError(f"no such file or folder: {path}")
        if path.is_file():
            candidates: Iterable[Path] = [path]
            explicit = True
        else:
            candidates = _walk(path)
            explicit = False
        for file in candidates:
            if _is_test_file(file):
                tests.append(file)
            elif explicit or _is_suite(file):
                suites.append(file)
    return _unique(map(nice_path, suites)), _unique(map(nice_path, tests))


def _unique(paths: Iterable[Path]) -> list[Path]:
    seen: dict[Path, Path] = {}
    for p in paths:
        seen.setdefault(p.resolve(), p)
    return list(seen.values())


def load_rules(suites: Sequence[Path]) -> list[tuple[Path, BaseRule]]:
    """Every rule of ``suites`` with its file; the first bad suite raises."""
    rules: list[tuple[Path, BaseRule]] = []
    for suite in suites:
        rules.extend((suite, r) for r in load_suite(suite))
    return rules


def _matches(value: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


def path_selected(path: Path, patterns: Sequence[str]) -> bool:
    """True when ``path`` is, or lies in, a selected path, or matches a glob."""
    full = path.resolve()
    for pattern in patterns:
        target = Path(pattern).expanduser()
        if target.exists() and (
            full == target.resolve() or target.resolve() in full.parents
        ):
            return True
        if fnmatch.fnmatch(str(path), pattern) or fnmatch.fnmatch(path.name, pattern):
            return True
    return False


def select_rules(
    rules: Sequence[tuple[Path, BaseRule]],
    *,
    tags: Sequence[str] = (),
    ids: Sequence[str] = (),
    paths: Sequence[str] = (),
) -> list[BaseRule]:
    """The rules picked by every given criterion, plus what they depend on.

    ``tags`` and ``ids`` accept shell-style globs (``orders.*``); ``paths`` a
    file, a folder or a glob. Dependencies of a picked rule are picked too, so
    the run stays a valid DAG.
    """
    picked: set[str] = set()
    for file, r in rules:
        if tags and not any(_matches(t, tags) for t in r.tags):
            continue
        if ids and not _matches(r.id, ids):
            continue
        if paths and not path_selected(file, paths):
            continue
        picked.add(r.id)
    by_id = {r.id: r for _, r in rules}
    todo = list(picked)
    while todo:
        rule = by_id.get(todo.pop())
        for dep in rule.depends_on if rule else ():
            if dep not in picked:
                picked.add(dep)
                todo.append(dep)
    return [r for _, r in rules if r.id in picked]
