"""The README's first command runs examples/quickstart/quickstart.py: keep it working."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parent.parent / "examples" / "quickstart" / "quickstart.py"


def test_quickstart_runs_and_shows_failing_rules(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "shop.duckdb")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "orders over 100 in " in out
    assert "rules: {'passed': 6, 'warned': 1, 'failed': 2}" in out
    assert "failed   customers.country_known      250 failing" in out
    assert "Traceback" not in out + result.stderr
