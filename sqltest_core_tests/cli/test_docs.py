"""docs/cli.md's tour: each ``$ sqltest`` line runs, with the exit code it states."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).parent.parent.parent / "docs" / "cli.md"
SQLTEST = Path(sys.executable).parent / "sqltest"
LINE = re.compile(r"^\$ (sqltest .*?)\s+# exit (\d)")


def tour() -> list[tuple[str, int]]:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```console\n(.*?)```", text, flags=re.DOTALL)
    found = [LINE.match(line) for block in blocks for line in block.splitlines()]
    return [(m[1], int(m[2])) for m in found if m]


def test_the_tour_has_every_command() -> None:
    commands = {shlex.split(cmd)[1] for cmd, _ in tour()}
    assert commands == {"init", "validate", "run", "inspect", "history", "report"}


def test_the_tour_runs_as_documented(tmp_path: Path) -> None:
    for command, code in tour():
        args = shlex.split(command)
        done = subprocess.run(
            [str(SQLTEST), *args[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={"PATH": str(SQLTEST.parent), "NO_COLOR": "1", "HOME": str(tmp_path)},
        )
        assert done.returncode == code, f"{command}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stdout + done.stderr
    assert (tmp_path / "report" / "report.html").exists()
    assert (tmp_path / "report" / "report.md").exists()
    assert (tmp_path / "shop" / ".sqltest" / "history.duckdb").exists()
