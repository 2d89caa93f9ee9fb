"""Rendered SQL is memoised on disk: a warm process never imports sqlglot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import anyio
    from sqltest_core import open_pool
    from sqltest_core.rules import (
        AcceptedValues, Mean, NotNull, ReferentialIntegrity, Unique, evaluate,
    )

    RULES = [
        NotNull(id="n", table="t", column="x"),
        AcceptedValues(id="a", table="t", column="s", values=("ok",)),
        Unique(id="u", table="t", columns=("id",)),
        Mean(id="m", table="t", column="x", min=0, max=4),
        ReferentialIntegrity(
            id="r", table="t", columns=("x",), parent="p", parent_columns=("id",)
        ),
        NotNull(id="bad", table="t", column="x", where="x >"),
    ]

    async def main():
        async with open_pool("duckdb://:memory:") as pool:
            await pool.execute(
                "create table t as select * from (values (1, 1, 'ok'), (1, null, 'no'),"
                " (2, 9, 'ok')) v(id, x, s)"
            )
            await pool.execute("create table p as select 1 as id")
            return await evaluate(RULES, pool, sample_size=2)

    results = anyio.run(main)
    print(json.dumps({
        "sqlglot": "sqlglot" in sys.modules,
        "results": [
            [r.rule_id, r.status.value, r.failing_count, list(r.sql), r.reason,
             r.details, r.samples]
            for r in results
        ],
    }, default=str))
    """
)


def _run(cache: Path) -> dict[str, Any]:
    env = {**os.environ, "SQLTEST_CACHE_DIR": str(cache)}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_a_warm_process_renders_nothing_and_gets_the_same_results(
    tmp_path: Path,
) -> None:
    cold = _run(tmp_path)
    warm = _run(tmp_path)
    assert cold["sqlglot"] is True
    assert warm["sqlglot"] is False  # errors are memoised too
    assert warm["results"] == cold["results"]
    statuses = {r[0]: (r[1], r[2]) for r in cold["results"]}
    assert statuses == {
        "n": ("failed", 1),
        "a": ("failed", 1),
        "u": ("failed", 2),
        "m": ("failed", 1),
        "r": ("failed", 1),
        "bad": ("errored", None),
    }
