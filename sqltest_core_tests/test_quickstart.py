"""The README's first command runs examples/quickstart/quickstart.py: keep it working."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from sqltest_core.cli._init import template_files
from sqltest_core.reporting import load_run

# Output laid out as in a CI log (160 columns), whatever the test runner's COLUMNS.
ENV = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
QUICKSTART = Path(__file__).parent.parent / "examples" / "quickstart"
SQLTEST = Path(sys.executable).parent / "sqltest"


def test_quickstart_is_the_project_sqltest_init_writes() -> None:
    shipped = {
        str(relative): resource.read_bytes() for relative, resource in template_files()
    }
    here = {
        str(p.relative_to(QUICKSTART)): p.read_bytes()
        for p in QUICKSTART.rglob("*")
        if p.is_file()
        and p.name != "quickstart.py"
        and not p.name.startswith("shop.duckdb")
        and not {".sqltest", "report", "__pycache__"}
        & set(p.relative_to(QUICKSTART).parts)
    }
    assert sorted(here) == sorted(shipped)
    for name, content in shipped.items():
        assert here[name] == content, (
            f"examples/quickstart/{name} differs from the template"
        )


def test_quickstart_runs_and_writes_the_html_report(tmp_path: Path) -> None:
    project = tmp_path / "quickstart"
    shutil.copytree(
        QUICKSTART,
        project,
        ignore=shutil.ignore_patterns("shop.duckdb*", ".sqltest", "report"),
    )
    result = subprocess.run(
        [sys.executable, str(project / "quickstart.py"), "report"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=ENV,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert (
        "built   quickstart/shop.duckdb (customers 200, products 20, orders 600, "
        "order_items 1,285 rows)" in out
    )
    assert "✘ failed: 13 of 20 passed, 4 failed, 2 warned, 1 skipped" in out
    assert "html report: report/report.html" in out
    assert "Some checks fail on purpose; open report/report.html to see why." in out
    assert "Traceback" not in out + result.stderr
    page = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "customers.email_format" in page
    run = load_run((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert run["orders.customer_exists"].failing_count == 2
    assert (project / ".sqltest" / "history.duckdb").exists()
    # The same project through the command, as docs/cli.md shows it.
    again = subprocess.run(
        [str(SQLTEST), "run", "quickstart", "--format", "html", "--output", "again"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=ENV,
    )
    assert again.returncode == 1, again.stderr
    assert "no change in failures since the previous run" in again.stdout
    assert (tmp_path / "again" / "report.html").exists()
