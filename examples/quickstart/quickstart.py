"""Quickstart: an example shop in embedded DuckDB, no server needed.

This folder is an sqltest project, the one ``sqltest init`` writes: settings
(``sqltest.yml``), a small shop database built from ``schema.sql`` and
``data/*.csv``, data rules (``rules/shop.yml``) and SQL unit tests
(``tests/orders.sqltest.yml``). Some rules and one test fail on purpose.

The script builds the database when it is missing (``sqltest init``, which
keeps existing files), then runs everything and writes the HTML and JSON
reports, as these two commands do::

    sqltest init examples/quickstart
    sqltest run examples/quickstart --format html,json --output report

Run: python examples/quickstart/quickstart.py [REPORT_FOLDER]   (default: report)
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqltest_core.cli import EXIT_FAILED, EXIT_OK, main

HERE = Path(__file__).resolve().parent


def quickstart(report: str) -> int:
    """Build the database if needed, run the project, write the reports."""
    code = main(["init", str(HERE)])
    if code != EXIT_OK:
        return code
    code = main(["run", str(HERE), "--format", "html,json", "--output", report])
    page = Path(report) / "report.html"
    if code == EXIT_FAILED and page.exists():  # some checks fail on purpose
        print(f"\nSome checks fail on purpose; open {page} to see why.")
        return EXIT_OK
    return code


if __name__ == "__main__":
    sys.exit(quickstart(sys.argv[1] if len(sys.argv) > 1 else "report"))
