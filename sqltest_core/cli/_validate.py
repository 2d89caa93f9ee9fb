"""``sqltest validate``: parse configuration, suites and tests; collect every error."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqltest_core.cli._project import load_project_settings
from sqltest_core.cli._tests import check_test_file
from sqltest_core.config import Document, Settings, load_yaml
from sqltest_core.errors import ConfigError, DependencyCycleError
from sqltest_core.results import RuleResult
from sqltest_core.rules import BaseRule, parse_suite
from sqltest_core.scheduler import RunContext, plan

__all__ = ["Problem", "Validation", "validate_project"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake, with where it is."""

    message: str
    file: str | None = None
    line: int | None = None
    key: str | None = None

    @classmethod
    def of(cls, exc: ConfigError) -> Problem:
        return cls(str(exc), exc.file, exc.line, exc.key)


@dataclass(slots=True)
class Validation:
    """What ``validate`` found."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rules: int = 0
    suites: int = 0
    tests: int = 0
    sources: int = 0


@dataclass(frozen=True, slots=True)
class _Stub:
    """A stand-in task so the scheduler's own checks validate dependencies."""

    id: str
    depends_on: tuple[str, ...]
    source: str | None = None
    timeout: float | None = None

    async def run(self, ctx: RunContext) -> RuleResult:  # pragma: no cover
        raise NotImplementedError("validation never runs anything")


def validate_project(
    config: Path | None, suites: Sequence[Path], tests: Sequence[Path]
) -> Validation:
    """Check everything that can be checked without a database."""
    found = Validation(suites=len(suites))
    settings = Settings()
    loaded = config is not None
    try:
        settings = load_project_settings(config)
    except ConfigError as exc:
        found.problems.append(Problem.of(exc))
        loaded = False
    found.sources = len(settings.data_sources)
    located: list[tuple[BaseRule, Document, int]] = []
    for suite in suites:
        located.extend(_check_suite(suite, found))
    found.rules = len(located)
    _check_rules(located, settings, loaded, found)
    for test_file in tests:
        outcome = check_test_file(test_file)
        found.tests += outcome.count
        found.problems.extend(Problem.of(e) for e in outcome.errors)
    return found


def _check_suite(path: Path, found: Validation) -> list[tuple[BaseRule, Document, int]]:
    try:
        doc = load_yaml(path)
    except ConfigError as exc:
        found.problems.append(Problem.of(exc))
        return []
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        try:
            parse_suite(doc)
        except ConfigError as exc:
            found.problems.append(Problem.of(exc))
        return []
    located = []
    for i, entry in enumerate(data["rules"]):
        # One rule at a time, so that every broken rule is reported, not the first.
        lines = {
            ("rules", 0, *p[2:]): n
            for p, n in doc.lines.items()
            if len(p) >= 2 and p[0] == "rules" and p[1] == i
        }
        single = Document({**data, "rules": [entry]}, {**doc.lines, **lines}, doc.file)
        try:
            (rule,) = parse_suite(single)
        except ConfigError as exc:
            found.problems.append(_renumber(exc, i))
            continue
        located.append((rule, doc, i))
    return located


def _renumber(exc: ConfigError, index: int) -> Problem:
    text = re.sub(r"\brules\.0\b", f"rules.{index}", str(exc))
    key = re.sub(r"^rules\.0\b", f"rules.{index}", exc.key) if exc.key else None
    return Problem(text, exc.file, exc.line, key)


def _check_rules(
    located: list[tuple[BaseRule, Document, int]],
    settings: Settings,
    has_config: bool,
    found: Validation,
) -> None:
    first: dict[str, tuple[Document, int]] = {}
    all_ids = list(dict.fromkeys(r.id for r, _, _ in located))
    for rule, doc, i in located:
        if rule.id in first:
            other, j = first[rule.id]
            where = f"{other.file}:{other.line_of(('rules', j, 'id'))}"
            found.problems.append(
                _at(doc, ("rules", i, "id"), f"duplicate rule id {rule.id!r} ({where})")
            )
            continue
        first[rule.id] = (doc, i)
        names = settings.data_sources
        if has_config and rule.source is not None and rule.source not in names:
            close = difflib.get_close_matches(rule.source, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            found.problems.append(
                _at(
                    doc,
                    ("rules", i, "source"),
                    f"rule {rule.id!r}: no data source {rule.source!r}{hint}",
                )
            )
        for dep in rule.depends_on:
            if dep not in all_ids:
                close = difflib.get_close_matches(dep, all_ids, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                found.problems.append(
                    _at(
                        doc,
                        ("rules", i, "depends_on"),
                        f"rule {rule.id!r} depends on unknown rule {dep!r}{hint}",
                    )
                )
    known = set(first)
    stubs = [
        _Stub(r.id, tuple(d for d in r.depends_on if d in known))
        for r, doc, i in located
        if first[r.id] == (doc, i)
    ]
    try:
        plan(stubs)
    except DependencyCycleError as exc:
        doc, i = first[exc.cycle[0]]
        found.problems.append(_at(doc, ("rules", i, "depends_on"), exc.message))
    except ConfigError as exc:  # pragma: no cover - duplicates are filtered above
        found.problems.append(Problem.of(exc))


def _at(doc: Document, path: tuple[str | int, ...], message: str) -> Problem:
    exc = doc.error(path, message)
    return Problem.of(exc)
