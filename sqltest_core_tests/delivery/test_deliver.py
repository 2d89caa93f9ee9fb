from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

from sqltest_core.config import RetrySettings
from sqltest_core.delivery import (
    DEFAULT_RETRY,
    DeliveryError,
    DeliveryResult,
    Reports,
    Target,
    deliver,
    headline,
    write_reports,
)
from sqltest_core.errors import ConfigError
from sqltest_core.results import RunResult
from sqltest_core_tests.delivery._run import listing, small_run
from sqltest_core_tests.delivery.conftest import FAST, Sleeps


class Scripted:
    """A third-party target: fails with the given errors, then succeeds."""

    def __init__(
        self,
        name: str,
        *errors: BaseException,
        timeout: float = 5.0,
        retry: RetrySettings = FAST,
    ) -> None:
        self.name = name
        self.timeout = timeout
        self.retry = retry
        self.errors = list(errors)
        self.seen: list[bytes] = []

    async def deliver(self, reports: Reports) -> None:
        self.seen.append(await reports.content("json"))
        if self.errors:
            raise self.errors.pop(0)


class Hangs(Scripted):
    async def deliver(self, reports: Reports) -> None:
        await anyio.sleep_forever()


def test_scripted_fits_the_protocol() -> None:
    assert isinstance(Scripted("x"), Target)


async def test_reports_written_before_any_target(tmp_path: Path) -> None:
    seen_on_disk: list[list[str]] = []

    class Looks(Scripted):
        async def deliver(self, reports: Reports) -> None:
            seen_on_disk.append(listing(reports.folder))

    [result] = await deliver(
        small_run(), [Looks("look")], folder=tmp_path / "out", formats=["json", "csv"]
    )
    assert result == DeliveryResult("look", ok=True, attempts=1)
    assert seen_on_disk == [["report.csv", "report.json"]]


async def test_no_targets_still_writes(tmp_path: Path) -> None:
    assert await deliver(small_run(), [], folder=tmp_path, stem="nightly") == []
    assert listing(tmp_path) == [
        "nightly.html",
        "nightly.json",
        "nightly.md",
        "nightly.xml",
    ]


async def test_results_in_target_order_whatever_fails(
    tmp_path: Path, sleeps: Sleeps, logs
) -> None:
    targets = [
        Scripted("flaky", DeliveryError("reset", transient=True)),
        Scripted("broken", ValueError("bug in a plug-in")),
        Scripted("fine"),
        Scripted("refused", DeliveryError("no", transient=False)),
    ]
    results = await deliver(small_run(), targets, folder=tmp_path, sleep=sleeps)
    assert results == [
        DeliveryResult("flaky", ok=True, attempts=2),
        DeliveryResult(
            "broken", ok=False, attempts=1, error="ValueError: bug in a plug-in"
        ),
        DeliveryResult("fine", ok=True, attempts=1),
        DeliveryResult("refused", ok=False, attempts=1, error="no"),
    ]
    events = [json.loads(line) for line in logs.getvalue().splitlines()]
    assert sorted((e["event"], e["target"]) for e in events if "target" in e) == [
        ("delivered", "fine"),
        ("delivered", "flaky"),
        ("delivery failed", "broken"),
        ("delivery failed", "refused"),
    ]


async def test_targets_run_concurrently(tmp_path: Path) -> None:
    both = anyio.Event()
    count = 0

    class Meets(Scripted):
        async def deliver(self, reports: Reports) -> None:
            nonlocal count
            count += 1
            if count == 2:
                both.set()
            with anyio.fail_after(5):
                await both.wait()  # only returns if the other one runs too

    results = await deliver(small_run(), [Meets("a"), Meets("b")], folder=tmp_path)
    assert [r.ok for r in results] == [True, True]


async def test_timeout_per_attempt_is_retried(tmp_path: Path, sleeps: Sleeps) -> None:
    [result] = await deliver(
        small_run(), [Hangs("slow", timeout=0.01)], folder=tmp_path, sleep=sleeps
    )
    assert result == DeliveryResult(
        "slow",
        ok=False,
        attempts=3,
        error="gave up after 3 attempts: no answer within 0.01s",
    )


async def test_single_attempt_policy(tmp_path: Path) -> None:
    once = RetrySettings(attempts=1)
    [result] = await deliver(
        small_run(),
        [Scripted("one", DeliveryError("down", transient=True), retry=once)],
        folder=tmp_path,
    )
    assert result == DeliveryResult("one", ok=False, attempts=1, error="down")


async def test_error_messages_are_redacted(tmp_path: Path) -> None:
    err = RuntimeError("connect to https://u:hunter2@example.com failed")
    [result] = await deliver(small_run(), [Scripted("x", err)], folder=tmp_path)
    assert result.error == "RuntimeError: connect to https://u:***@example.com failed"


async def test_unwritable_folder_raises_before_delivering(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    target = Scripted("never")
    with pytest.raises(OSError):
        await deliver(small_run(), [target], folder=blocker / "sub")
    assert target.seen == []


async def test_clashing_formats_raise(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="would both write"):
        await deliver(small_run(), [], folder=tmp_path, formats=["json", "json"])


async def test_cancellation_propagates(tmp_path: Path) -> None:
    with anyio.move_on_after(0.05) as scope:
        await deliver(small_run(), [Hangs("h", timeout=60)], folder=tmp_path)
    assert scope.cancelled_caught
    assert (tmp_path / "report.json").exists()


async def test_reports_mask_and_render_on_demand(tmp_path: Path) -> None:
    reports = await write_reports(
        small_run(), folder=tmp_path, formats=["json"], mask_columns=["email"]
    )
    assert reports.paths == {"json": tmp_path / "report.json"}
    assert reports.run["orders.status_known"].samples == ({"id": 7, "email": "••••"},)
    assert await reports.content("json") == (tmp_path / "report.json").read_bytes()
    csv = await reports.content("csv")
    assert csv.startswith(b"run_id,rule_id,")
    assert reports.filename("csv") == "report.csv"
    assert not (tmp_path / "report.csv").exists()


def test_headline_and_default_retry() -> None:
    assert headline(RunResult()) == "no rules or tests ran"
    assert (
        headline(small_run())
        == "1 of 5 passed, 1 failed, 1 warned, 1 errored, 1 skipped"
    )
    assert (DEFAULT_RETRY.attempts, DEFAULT_RETRY.deadline) == (4, 120.0)
