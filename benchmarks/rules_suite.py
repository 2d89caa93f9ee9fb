"""The rules-engine benchmark of issue 3: a 10-rule suite against hand-written SQL.

Ten rules (not_null, unique, range, regex, accepted_values,
no_future_timestamps, length, row_count, referential_integrity, mean within
bounds) over an events table with planted defects (exact counts known, see
``_rules_data.expected``) and a 100,000-row parent table, on DuckDB (a file
database in the temp dir) and PostgreSQL (schema ``sqltest_bench`` of ``test``).
The data is generated inside the engine and cached: a table whose marker row
(version, row count) is current is reused.

Every variant runs as a fresh process (``python benchmarks/_rules_data.py``),
interpreter start, imports and connecting included; wall time is measured here,
around the process, and peak RSS comes from ``os.wait4``. Variants:

- ``sqltest``: ``run_rules`` over the ten rule models, default samples (5
  failing rows per failed rule, as a user gets them);
- ``sqltest_nosamples``: the same with ``sample_size=0`` (counts only, like the
  hand-written SQL);
- ``api_floor`` (not a candidate): imports ``sqltest_core``, builds the ten
  rule models and the settings, then runs the ``split3_concurrent`` SQL with
  the bare driver inside an event loop, evaluating nothing: the fixed cost of
  the library's API and dependencies (pydantic, anyio), under which
  ``sqltest`` cannot go;
- ``one_statement``: one hand-written statement computing every figure;
- ``split3_concurrent``, ``split3_serial``, ``split2_concurrent`` and, on
  PostgreSQL, ``split3_sortagg``: the hand-written candidates for the fastest
  form (uniqueness and orphans out of the big aggregate, on connections of
  their own or in turn; sort-based grouping for uniqueness); the fastest of the
  hand-written forms in the same run is the reference of the targets.

The report gives, per engine and size, the median wall time, the ratios, the
queries each variant issued (for sqltest: every statement logged at the pool,
with its duration, from the median run), peak RSS and a split of the time
(interpreter start and imports, connecting, queries, the rest).

Every variant's counts are checked against the planted defects; a mismatch is
printed loudly and makes the script exit with status 1.

Run: python benchmarks/rules_suite.py [--rows N] [--runs K] [--engines duckdb,postgres]
(without ``--rows``: 10M rows on both engines and 1M on DuckDB; a smoke test:
``--rows 10000 --runs 1``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _rules_data as data

from _common import machine, psql

HERE = Path(__file__).parent
SQLTEST = ("sqltest", "sqltest_nosamples")
FLOOR = "api_floor"
TARGETS = {"10M": 1.1, "1M": 1.3}


def ensure(engine: str, rows: int) -> float:
    """Create the tables unless current; returns the seconds set-up took."""
    started = time.perf_counter()
    if engine == "duckdb":
        import duckdb

        data.DUCKDB_PATH.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(data.DUCKDB_PATH)) as con:
            try:
                current = con.execute(data.marker_sql(rows)).fetchall() != []
            except duckdb.Error:
                current = False
            if not current:
                for sql in data.setup_sql(engine, rows):
                    con.execute(sql)
                con.execute("checkpoint")
    else:
        try:
            current = psql(data.marker_sql(rows)).strip() != ""
        except subprocess.CalledProcessError:
            current = False
        if not current:
            psql(";\n".join(data.setup_sql(engine, rows)) + ";")
    return 0.0 if current else time.perf_counter() - started


def measure(variant: str, engine: str, rows: int) -> dict[str, Any]:
    """One fresh process: its JSON output, wall time and peak RSS (``wait4``)."""
    script = str(HERE / "_rules_data.py")
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, script, variant, engine, str(rows)],
            stdout=out,
            cwd=HERE.parent,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if proc.returncode != 0:
        raise SystemExit(f"{variant} on {engine} ({rows:,} rows) failed")
    result: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
    result["wall_s"] = wall
    result["rss_mb"] = usage.ru_maxrss / 1024
    return result


def check(variant: str, got: dict[str, Any], want: dict[str, int]) -> list[str]:
    """Differences between a variant's figures and the planted defects."""
    problems = [
        f"{k}: got {got.get(k)!r}, planted {v}"
        for k, v in want.items()
        if got.get(k) != v
    ]
    if got.get("mean_failing", 0) != 0:
        problems.append(f"mean rule failed: {got.get('mean')!r}")
    return [f"{variant}: {p}" for p in problems]


def size_label(rows: int) -> str:
    if rows >= 1_000_000 and rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    return f"{rows:,}"


def bench(engine: str, rows: int, runs: int) -> dict[str, Any]:
    # Set up in a process of its own: a child's peak RSS (wait4) counts the
    # memory of the parent it was forked from, which must stay small.
    with multiprocessing.get_context("spawn").Pool(1) as setup:
        setup_s = setup.apply(ensure, (engine, rows))
    want = data.expected(rows)
    measure("one_statement", engine, rows)  # warm the caches
    # The first sqltest process renders the rules' SQL with sqlglot and keeps
    # it on disk (the cache folder is new for this benchmark); later ones, like
    # every later run of a suite, read it back.
    cold = measure("sqltest", engine, rows)
    variants = (*SQLTEST, FLOOR, *data.hand_variants(engine))
    samples: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    for _ in range(runs):  # round robin: drift hits every variant alike
        for variant in variants:
            samples[variant].append(measure(variant, engine, rows))
    problems: list[str] = []
    means = []
    for variant, outs in samples.items():
        for out in outs:
            problems += check(variant, out, want)
            means.append(out["mean"])
    if not all(math.isclose(m, means[0], rel_tol=1e-9) for m in means):
        problems.append(f"means differ: {sorted(set(means))}")
    figures = {
        v: {
            "wall_s": statistics.median(o["wall_s"] for o in outs),
            "walls": [o["wall_s"] for o in outs],
            "rss_mb": max(o["rss_mb"] for o in outs),
            "split": {
                k: statistics.median(o["split"][k] for o in outs)
                for k in outs[0]["split"]
            },
        }
        for v, outs in samples.items()
    }
    return {
        "engine": engine,
        "rows": rows,
        "setup_s": setup_s,
        "cold_s": cold["wall_s"],
        "figures": figures,
        **{v: _median_run(samples[v]) for v in SQLTEST},
        "problems": problems,
    }


def _median_run(outs: list[dict[str, Any]]) -> dict[str, Any]:
    return sorted(outs, key=lambda o: o["wall_s"])[len(outs) // 2]


def report(result: dict[str, Any]) -> None:
    engine, rows, figures = result["engine"], result["rows"], result["figures"]
    one = figures["one_statement"]["wall_s"]
    hand = data.hand_variants(engine)
    fastest = min(hand, key=lambda v: figures[v]["wall_s"])
    best = figures[fastest]["wall_s"]
    print(
        f"\n### {engine}, {rows:,} rows (median of the runs; set-up {result['setup_s']:.1f} s)\n"
    )
    print(
        "| variant | wall s | vs one statement | vs fastest | queries | peak RSS MB"
        " | start + imports s | connect s | queries s | rest s | every run s |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for variant in (*SQLTEST, FLOOR, *hand):
        f = figures[variant]
        split = f["split"]
        # Interpreter start (before the child's first line) counts with imports.
        start = f["wall_s"] - split["total_s"] + split["import_s"]
        run = split.get(
            "run_s", split["total_s"] - split["import_s"] - split["connect_s"]
        )
        rest = f["wall_s"] - start - split["connect_s"] - run
        if variant in SQLTEST:
            queries = str(len(result[variant]["queries"]))
        else:
            form = data.FLOOR_FORM if variant == FLOOR else variant
            queries = str(len(data.statements(form, engine, rows)[0]))
        name = (
            f"**{variant}**" if variant == fastest or variant == "sqltest" else variant
        )
        print(
            f"| {name} | {f['wall_s']:.3f} | {f['wall_s'] / one:.2f} | {f['wall_s'] / best:.2f}"
            f" | {queries} | {f['rss_mb']:.0f} | {start:.3f}"
            f" | {split['connect_s']:.3f} | {run:.3f} | {rest:.3f}"
            f" | {' '.join(f'{w:.2f}' for w in f['walls'])} |"
        )
    label = size_label(rows)
    target = TARGETS.get(label)
    ratio = figures["sqltest"]["wall_s"] / best
    ratio_counts = figures["sqltest_nosamples"]["wall_s"] / best
    verdict = (
        ""
        if target is None
        else f" (target <= {target}x: {'met' if ratio <= target else 'MISSED'})"
    )
    best_of = {v: min(figures[v]["walls"]) for v in (*SQLTEST, FLOOR, *hand)}
    fastest_min = min(best_of[v] for v in hand)
    print(
        f"\nsqltest / fastest ({fastest}): {ratio:.2f}x{verdict}; counts only"
        f" (sample_size=0): {ratio_counts:.2f}x. Best runs instead of medians"
        f" (less sensitive to other load): {best_of['sqltest'] / fastest_min:.2f}x,"
        f" counts only {best_of['sqltest_nosamples'] / fastest_min:.2f}x"
    )
    print(
        f"\nThe first sqltest process (SQL not yet on disk, sqlglot imported):"
        f" {result['cold_s']:.3f} s, {result['cold_s'] / best:.2f}x."
    )
    floor = figures[FLOOR]["wall_s"]
    fixed = floor - figures[data.FLOOR_FORM]["wall_s"]
    print(
        f"\nThe API floor (importing sqltest_core, building the rules and settings"
        f" in an event loop, then the {data.FLOOR_FORM} SQL with the bare driver)"
        f" costs {fixed:+.3f} s over the same SQL alone: with it, the fastest form"
        f" would take {(best + fixed) / best:.2f}x. sqltest takes"
        f" {figures['sqltest']['wall_s'] - floor:+.3f} s over the floor."
    )
    for variant in SQLTEST:
        print(f"\n{variant}: queries issued (seconds each, in the median run):\n")
        for q in result[variant]["queries"]:
            print(f"- {q['s']:.3f} s: `{q['sql']}`")
    if result["problems"]:
        print("\n!!!!!!!! MISMATCH against the planted defects !!!!!!!!")
        for p in result["problems"]:
            print(f"!!! {p}")
    else:
        print("\nAll variants computed the planted counts.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, help="rows (default: 10M on both engines, 1M on DuckDB)"
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="fresh processes per variant"
    )
    parser.add_argument("--engines", default="duckdb,postgres")
    args = parser.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(engines) - {"duckdb", "postgres"}
    if unknown:
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")
    if args.rows is None:
        plan = [(e, 10_000_000) for e in engines]
        if "duckdb" in engines:
            plan.append(("duckdb", 1_000_000))
    else:
        plan = [(e, args.rows) for e in engines]
    # A new folder for the rendered-SQL cache: the first run is cold.
    os.environ["SQLTEST_CACHE_DIR"] = tempfile.mkdtemp(prefix="sqltest-bench-")
    print(f"machine: {machine()}")
    spec = importlib.util.find_spec("sqltest_core")
    print(f"sqltest_core from: {spec.origin if spec else None}")
    failed = False
    for engine, rows in plan:
        result = bench(engine, rows, args.runs)
        report(result)
        failed = failed or bool(result["problems"])
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
