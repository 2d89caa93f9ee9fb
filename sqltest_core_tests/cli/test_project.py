"""Finding configuration, suites and tests; selection (in process, no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqltest_core import ConfigError
from sqltest_core.cli._project import (
    discover,
    find_config,
    load_project_settings,
    load_rules,
    nice_path,
    select_rules,
)
from sqltest_core.cli._run import FAIL_FAST_REASON, _mark_not_run, needed_sources
from sqltest_core.config import Settings
from sqltest_core.results import RuleResult, RunResult
from sqltest_core.rules import RowCount

SUITE = """\
rules:
  - {id: a.base, kind: row_count, table: t, min: 1, tags: [core]}
  - {id: a.child, kind: row_count, table: t, min: 1, depends_on: [a.base]}
  - {id: a.other, kind: row_count, table: t, min: 1, tags: [extra], source: wh}
"""


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sqltest.yml").write_text(
        "data_sources:\n  db:\n    url: duckdb:///data/x.duckdb\n"
    )
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "a.yml").write_text(SUITE)
    (tmp_path / "rules" / "notes.yml").write_text("title: not a suite\n")
    (tmp_path / "rules" / "o.sqltest.yml").write_text("tests: []\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "h.yml").write_text("rules: []\n")
    (tmp_path / "_drafts").mkdir()
    (tmp_path / "_drafts" / "d.yml").write_text("rules: []\n")
    return tmp_path


def test_discover_finds_suites_and_tests_only(tree: Path) -> None:
    suites, tests = discover([Path()])
    assert (suites, tests) == ([Path("rules/a.yml")], [Path("rules/o.sqltest.yml")])
    assert discover([Path("rules/notes.yml")]) == ([Path("rules/notes.yml")], [])
    with pytest.raises(ConfigError, match="no such file or folder: nope"):
        discover([Path("nope")])


def test_config_is_found_above_and_file_paths_are_relative_to_it(tree: Path) -> None:
    config = find_config([Path("rules/a.yml")])
    assert config == Path("sqltest.yml")
    settings = load_project_settings(config)
    assert settings.data_sources["db"].url.database == str(tree / "data" / "x.duckdb")
    assert load_project_settings(None) == Settings()
    assert nice_path(tree / "rules") == Path("rules")
    assert nice_path(Path("/")) == Path("/")


def test_selection_brings_dependencies(tree: Path) -> None:
    rules = load_rules([Path("rules/a.yml")])

    def ids(**kw: list[str]) -> list[str]:
        return [r.id for r in select_rules(rules, **kw)]

    assert ids() == ["a.base", "a.child", "a.other"]
    assert ids(ids=["a.child"]) == ["a.base", "a.child"]
    assert ids(tags=["ext*"]) == ["a.other"]
    assert ids(paths=["rules"]) == ["a.base", "a.child", "a.other"]
    assert ids(paths=["other/*.yml"]) == []


def test_needed_sources_follow_the_default() -> None:
    settings = Settings(
        data_sources={"db": {"url": "duckdb://"}, "wh": {"url": "duckdb://"}}
    )
    work = [
        RowCount(id="a", table="t", min=1),
        RowCount(id="b", table="t", min=1, source="wh"),
    ]
    assert needed_sources(work, settings) == ["wh"]
    assert needed_sources(work, settings, "db") == ["db", "wh"]


def test_fail_fast_marks_what_did_not_run() -> None:
    run = RunResult(
        results=[
            RuleResult(
                rule_id="late", status="skipped", reason="dependency cut errored"
            ),
            RuleResult(rule_id="bad", status="failed"),
            RuleResult(rule_id="cut", status="errored", reason=FAIL_FAST_REASON),
            RuleResult(rule_id="dep", status="skipped", reason="dependency bad failed"),
        ]
    )
    marked = _mark_not_run(run)
    assert [(r.rule_id, r.status.value, r.reason) for r in marked.results] == [
        ("late", "skipped", FAIL_FAST_REASON),
        ("bad", "failed", None),
        ("cut", "skipped", FAIL_FAST_REASON),
        ("dep", "skipped", "dependency bad failed"),
    ]
