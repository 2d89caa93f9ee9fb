"""The ``sqltest`` commands (typer); the work is done in the sibling modules."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import anyio
import typer
from rich.console import Console
from rich.markup import escape

from sqltest_core import reporting
from sqltest_core._logging import configure_logging
from sqltest_core.cli import _commands as commands
from sqltest_core.cli._console import (
    changes_lines,
    coverage_line,
    summary_line,
    summary_table,
)
from sqltest_core.cli._project import (
    discover,
    find_config,
    load_project_settings,
    load_rules,
    nice_path,
    path_selected,
    select_rules,
)
from sqltest_core.cli._run import RunOptions, execute, publish
from sqltest_core.cli._tests import load_test_files, test_id, test_tags
from sqltest_core.errors import ConfigError
from sqltest_core.history import changes

__all__ = ["STATE", "app"]


class _State:
    debug = False


STATE = _State()
# Logs and CI output are not terminals; rich would wrap them at 80 columns
# (unless COLUMNS says otherwise).
_WIDTH = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
out = Console(highlight=False, width=_WIDTH)
err = Console(stderr=True, highlight=False)

app = typer.Typer(
    name="sqltest",
    help="Test data and SQL inside real databases: rules, unit tests, reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="sqltest.yml to use (default: beside or above the first path, or cwd).",
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Machine-readable JSON on stdout.")
]
HistoryPathOpt = Annotated[
    Path | None,
    typer.Option(
        "--history-path",
        help="History file (.duckdb, or .sqlite/.db); "
        "default: .sqltest/history.duckdb beside sqltest.yml.",
    ),
]
HistorySourceOpt = Annotated[
    str | None,
    typer.Option(
        "--history-source", help="Keep the history in a table of this data source."
    ),
]
HistoryTableOpt = Annotated[
    str, typer.Option("--history-table", help="History table name.")
]


def _version(value: bool) -> None:
    if value:
        from sqltest_core import __version__

        out.print(f"sqltest {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks and debug logs.")
    ] = False,
    log_level: Annotated[
        str, typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR.")
    ] = "ERROR",
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Version."),
    ] = False,
) -> None:
    """Test data and SQL inside real databases: rules, unit tests, reports."""
    STATE.debug = debug
    level = "DEBUG" if debug else log_level.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise typer.BadParameter(
            "expected DEBUG, INFO, WARNING or ERROR", param_hint="--log-level"
        )
    configure_logging(level=level)


def _formats(values: list[str]) -> list[str]:
    names = [n.strip().lower() for v in values for n in v.split(",") if n.strip()]
    known = reporting.registry.names()
    for name in names:
        if name not in known:
            raise ConfigError(
                f"unknown report format {name!r} (available: {', '.join(known)})"
            )
    return list(dict.fromkeys(names))


def _project(paths: list[Path], config: Path | None) -> tuple[Path | None, Path]:
    if config is not None and not config.is_file():
        raise ConfigError(f"no such configuration file: {config}")
    found = config or find_config(paths)
    return found, (nice_path(found.parent) if found else Path())


@app.command()
def run(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Rule suites, *.sqltest.yml files or folders."),
    ] = None,
    config: ConfigOpt = None,
    tag: Annotated[
        list[str],
        typer.Option("--tag", "-t", help="Only rules/tests with this tag (glob)."),
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    ids: Annotated[
        list[str], typer.Option("--id", help="Only these rule/test ids (glob).")
    ] = [],  # noqa: B006
    select: Annotated[
        list[str],
        typer.Option(
            "--select", "-s", help="Only rules/tests from these files/folders (glob)."
        ),
    ] = [],  # noqa: B006
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-j", min=1, help="Scans/tests at once.")
    ] = 8,
    source: Annotated[
        str | None,
        typer.Option("--source", help="Data source of rules/tests that name none."),
    ] = None,
    fail_fast: Annotated[
        bool, typer.Option("--fail-fast", "-x", help="Stop at the first failure.")
    ] = False,
    formats: Annotated[
        list[str],
        typer.Option(
            "--format", "-f", help="Report formats: html,json,junit,csv,markdown,pdf."
        ),
    ] = [],  # noqa: B006
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Report folder (default: report)."),
    ] = None,
    mask: Annotated[
        list[str],
        typer.Option("--mask", help="Mask sample values of these columns (glob)."),
    ] = [],  # noqa: B006
    history: Annotated[
        bool, typer.Option("--history/--no-history", help="Record the run.")
    ] = True,
    history_path: HistoryPathOpt = None,
    history_source: HistorySourceOpt = None,
    history_table: HistoryTableOpt = "sqltest_history",
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print errors only.")
    ] = False,
    json_out: JsonOpt = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="List passed results too.")
    ] = False,
    run_id: Annotated[
        str | None, typer.Option("--run-id", help="Identifier of this run.")
    ] = None,
    coverage: Annotated[
        bool,
        typer.Option(
            "--coverage", help="Measure the tables and columns the run's SQL read."
        ),
    ] = False,
    deliver: Annotated[
        bool,
        typer.Option(
            "--deliver/--no-deliver",
            help="Send the reports to the targets of sqltest.yml's delivery section.",
        ),
    ] = True,
) -> None:
    """Run rule suites and SQL unit tests; exit 1 if any failed."""
    names = _formats(formats)
    folder = output or Path("report")
    config_path, project = _project(paths or [], config)
    targets = paths or [project]
    settings = load_project_settings(config_path)
    suites, test_files = discover(targets)
    rules = select_rules(load_rules(suites), tags=tag, ids=ids, paths=select)
    notes: list[str] = []
    chosen = [f for f in test_files if not select or path_selected(f, select)]
    root = config_path.parent if config_path is not None else Path.cwd()
    tests = load_test_files(chosen, root=root) if chosen else []
    tests = [
        t
        for t in tests
        if (not tag or commands.any_match(test_tags(t), tag))
        and (not ids or commands.any_match((test_id(t),), ids))
    ]
    if not rules and not tests:
        where = ", ".join(str(p) for p in targets)
        picked = " matching the selection" if tag or ids or select else ""
        if not notes:
            raise ConfigError(f"no rules or tests{picked} found in {where}")
    if not settings.data_sources and (rules or tests):
        raise ConfigError(
            f"{config_path}: configures no data source"
            if config_path
            else "no sqltest.yml found beside the paths, in the working folder or "
            "above (`sqltest init` makes a project; --config names one)"
        )
    if source is not None and source not in settings.data_sources:
        known = ", ".join(settings.data_sources) or "none"
        raise ConfigError(f"--source: no data source {source!r} (configured: {known})")
    options = RunOptions(
        concurrency=concurrency,
        source=source,
        fail_fast=fail_fast,
        tags=tuple(tag),
        ids=tuple(ids),
        history=history,
        history_path=history_path,
        history_source=history_source,
        history_table=history_table,
        show_progress=not (quiet or json_out),
        run_id=run_id,
        coverage=coverage,
    )
    outcome = anyio.run(
        lambda: execute(settings, rules, tests, options, project=project, console=err)
    )
    result = outcome.run
    delivery = settings.delivery if deliver else None
    send_to = delivery.targets if delivery is not None else ()
    if not names and send_to and delivery is not None:
        names = list(delivery.formats)
    elif not names and output is not None:
        names = ["html", "json"]
    written, sent = (
        anyio.run(
            lambda: publish(
                result,
                names,
                folder,
                send_to,
                history=outcome.previous,
                mask=(*(delivery.mask_columns if delivery else ()), *mask),
            )
        )
        if names
        else ({}, [])
    )
    for done in sent:
        if not done.ok:
            notes.append(
                f"delivery to {done.target} failed after {done.attempts} "
                f"attempt(s): {done.error} (the reports are in {folder})"
            )
    for note in notes + outcome.notes:
        err.print(f"[yellow]note:[/] {escape(note)}", soft_wrap=True)
    if json_out:
        print(result.model_dump_json(indent=2))
    elif not quiet:
        table, hidden = summary_table(result, verbose=verbose, width=out.width)
        out.print(table)
        if hidden:
            out.print(f"[dim]{hidden} passed not listed (--verbose lists them)[/]")
        if outcome.stopped_early:
            out.print("[yellow]stopped at the first failure (--fail-fast)[/]")
        if outcome.previous:
            for line in changes_lines(changes(outcome.previous[-1], result)):
                out.print(line)
        if result.coverage is not None:
            out.print(coverage_line(result.coverage))
        out.print(summary_line(result))
        for name, path in written.items():
            out.print(f"{name} report: {escape(str(path))}")
    raise typer.Exit(0 if result.ok else 1)


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Rule suites, *.sqltest.yml files or folders."),
    ] = None,
    config: ConfigOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Check configuration, rule suites and tests without touching a database."""
    raise typer.Exit(commands.validate(paths or [], config, json_out, out, err))


@app.command()
def inspect(
    source: Annotated[str, typer.Argument(help="A data source's name, or a URL.")],
    config: ConfigOpt = None,
    schema: Annotated[
        str | None, typer.Option("--schema", help="Schema (default: the source's).")
    ] = None,
    table: Annotated[
        list[str], typer.Option("--table", help="Only these tables (glob).")
    ] = [],  # noqa: B006
    json_out: JsonOpt = False,
) -> None:
    """Show a data source's tables, columns and keys."""
    config_path, _ = _project([], config)
    settings = load_project_settings(config_path)
    catalog = anyio.run(lambda: commands.read_catalog(settings, source, schema))
    commands.print_catalog(catalog, table, json_out, out)


@app.command()
def report(
    result: Annotated[Path, typer.Argument(help="A JSON report (report.json).")],
    formats: Annotated[
        list[str], typer.Option("--format", "-f", help="Formats to write.")
    ] = ["html"],  # noqa: B006
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Report folder.")
    ] = Path("report"),
    mask: Annotated[
        list[str], typer.Option("--mask", help="Mask sample values of these columns.")
    ] = [],  # noqa: B006
    history_path: HistoryPathOpt = None,
) -> None:
    """Re-render a JSON report in other formats."""
    run_result = commands.read_report(result)
    history = (
        anyio.run(lambda: commands.earlier_runs(history_path, run_result))
        if history_path
        else None
    )
    written = reporting.render_all(
        run_result, _formats(formats), output, history=history, mask_columns=mask
    )
    for name, path in written.items():
        out.print(f"{name} report: {escape(str(path))}")


@app.command("history")
def history_command(
    rule: Annotated[
        str | None, typer.Option("--rule", help="One rule's or test's results.")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="Latest runs.")
    ] = 20,
    config: ConfigOpt = None,
    history_path: HistoryPathOpt = None,
    history_source: HistorySourceOpt = None,
    history_table: HistoryTableOpt = "sqltest_history",
    json_out: JsonOpt = False,
) -> None:
    """List recorded runs with pass rates, or one rule's results over time."""
    config_path, project = _project([], config)
    settings = load_project_settings(config_path)
    path = history_path or project / ".sqltest" / "history.duckdb"
    frame = anyio.run(
        lambda: commands.read_trend(
            settings, path, history_source, history_table, rule, limit
        )
    )
    if json_out:
        print(json.dumps(commands.frame_rows(frame), indent=2))
    elif frame.is_empty():
        what = f"rule {rule!r}" if rule else "runs"
        out.print(
            f"no {escape(what)} recorded yet in {escape(str(history_source or path))}"
        )
    else:
        out.print(commands.trend_table(frame, per_rule=rule is not None))


@app.command()
def init(
    directory: Annotated[
        Path, typer.Argument(help="Project folder (created if missing).")
    ] = Path("."),
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite files and rebuild the database.")
    ] = False,
) -> None:
    """Scaffold a project: sqltest.yml, an example DuckDB database, rules, tests."""
    commands.init(directory, force, out)
