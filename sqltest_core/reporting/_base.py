"""The Reporter protocol, the reporter registry, and writing reports to disk."""

from __future__ import annotations

import fnmatch
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from sqltest_core._plugins import Registry
from sqltest_core.errors import ConfigError, PluginNotFound
from sqltest_core.results import RuleResult, RunResult

__all__ = [
    "MASK",
    "Reporter",
    "ReporterFactory",
    "make_reporter",
    "mask_samples",
    "registry",
    "render_all",
    "reporter_for_path",
    "write",
]

MASK = "••••"
"""What a masked sample value is replaced by."""


@runtime_checkable
class Reporter(Protocol):
    """Renders a :class:`~sqltest_core.results.RunResult` in one format.

    ``name`` is the registry name (``html``), ``suffix`` the file extension with
    its dot (``.html``). ``history`` holds earlier runs, oldest first, for
    formats that show trends; a reporter that has no use for it ignores it.
    """

    name: ClassVar[str]
    suffix: ClassVar[str]

    def render(
        self, run: RunResult, *, history: Sequence[RunResult] | None = None
    ) -> bytes | str: ...


ReporterFactory = Callable[..., Reporter]
"""What the registry holds: a reporter class, called with keyword options."""


def _check(obj: object) -> ReporterFactory:
    if not isinstance(obj, type):
        raise TypeError(f"expected a reporter class, got {obj!r}")
    missing = [a for a in ("name", "suffix", "render") if not hasattr(obj, a)]
    if missing:
        raise TypeError(f"{obj.__qualname__} lacks {', '.join(missing)}")
    factory: ReporterFactory = obj
    return factory


registry: Registry[ReporterFactory] = Registry(
    "sqltest_core.reporters", kind="reporter", check=_check
)
"""Reporter classes by format name; plug-ins add theirs by entry point."""


def make_reporter(name: str, **options: Any) -> Reporter:  # Any: per-format options
    """Build the reporter registered as ``name`` with its keyword ``options``.

    >>> make_reporter("csv").suffix
    '.csv'
    """
    reporter = registry.get(name)(**options)
    if not isinstance(reporter, Reporter):
        raise TypeError(f"reporter {name!r} built {reporter!r}, not a Reporter")
    return reporter


def reporter_for_path(path: str | os.PathLike[str]) -> Reporter:
    """The reporter whose ``suffix`` matches ``path``'s extension.

    >>> reporter_for_path("out/report.md").name
    'markdown'
    """
    suffix = Path(path).suffix.lower()
    for name in registry.names():
        if registry.get(name).suffix == suffix:  # type: ignore[attr-defined]
            return make_reporter(name)
    raise PluginNotFound(f"no reporter writes {suffix or 'extensionless'!r} files")


def _is_masked(column: str, patterns: Sequence[str]) -> bool:
    name = column.casefold()
    return any(fnmatch.fnmatchcase(name, p.casefold()) for p in patterns)


def _mask_row(row: Mapping[str, Any], patterns: Sequence[str]) -> dict[str, Any]:
    return {k: MASK if _is_masked(k, patterns) else v for k, v in row.items()}


def _mask_details(
    details: dict[str, Any], column: str | None, patterns: Sequence[str]
) -> dict[str, Any]:
    out = dict(details)
    if column is not None and _is_masked(column, patterns):
        for key in ("bad_values", "value"):
            if isinstance(out.get(key), list):
                out[key] = [MASK for _ in out[key]]
            elif key in out and out[key] is not None:
                out[key] = MASK
    diff = details.get("diff")
    if isinstance(diff, dict):
        diff = dict(diff)
        for side in ("missing", "unexpected"):
            rows = diff.get(side)
            if isinstance(rows, list):
                diff[side] = [
                    _mask_row(r, patterns) if isinstance(r, Mapping) else r
                    for r in rows
                ]
        out["diff"] = diff
    return out


def _mask_result(result: RuleResult, patterns: Sequence[str]) -> RuleResult:
    return result.model_copy(
        update={
            "samples": tuple(_mask_row(s, patterns) for s in result.samples),
            "details": _mask_details(result.details, result.column, patterns),
        }
    )


def mask_samples(run: RunResult, columns: Iterable[str]) -> RunResult:
    """A copy of ``run`` with sample values of sensitive columns replaced by ``MASK``.

    Columns are names or glob patterns (``*_email``), compared case-insensitively.
    Sample rows, unit-test row diffs (``details["diff"]``) and, when the
    result's ``column`` is sensitive, ``bad_values`` and ``value`` are masked.

    >>> from sqltest_core.results import RuleResult, RunResult
    >>> run = RunResult(results=[RuleResult(rule_id="r", status="failed",
    ...     samples=({"id": 1, "Email": "a@b.c"},))])
    >>> mask_samples(run, ["email"]).results[0].samples
    ({'id': 1, 'Email': '••••'},)
    """
    patterns = tuple(columns)
    if not patterns:
        return run
    return run.model_copy(
        update={"results": tuple(_mask_result(r, patterns) for r in run.results)}
    )


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write(
    run: RunResult,
    path: str | os.PathLike[str],
    *,
    reporter: str | Reporter | None = None,
    history: Sequence[RunResult] | None = None,
) -> Path:
    """Render ``run`` and write it to ``path`` atomically; return the path.

    Args:
        run: The results to render.
        path: Target file; its parent folders are created.
        reporter: A reporter, or a registry name; by default the one whose
            ``suffix`` matches ``path``.
        history: Earlier runs, oldest first, for reporters that show trends.
    """
    target = Path(path)
    if reporter is None:
        reporter = reporter_for_path(target)
    elif isinstance(reporter, str):
        reporter = make_reporter(reporter)
    out = reporter.render(run, history=history)
    _atomic_write(target, out.encode("utf-8") if isinstance(out, str) else out)
    return target


def render_all(
    run: RunResult,
    formats: Iterable[str | Reporter],
    folder: str | os.PathLike[str],
    *,
    history: Sequence[RunResult] | None = None,
    stem: str = "report",
    mask_columns: Sequence[str] = (),
) -> dict[str, Path]:
    """Write one report per format into ``folder`` as ``<stem><suffix>``.

    Args:
        run: The results to render.
        formats: Registry names (built with default options) or reporters.
        folder: Where to write; created if missing.
        history: Earlier runs, oldest first.
        stem: File name without extension.
        mask_columns: Sensitive columns (names or globs) masked for every format.

    Returns:
        Each reporter's name mapped to the file it wrote.

    Raises:
        ConfigError: Two formats would write the same file.
    """
    reporters = [make_reporter(f) if isinstance(f, str) else f for f in formats]
    paths: dict[str, Path] = {}
    seen: dict[Path, str] = {}
    for r in reporters:
        path = Path(folder) / f"{stem}{r.suffix}"
        if path in seen:
            raise ConfigError(
                f"reporters {seen[path]!r} and {r.name!r} would both write {path}"
            )
        seen[path] = r.name
    masked = mask_samples(run, mask_columns)
    for r in reporters:
        paths[r.name] = write(
            masked, Path(folder) / f"{stem}{r.suffix}", reporter=r, history=history
        )
    return paths
