"""Run every benchmark in its own process and print the figures.

Run: python benchmarks/run_all.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from _common import machine

HERE = Path(__file__).parent
SCRIPTS = [
    "stream_throughput.py",
    "stream_memory.py",
    "introspection.py",
    "rules_suite.py",
    "unit_tests.py",
]


def main() -> None:
    print(f"machine: {machine()}")
    for script in SCRIPTS:
        print(f"\n## {script}")
        subprocess.run([sys.executable, str(HERE / script)], check=True, cwd=HERE)


if __name__ == "__main__":
    main()
