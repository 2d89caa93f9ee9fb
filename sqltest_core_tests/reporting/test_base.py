from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pytest

from sqltest_core import ConfigError, PluginError, PluginNotFound
from sqltest_core.reporting import (
    MASK,
    CSVReporter,
    HTMLReporter,
    JSONReporter,
    JUnitReporter,
    MarkdownReporter,
    PDFReporter,
    Reporter,
    make_reporter,
    mask_samples,
    registry,
    render_all,
    reporter_for_path,
    write,
)
from sqltest_core.results import RuleResult, RunResult
from sqltest_core_tests.reporting._fixture import golden_run


class TextReporter:
    name: ClassVar[str] = "text"
    suffix: ClassVar[str] = ".txt"

    def __init__(self, *, prefix: str = "") -> None:
        self.prefix = prefix

    def render(
        self, run: RunResult, *, history: Sequence[RunResult] | None = None
    ) -> str:
        return self.prefix + ",".join(r.rule_id for r in run.results)


def test_builtins_are_registered_under_their_names() -> None:
    assert registry.names() == ["csv", "html", "json", "junit", "markdown", "pdf"]
    assert registry.get("json") is JSONReporter
    assert registry.get("junit") is JUnitReporter
    assert registry.get("csv") is CSVReporter
    assert registry.get("markdown") is MarkdownReporter
    assert registry.get("html") is HTMLReporter
    assert registry.get("pdf") is PDFReporter
    for name in registry.names():
        reporter = make_reporter(name)
        assert isinstance(reporter, Reporter)
        assert reporter.name == name


def test_unknown_format_suggests_the_closest() -> None:
    with pytest.raises(PluginNotFound, match="did you mean 'junit'"):
        make_reporter("junt")


def test_a_plugin_registers_renders_and_clashes() -> None:
    registry.register("text", TextReporter)
    try:
        text = make_reporter("text", prefix="> ").render(golden_run())
        assert text == "> " + ",".join(r.rule_id for r in golden_run().results)
        with pytest.raises(PluginError, match="already registered"):
            registry.register("text", CSVReporter)
    finally:
        registry.unregister("text")
    assert "text" not in registry.names()


@pytest.mark.parametrize("obj", [object(), int, CSVReporter()])
def test_objects_that_do_not_fit_are_refused(obj: object) -> None:
    with pytest.raises(PluginError, match="does not fit"):
        registry.register("bad", obj)


def test_reporter_is_chosen_by_file_extension() -> None:
    assert [
        reporter_for_path(p).name
        for p in ("a.json", "b.XML", "c.csv", "d.md", "e.html", "f.pdf")
    ] == ["json", "junit", "csv", "markdown", "html", "pdf"]
    with pytest.raises(PluginNotFound, match=r"'\.txt'"):
        reporter_for_path("report.txt")


def test_write_creates_folders_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    run = RunResult(results=[RuleResult(rule_id="a", status="passed")])
    path = write(run, tmp_path / "deep" / "out.csv")
    assert path == tmp_path / "deep" / "out.csv"
    assert (
        path.read_text(encoding="utf-8").splitlines()[1].startswith(",a,custom,passed")
    )
    assert sorted(p.name for p in path.parent.iterdir()) == ["out.csv"]
    write(run, tmp_path / "x.any", reporter="json")
    assert RunResult.model_validate_json((tmp_path / "x.any").read_text()) == run
    write(run, tmp_path / "y.any", reporter=TextReporter(prefix="!"))
    assert (tmp_path / "y.any").read_text() == "!a"


def test_write_bytes_as_is(tmp_path: Path) -> None:
    run = RunResult(results=[RuleResult(rule_id="a", status="passed")])
    path = write(run, tmp_path / "r.xml")
    assert path.read_bytes() == JUnitReporter().render(run)


def test_render_all_writes_one_file_per_format(tmp_path: Path) -> None:
    run = golden_run()
    paths = render_all(
        run,
        ["json", "junit", "csv", "markdown", HTMLReporter(title="Nightly")],
        tmp_path / "out",
        stem="nightly",
        mask_columns=["*_email"],
    )
    assert {k: p.name for k, p in paths.items()} == {
        "json": "nightly.json",
        "junit": "nightly.xml",
        "csv": "nightly.csv",
        "markdown": "nightly.md",
        "html": "nightly.html",
    }
    back = RunResult.model_validate_json(paths["json"].read_text(encoding="utf-8"))
    assert back.results[1].samples[0] == {
        "id": 7,
        "status": "lost",
        "customer_email": MASK,
    }
    for path in paths.values():
        assert "zoë@example.com" not in path.read_text(encoding="utf-8")
    assert "<title>Nightly · nightly-42</title>" in paths["html"].read_text(
        encoding="utf-8"
    )


def test_render_all_refuses_two_formats_writing_one_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'json' and 'json' would both write"):
        render_all(golden_run(), ["json", JSONReporter(indent=None)], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_masking_matches_names_and_globs_case_insensitively() -> None:
    run = RunResult(
        results=[
            RuleResult(
                rule_id="r",
                status="failed",
                column="EMAIL",
                samples=({"id": 1, "Email": "a@b.c", "ssn_hash": "x", "name": "Al"},),
                details={
                    "bad_values": ["a@b.c", None],
                    "diff": {
                        "missing": [{"email": "m@x.y", "n": 1}],
                        "unexpected": [{"email": "u@x.y", "n": 2}],
                    },
                    "row_count": 3,
                },
            )
        ]
    )
    masked = mask_samples(run, ["email", "SSN_*"]).results[0]
    assert masked.samples == ({"id": 1, "Email": MASK, "ssn_hash": MASK, "name": "Al"},)
    assert masked.details == {
        "bad_values": [MASK, MASK],
        "diff": {
            "missing": [{"email": MASK, "n": 1}],
            "unexpected": [{"email": MASK, "n": 2}],
        },
        "row_count": 3,
    }
    assert run.results[0].samples[0]["Email"] == "a@b.c"  # the input is untouched
    assert mask_samples(run, []) is run
