"""Write the reports, then hand them to every target concurrently, with retries."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path

import anyio

from sqltest_core._logging import get_logger
from sqltest_core._secrets import redact
from sqltest_core.delivery._base import DeliveryError, DeliveryResult, Reports, Target
from sqltest_core.errors import RetryExhausted, SqltestError
from sqltest_core.reporting import Reporter, mask_samples, render_all
from sqltest_core.resilience import RetryPolicy
from sqltest_core.results import RunResult

__all__ = ["DEFAULT_FORMATS", "MAX_RETRY_AFTER", "deliver", "send", "write_reports"]

#: Formats written by default: the lossless JSON, JUnit for CI, Markdown, HTML.
DEFAULT_FORMATS: tuple[str, ...] = ("json", "junit", "markdown", "html")
#: A receiver's ``Retry-After`` is honoured up to this many seconds.
MAX_RETRY_AFTER = 300.0
_log = get_logger("sqltest_core.delivery")


async def write_reports(
    run: RunResult,
    *,
    folder: str | os.PathLike[str],
    formats: Iterable[str | Reporter] = DEFAULT_FORMATS,
    history: Sequence[RunResult] | None = None,
    stem: str = "report",
    mask_columns: Sequence[str] = (),
) -> Reports:
    """Render ``run`` into ``folder`` (one file per format) and return the bundle."""
    formats = list(formats)
    paths = await anyio.to_thread.run_sync(
        lambda: render_all(
            run,
            formats,
            folder,
            history=history,
            stem=stem,
            mask_columns=mask_columns,
        )
    )
    return Reports(
        run=mask_samples(run, mask_columns),
        folder=Path(folder),
        paths=paths,
        history=history,
        stem=stem,
    )


async def deliver(
    run: RunResult,
    targets: Iterable[Target],
    *,
    folder: str | os.PathLike[str],
    formats: Iterable[str | Reporter] = DEFAULT_FORMATS,
    history: Sequence[RunResult] | None = None,
    stem: str = "report",
    mask_columns: Sequence[str] = (),
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
) -> list[DeliveryResult]:
    """Write the reports to ``folder``, then deliver them to every target.

    The reports are on disk before any target is tried, and stay there whatever
    the targets do. Targets run concurrently; each gets its own retries
    (``target.retry``: connection errors, timeouts, HTTP 5xx, 408 and 429, SMTP
    4xx replies are retried, a ``Retry-After`` is honoured) and a timeout per
    attempt (``target.timeout``). A failed delivery is logged and reported in
    its :class:`DeliveryResult`; it never raises.

    Args:
        run: The results to deliver.
        targets: Where to deliver them.
        folder: Where the reports are written first; created if missing.
        formats: Report formats written to ``folder``.
        history: Earlier runs, oldest first, for reports that show trends.
        stem: File name of the reports without extension.
        mask_columns: Sensitive columns (names or globs), masked in every report.
        sleep: Awaitable sleep between retries; tests pass a fake.

    Returns:
        One result per target, in the order of ``targets``.

    Raises:
        OSError: The reports could not be written to ``folder``.
        ConfigError: Two formats would write the same file.
    """
    reports = await write_reports(
        run,
        folder=folder,
        formats=formats,
        history=history,
        stem=stem,
        mask_columns=mask_columns,
    )
    return await send(reports, targets, sleep=sleep)


async def send(
    reports: Reports,
    targets: Iterable[Target],
    *,
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
) -> list[DeliveryResult]:
    """Deliver reports already written (:func:`write_reports`) to every target.

    As :func:`deliver`, without the writing: one result per target, in order.
    """
    targets = list(targets)
    results: list[DeliveryResult | None] = [None] * len(targets)

    async def one(index: int, target: Target) -> None:
        results[index] = await _deliver_one(target, reports, sleep)

    async with anyio.create_task_group() as tg:
        for index, target in enumerate(targets):
            tg.start_soon(one, index, target)
    return [r for r in results if r is not None]


async def _deliver_one(
    target: Target, reports: Reports, sleep: Callable[[float], Awaitable[None]]
) -> DeliveryResult:
    attempts = 0
    retry_after = 0.0  # the receiver's last Retry-After, applied to the next wait

    async def wait(seconds: float) -> None:
        # RetryPolicy computed ``seconds``; a longer Retry-After wins.
        nonlocal retry_after
        if retry_after > seconds:
            _log.info("waiting as asked", target=target.name, retry_after=retry_after)
            seconds = retry_after
        retry_after = 0.0
        await sleep(seconds)

    async def attempt() -> None:
        nonlocal attempts, retry_after
        attempts += 1
        try:
            with anyio.fail_after(target.timeout):
                await target.deliver(reports)
        except DeliveryError as exc:
            if exc.retry_after:
                retry_after = min(exc.retry_after, MAX_RETRY_AFTER)
            raise
        except TimeoutError as exc:
            raise DeliveryError(
                f"no answer within {target.timeout:g}s",
                source=target.name,
                transient=True,
            ) from exc

    policy = RetryPolicy(target.retry, source=target.name, sleep=wait)
    try:
        await policy.call(attempt)
    except Exception as exc:
        error = _describe(exc)
        _log.error(
            "delivery failed", target=target.name, attempts=attempts, error=error
        )
        return DeliveryResult(target.name, ok=False, attempts=attempts, error=error)
    _log.info("delivered", target=target.name, attempts=attempts)
    return DeliveryResult(target.name, ok=True, attempts=attempts)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, RetryExhausted) and exc.__cause__ is not None:
        return f"gave up after {exc.attempts} attempts: {_describe(exc.__cause__)}"
    if isinstance(exc, SqltestError):
        return exc.message
    return redact(f"{type(exc).__name__}: {exc}")
