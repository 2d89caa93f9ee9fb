"""The ``sqltest`` command, through the installed entry point (DuckDB, fast)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from sqltest_core.reporting import load_run
from sqltest_core_tests._servers import POSTGRES_HOST

SQLTEST = Path(sys.executable).parent / "sqltest"

RULE_COUNTS = {"passed": 11, "failed": 3, "warned": 2, "skipped": 1}
TEST_IDS = [
    "tests/orders.sqltest.yml::orders.revenue_by_country",
    "tests/orders.sqltest.yml::orders.lines_per_order",
    "tests/orders.sqltest.yml::orders.big_orders",
]


def sqltest(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(SQLTEST), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": str(SQLTEST.parent), "NO_COLOR": "1", "HOME": str(cwd)},
    )
    assert "Traceback" not in result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project made by ``sqltest init`` (shared: tests only read it)."""
    root = tmp_path_factory.mktemp("cli")
    done = sqltest("init", "shop", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "built" in done.stdout
    assert (
        "shop.duckdb (customers 200, products 20, orders 600, order_items 1,285 rows)"
        in done.stdout
    )
    return root / "shop"


def test_init_writes_the_project_and_is_safe_to_repeat(project: Path) -> None:
    files = sorted(
        str(p.relative_to(project))
        for p in project.rglob("*")
        if p.is_file() and p.relative_to(project).parts[0] not in ("out", ".sqltest")
    )
    assert files == [
        ".gitignore",
        "README.md",
        "data/customers.csv",
        "data/order_items.csv",
        "data/orders.csv",
        "data/products.csv",
        "rules/shop.yml",
        "schema.sql",
        "shop.duckdb",
        "sqltest.yml",
        "tests/orders.sqltest.yml",
    ]
    again = sqltest("init", ".", cwd=project)
    assert again.returncode == 0
    assert "kept    10 existing file(s)" in again.stdout
    assert "built" not in again.stdout


def test_run_in_the_project_exits_1_and_reports(project: Path) -> None:
    done = sqltest(
        "run", "--format", "html,junit", "--output", "out", "--no-history", cwd=project
    )
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert any(
        line.startswith("failed")
        and "customers.email_format" in line
        and "3 (1.5%)" in line
        for line in lines
    )
    assert any(
        line.startswith("warned") and "bad_values: ['UK']" in line for line in lines
    )
    assert "✘ failed: 13 of 20 passed, 4 failed, 2 warned, 1 skipped" in done.stdout
    assert "html report: out/report.html" in done.stdout
    page = (project / "out" / "report.html").read_text(encoding="utf-8")
    assert "orders.customer_exists" in page
    assert (project / "out" / "report.xml").exists()


def test_json_output_is_the_run(project: Path) -> None:
    done = sqltest("run", "--json", "--no-history", "--run-id", "ci-7", cwd=project)
    assert done.returncode == 1
    run = load_run(done.stdout)
    assert run.run_id == "ci-7"
    rules = [r for r in run.results if r.kind != "test"]
    assert Counter(r.status.value for r in rules) == RULE_COUNTS
    assert run["orders.customer_exists"].failing_count == 2
    assert run["order_items.revenue_plausible"].reason == (
        "dependency order_items.quantity_positive failed"
    )
    tests = {r.rule_id: r.status.value for r in run.results if r.kind == "test"}
    assert tests == dict(zip(TEST_IDS, ["passed", "passed", "failed"], strict=True))


def test_selection_by_id_tag_and_path(project: Path) -> None:
    by_id = sqltest("run", "--id", "products.*", "--json", "--no-history", cwd=project)
    assert by_id.returncode == 0, by_id.stderr
    assert [r.rule_id for r in load_run(by_id.stdout).results] == [
        "products.sku_format",
        "products.price_positive",
    ]
    by_tag = sqltest("run", "--tag", "keys", "--json", "--no-history", cwd=project)
    assert by_tag.returncode == 1
    assert [r.rule_id for r in load_run(by_tag.stdout).results] == [
        "customers.pk",  # brought in: orders.customer_exists depends on it
        "orders.customer_exists",
        "order_items.pk",
    ]
    by_path = sqltest("run", "--select", "tests", "--json", "--no-history", cwd=project)
    assert [r.rule_id for r in load_run(by_path.stdout).results] == TEST_IDS
    only_rules = sqltest("run", "rules", "--json", "--no-history", cwd=project)
    assert len(load_run(only_rules.stdout).results) == 17
    nothing = sqltest("run", "--tag", "nope", "--no-history", cwd=project)
    assert nothing.returncode == 2
    assert nothing.stderr.strip() == (
        "error: no rules or tests matching the selection found in ."
    )


def test_fail_fast_stops_at_the_first_failure(project: Path) -> None:
    done = sqltest(
        "run", "rules", "-x", "-j", "1", "--json", "--no-history", cwd=project
    )
    assert done.returncode == 1
    run = load_run(done.stdout)
    statuses = Counter(r.status.value for r in run.results)
    assert statuses["failed"] >= 1
    assert statuses["errored"] == 0
    assert any(r.reason == "not run: --fail-fast stopped the run" for r in run.results)


def test_quiet_prints_nothing(project: Path) -> None:
    done = sqltest(
        "run", "rules", "--id", "products.*", "-q", "--no-history", cwd=project
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_history_lists_runs_and_report_rerenders(project: Path, tmp_path: Path) -> None:
    history = tmp_path / "h.duckdb"
    for run_id in ("first", "second"):
        done = sqltest(
            "run", "rules", "--run-id", run_id, "--history-path", history,
            "-f", "json", "-o", tmp_path / run_id, cwd=project,
        )  # fmt: skip
        assert done.returncode == 1
    assert "no change in failures since the previous run" in done.stdout
    listed = sqltest("history", "--history-path", history, "--json", cwd=project)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [(r["run_id"], r["total"], r["failed"]) for r in rows] == [
        ("first", 17, 3),
        ("second", 17, 3),
    ]
    table = sqltest("history", "--history-path", history, cwd=project)
    assert "second" in table.stdout and "68.8%" in table.stdout
    one = sqltest(
        "history", "--rule", "orders.customer_exists", "--limit", "1",
        "--history-path", history, "--json", cwd=project,
    )  # fmt: skip
    assert [
        (r["run_id"], r["status"], r["failing_count"]) for r in json.loads(one.stdout)
    ] == [("second", "failed", 2)]
    rendered = sqltest(
        "report", tmp_path / "second" / "report.json", "-f", "html,markdown",
        "-o", tmp_path / "again", "--history-path", history, cwd=project,
    )  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    markdown = (tmp_path / "again" / "report.md").read_text(encoding="utf-8")
    assert (
        markdown.splitlines()[0]
        == "## ❌ sqltest: 11 of 17 passed, 3 failed, 2 warned, 1 skipped"
    )
    assert "orders.customer_exists" in (tmp_path / "again" / "report.html").read_text(
        encoding="utf-8"
    )


def test_report_of_a_file_that_is_no_report_exits_2(project: Path) -> None:
    done = sqltest("report", "sqltest.yml", cwd=project)
    assert done.returncode == 2
    assert done.stderr.startswith(
        "error: sqltest.yml is not a sqltest JSON report (schema version 1): "
    )


def test_history_without_runs(project: Path, tmp_path: Path) -> None:
    done = sqltest("history", "--history-path", tmp_path / "none.duckdb", cwd=project)
    assert done.returncode == 2
    assert "no history at" in done.stderr


def test_inspect_shows_tables_columns_and_keys(project: Path) -> None:
    done = sqltest("inspect", "shop", "--table", "order*", "--json", cwd=project)
    assert done.returncode == 0, done.stderr
    catalog = json.loads(done.stdout)
    tables = {t["name"]: t for t in catalog["tables"]}
    assert sorted(tables) == ["order_items", "orders"]
    items = tables["order_items"]
    assert items["primary_key"] == ["order_id", "line_no"]
    assert [(fk["columns"], fk["table"]) for fk in items["foreign_keys"]] == [
        (["order_id"], "orders"),
        (["product_id"], "products"),
    ]
    assert [c["name"] for c in tables["orders"]["columns"]] == [
        "id", "customer_id", "ordered_at", "status", "total",
    ]  # fmt: skip
    text = sqltest("inspect", "shop", "--table", "order_items", cwd=project)
    assert "PK → orders.id" in text.stdout


def test_validate_passes_a_good_project(project: Path) -> None:
    done = sqltest("validate", cwd=project)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        "✔ valid: 17 rules in 1 suite(s), 3 tests, 1 data source(s)"
    )


BAD_CONFIG = """\
data_sources:
  shop:
    url: duckdb:///never-created.duckdb
  pg:
    url: postgresql://app:s3cr3t-pw@127.0.0.1:1/x
    pool: {max_sise: 2}
"""

BAD_SUITE = """\
rules:
  - id: a.one
    kind: not_null
    table: t
    colum: x
  - id: a.two
    kind: nott_null
    table: t
  - id: a.three
    kind: unique
    table: t
    columns: [x]
    depends_on: [a.fourr]
  - id: a.three
    kind: row_count
    table: t
    min: 1
  - {id: a.four, kind: row_count, table: t, min: 1, depends_on: [a.five]}
  - {id: a.five, kind: row_count, table: t, min: 1, depends_on: [a.four]}
"""


def test_validate_reports_every_error_without_a_database(tmp_path: Path) -> None:
    (tmp_path / "sqltest.yml").write_text(BAD_CONFIG)
    (tmp_path / "rules.yml").write_text(BAD_SUITE)
    (tmp_path / "x.sqltest.yml").write_text(
        "tests:\n  - name: t1\n    sqll: select 1\n"
    )
    done = sqltest("validate", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: sqltest.yml:6: data_sources.pg.pool.max_sise: unknown key; did you mean 'max_size'?",
        "error: rules.yml:2: rules.0.column: rule 'a.one': 2 problems:",
        "  rules.yml:2: rules.0.column: Field required",
        "  rules.yml:5: rules.0.colum: unknown key; did you mean 'column'?",
        "error: rules.yml:7: rules.1.kind: rule 'a.two': unknown kind 'nott_null'; did you mean 'not_null'?",
        "error: rules.yml:13: rules.2.depends_on: rule 'a.three' depends on unknown rule 'a.fourr'; did you mean 'a.four'?",
        "error: rules.yml:14: rules.3.id: duplicate rule id 'a.three' (rules.yml:9)",
        "error: rules.yml:18: rules.4.depends_on: dependency cycle: a.four -> a.five -> a.four",
        "error: x.sqltest.yml:3: tests.0.sqll: test 't1': unknown key; did you mean 'sql'?",
    ]
    assert done.stdout.startswith(
        "✘ 7 problem(s) (4 rules in 1 suite(s), 0 tests, 0 data source(s))"
    )
    assert not (tmp_path / "never-created.duckdb").exists()
    assert "s3cr3t-pw" not in done.stdout + done.stderr
    machine = sqltest("validate", "--json", cwd=tmp_path)
    document = json.loads(machine.stdout)
    assert document["ok"] is False
    assert [(p["file"], p["line"]) for p in document["problems"]][:3] == [
        ("sqltest.yml", 6),
        ("rules.yml", 2),
        ("rules.yml", 7),
    ]


def test_run_with_a_config_error_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "sqltest.yml").write_text(BAD_CONFIG)
    (tmp_path / "rules.yml").write_text("rules: []\n")
    done = sqltest("run", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: sqltest.yml:6: data_sources.pg.pool.max_sise: unknown key; "
        "did you mean 'max_size'?"
    )


def test_an_unreachable_source_exits_3_without_credentials(tmp_path: Path) -> None:
    (tmp_path / "sqltest.yml").write_text(
        "data_sources:\n  pg:\n    url: postgresql://app:s3cr3t-pw@127.0.0.1:1/x\n"
    )
    (tmp_path / "rules.yml").write_text(
        "rules:\n  - {id: t.rows, kind: row_count, table: t, min: 1}\n"
    )
    done = sqltest("run", cwd=tmp_path)
    assert done.returncode == 3
    assert "s3cr3t-pw" not in done.stdout + done.stderr
    assert done.stderr.startswith("error: data source 'pg' is unreachable: ")
    assert "postgresql://app:***@127.0.0.1:1/x" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    url = f"postgresql://postgres:s3cr3t-pw@{POSTGRES_HOST}:1/x"
    inspected = sqltest("inspect", url, cwd=tmp_path)
    assert inspected.returncode == 3
    assert "s3cr3t-pw" not in inspected.stdout + inspected.stderr


def test_usage_errors_exit_2(project: Path) -> None:
    assert sqltest("run", "--bogus", cwd=project).returncode == 2
    assert sqltest("run", "-j", "0", cwd=project).returncode == 2
    unknown = sqltest("run", "--format", "bogus", cwd=project)
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        "error: unknown report format 'bogus' (available: csv, html, json, junit, markdown, pdf)"
    )
    missing = sqltest("run", "no/such/dir", cwd=project)
    assert (missing.returncode, missing.stderr.strip()) == (
        2,
        "error: no such file or folder: no/such/dir",
    )
    assert sqltest("inspect", "nope", cwd=project).returncode == 2


def test_version_and_help(project: Path) -> None:
    version = sqltest("--version", cwd=project)
    assert (version.returncode, version.stdout) == (0, "sqltest 0.1.0\n")
    helped = sqltest("run", "--help", cwd=project)
    assert helped.returncode == 0
    assert "--fail-fast" in helped.stdout


def test_history_in_a_data_source_table(project: Path, tmp_path: Path) -> None:
    config = tmp_path / "sqltest.yml"
    config.write_text(
        "data_sources:\n"
        f"  shop:\n    url: 'duckdb:///{project / 'shop.duckdb'}?read_only=true'\n"
        f"  ops:\n    url: 'duckdb:///{tmp_path / 'ops.duckdb'}'\n"
    )
    rules = project / "rules"
    for run_id in ("one", "two"):
        done = sqltest(
            "run", rules, "-c", config, "--source", "shop", "--history-source", "ops",
            "--history-table", "main.runs", "--run-id", run_id, "-q", cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
    listed = sqltest(
        "history", "-c", config, "--history-source", "ops", "--history-table",
        "main.runs", "--json", cwd=tmp_path,
    )  # fmt: skip
    assert [r["run_id"] for r in json.loads(listed.stdout)] == ["one", "two"]
    assert not (tmp_path / ".sqltest").exists()


def test_run_without_any_configuration_exits_2(tmp_path: Path) -> None:
    (tmp_path / "r.yml").write_text(
        "rules:\n  - {id: t.rows, kind: row_count, table: t, min: 1}\n"
    )
    done = sqltest("run", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error: no sqltest.yml found beside the paths")
    assert sqltest("init", "r.yml", cwd=tmp_path).returncode == 2


def test_coverage_of_the_schema_is_measured_and_reported(project: Path) -> None:
    done = sqltest("run", "--coverage", "--no-history", "--json", cwd=project)
    assert done.returncode == 1, done.stderr
    coverage = load_run(done.stdout).coverage
    assert coverage is not None
    assert coverage.schema_name == "main"
    assert coverage.tables == ("customers", "order_items", "orders", "products")
    assert coverage.table_percent == 100.0
    assert 0 < coverage.column_percent < 100
    assert coverage.outputs and coverage.outputs_asserted
    plain = sqltest("run", "--coverage", "--no-history", cwd=project)
    assert "coverage of main: tables 100.0%, columns" in plain.stdout


def test_reports_are_delivered_and_a_failed_target_keeps_them(
    project: Path, tmp_path: Path
) -> None:
    config = tmp_path / "delivering.yml"
    config.write_text(
        f"""
data_sources:
  shop: {{url: "duckdb:///{project / "shop.duckdb"}"}}
delivery:
  formats: [json, markdown]
  targets:
    - {{type: folder, path: "{tmp_path / "delivered"}"}}
    - type: webhook
      url: http://127.0.0.1:9/hook
      secret: canary-secret-42
      retry: {{attempts: 1}}
"""
    )
    done = sqltest(
        "run",
        ".",
        "--config",
        config,
        "--no-history",
        "-o",
        tmp_path / "out",
        cwd=project,
    )
    assert done.returncode == 1, done.stderr
    assert sorted(p.name for p in (tmp_path / "delivered").iterdir()) == [
        "report.json",
        "report.md",
    ]
    assert (tmp_path / "out" / "report.json").exists()
    assert "delivery to webhook:127.0.0.1 failed after 1 attempt(s)" in done.stderr
    assert "canary-secret-42" not in done.stdout + done.stderr
    quiet = sqltest(
        "run",
        ".",
        "--config",
        config,
        "--no-history",
        "--no-deliver",
        "-q",
        cwd=project,
    )
    assert "delivery" not in quiet.stderr
