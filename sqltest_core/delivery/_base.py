"""What every target shares: the rendered reports, the result, the error, the base."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable
from urllib.parse import quote

import anyio
from pydantic import BaseModel, ConfigDict, Field

from sqltest_core._secrets import redact
from sqltest_core.config._models import RetrySettings  # not the package: it imports us
from sqltest_core.errors import DeliveryError
from sqltest_core.reporting import make_reporter
from sqltest_core.results import RuleResult, RunResult, Status

__all__ = [
    "DEFAULT_RETRY",
    "DeliveryError",
    "DeliveryResult",
    "Reports",
    "Target",
    "TargetBase",
    "fill_run_id",
    "headline",
    "needs_attention",
]

#: Retries of a delivery: four tries within two minutes.
DEFAULT_RETRY = RetrySettings(
    attempts=4, initial_backoff=1.0, max_backoff=30.0, jitter=0.5, deadline=120.0
)
_STATUS_ORDER = tuple(s.value for s in Status)


@dataclasses.dataclass(frozen=True, slots=True)
class DeliveryResult:
    """How delivering to one target went.

    Attributes:
        target: The target's ``name``.
        ok: True when the target took the report.
        attempts: Tries made, the first included.
        error: Why it failed (credentials masked); None when ``ok``.
    """

    target: str
    ok: bool
    attempts: int
    error: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Reports:
    """The reports of one run, written to ``folder`` before any target sees them.

    Targets read files through :meth:`content`, so what they send is what is on
    disk; a format that was not written is rendered in memory on demand.

    Attributes:
        run: The run, with sensitive columns already masked.
        folder: Where the reports were written.
        paths: Each written format's name mapped to its file.
        history: Earlier runs, oldest first, for formats rendered on demand.
        stem: File name of the reports without extension.
        delivery_id: One id per delivery, the same on every retry (webhooks send
            it so that receivers can drop duplicates).
    """

    run: RunResult
    folder: Path
    paths: Mapping[str, Path]
    history: Sequence[RunResult] | None = None
    stem: str = "report"
    delivery_id: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)
    _cache: dict[str, bytes] = dataclasses.field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    async def content(self, fmt: str) -> bytes:
        """The bytes of the report in format ``fmt`` (``json``, ``html``, ...)."""
        if fmt not in self._cache:
            self._cache[fmt] = await anyio.to_thread.run_sync(self._load, fmt)
        return self._cache[fmt]

    def _load(self, fmt: str) -> bytes:
        path = self.paths.get(fmt)
        if path is not None:
            return path.read_bytes()
        out = make_reporter(fmt).render(self.run, history=self.history)
        return out.encode("utf-8") if isinstance(out, str) else out

    def filename(self, fmt: str) -> str:
        """The file name of format ``fmt`` (``report.json``)."""
        path = self.paths.get(fmt)
        return path.name if path is not None else self.stem + make_reporter(fmt).suffix


@runtime_checkable
class Target(Protocol):
    """Somewhere a run's reports go: the shape every target has.

    ``deliver`` makes one attempt and raises on failure (a transient
    :class:`DeliveryError` to be retried); :func:`~sqltest_core.delivery.deliver`
    adds the retries and the timeout.
    """

    @property
    def name(self) -> str:
        """Shown in results and logs."""

    @property
    def timeout(self) -> float:
        """Seconds one attempt may take."""

    @property
    def retry(self) -> RetrySettings:
        """Attempts, backoff and overall deadline of the retries."""

    async def deliver(self, reports: Reports) -> None: ...


class TargetBase(BaseModel):
    """Common fields of the built-in targets (frozen pydantic models).

    Attributes:
        name: Shown in results and logs; derived from the target when not given.
        timeout: Seconds one attempt may take.
        retry: Attempts, backoff and overall deadline.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)
    kind: ClassVar[str] = "target"

    name: str = ""
    timeout: float = Field(30.0, gt=0, description="Seconds one attempt may take.")
    retry: RetrySettings = DEFAULT_RETRY

    def model_post_init(self, context: Any, /) -> None:  # Any: pydantic's signature
        if not self.name:
            # Frozen model: fill the derived default once, at construction.
            object.__setattr__(self, "name", self.default_name())

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # A URL may carry a token in its query: mask what redact() knows.
        for key, value in super().__repr_args__():
            yield key, redact(value) if isinstance(value, str) else value

    def default_name(self) -> str:
        """The name used when none is given."""
        return self.kind

    async def deliver(self, reports: Reports) -> None:
        """Make one attempt at delivering ``reports``."""
        raise NotImplementedError


def fill_run_id(template: str, run_id: str, *, url: bool) -> str:
    """``template`` with ``{run_id}`` replaced, made safe for a URL or a path.

    >>> fill_run_id("https://r.example.com/{run_id}/", "a b/c", url=True)
    'https://r.example.com/a%20b%2Fc/'
    >>> fill_run_id("/srv/{run_id}", "../../etc", url=False)
    '/srv/_.._etc'
    """
    if url:
        safe = quote(run_id, safe="")
    else:
        # A run id is data: it must not climb out of the folder or name a device.
        safe = re.sub(r"[^\w.-]", "_", run_id).lstrip(".") or "_"
    return template.replace("{run_id}", safe)


def headline(run: RunResult) -> str:
    """A one-line verdict: ``1 of 3 passed, 1 failed, 1 skipped``.

    >>> from sqltest_core.results import RuleResult
    >>> headline(RunResult(results=[RuleResult(rule_id="a", status="failed"),
    ...                             RuleResult(rule_id="b", status="passed")]))
    '1 of 2 passed, 1 failed'
    """
    counts = run.counts
    total = len(run.results)
    if not total:
        return "no rules or tests ran"
    others = [
        f"{counts[s]} {s}" for s in _STATUS_ORDER if s != "passed" and counts.get(s)
    ]
    return ", ".join([f"{counts.get('passed', 0)} of {total} passed", *others])


def needs_attention(run: RunResult) -> list[RuleResult]:
    """Failed, errored and warned results, worst first, then by failing count."""
    rank = {Status.FAILED: 0, Status.ERRORED: 1, Status.WARNED: 2}
    bad = [r for r in run.results if r.status in rank]
    return sorted(bad, key=lambda r: (rank[r.status], -(r.failing_count or 0)))
