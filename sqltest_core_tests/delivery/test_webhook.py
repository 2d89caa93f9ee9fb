from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from sqltest_core.delivery import (
    DeliveryResult,
    WebhookTarget,
    deliver,
    sign,
    verify_signature,
)
from sqltest_core.reporting import load_run
from sqltest_core_tests.delivery._receivers import Reply, free_port, http_receiver
from sqltest_core_tests.delivery._run import listing, small_run
from sqltest_core_tests.delivery.conftest import FAST, Sleeps

SECRET = "whsec-canary-5d1e8f"


async def test_receiver_verifies_signature_over_exact_body(tmp_path: Path) -> None:
    with http_receiver(Reply(204, b"")) as rx:
        target = WebhookTarget(url=rx.url, secret=SECRET, retry=FAST)
        results = await deliver(small_run(), [target], folder=tmp_path)
    assert results == [DeliveryResult("webhook:127.0.0.1", ok=True, attempts=1)]
    [req] = rx.requests
    assert req.path == "/hook"
    assert req.headers["Content-Type"] == "application/json"
    assert req.body == (tmp_path / "report.json").read_bytes()
    assert load_run(req.body) == small_run()
    ts = req.headers["X-Sqltest-Timestamp"]
    assert req.headers["X-Sqltest-Signature"] == sign(SECRET, ts, req.body)
    assert verify_signature(
        SECRET, req.body, timestamp=ts, signature=req.headers["X-Sqltest-Signature"]
    )
    assert not verify_signature(
        "other", req.body, timestamp=ts, signature=req.headers["X-Sqltest-Signature"]
    )
    assert not verify_signature(
        SECRET,
        req.body + b" ",
        timestamp=ts,
        signature=req.headers["X-Sqltest-Signature"],
    )


def test_signature_covers_the_timestamp() -> None:
    body = b"{}"
    sig = sign(SECRET, "1700000000", body)
    assert not verify_signature(
        SECRET, body, timestamp="1700000001", signature=sig, now=1700000001
    )
    assert not verify_signature(SECRET, body, timestamp="not-a-number", signature=sig)
    assert verify_signature(
        SECRET, body, timestamp="1700000000", signature=sig, now=1700000000 - 299
    )


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [
        ("1_700_000_000", None),
        ("+1700000000", None),
        (" 1700000000", None),
        ("\u0661\u0667" + "\u0660" * 8, None),  # Arabic-Indic digits: int() takes them
        ("1700000000", "sha256=é"),
        ("1700000000", ""),
    ],
)
def test_malformed_headers_are_refused(timestamp: str, signature: str | None) -> None:
    body = b"{}"
    sig = signature if signature is not None else sign(SECRET, "1700000000", body)
    assert not verify_signature(
        SECRET, body, timestamp=timestamp, signature=sig, now=1700000000
    )


async def test_unsigned_without_secret(tmp_path: Path) -> None:
    with http_receiver() as rx:
        target = WebhookTarget(url=rx.url, headers={"X-Team": "data"}, retry=FAST)
        [result] = await deliver(small_run(), [target], folder=tmp_path)
    assert result.ok
    headers = rx.requests[0].headers
    assert "X-Sqltest-Signature" not in headers
    assert headers["X-Team"] == "data"


async def test_503_twice_then_accepted_counts_attempts(
    tmp_path: Path, sleeps: Sleeps
) -> None:
    with http_receiver(Reply(503), Reply(503), Reply(200)) as rx:
        target = WebhookTarget(url=rx.url, secret=SECRET, retry=FAST)
        [result] = await deliver(small_run(), [target], folder=tmp_path, sleep=sleeps)
    assert result == DeliveryResult("webhook:127.0.0.1", ok=True, attempts=3)
    assert len(rx.requests) == 3
    assert sleeps == [0.0, 0.0]
    # One delivery id for every retry; each attempt signed afresh and valid.
    ids = {r.headers["X-Sqltest-Delivery"] for r in rx.requests}
    assert len(ids) == 1
    for r in rx.requests:
        assert verify_signature(
            SECRET,
            r.body,
            timestamp=r.headers["X-Sqltest-Timestamp"],
            signature=r.headers["X-Sqltest-Signature"],
        )


async def test_503_every_time_gives_up(tmp_path: Path, sleeps: Sleeps) -> None:
    with http_receiver(Reply(503, b"maintenance")) as rx:
        target = WebhookTarget(url=rx.url, name="ci", retry=FAST)
        [result] = await deliver(small_run(), [target], folder=tmp_path, sleep=sleeps)
    assert result == DeliveryResult(
        "ci",
        ok=False,
        attempts=3,
        error="gave up after 3 attempts: HTTP 503 Service Unavailable: maintenance",
    )
    assert len(rx.requests) == 3


async def test_400_is_not_retried(tmp_path: Path, sleeps: Sleeps, logs) -> None:
    with http_receiver(Reply(400, b'{"error": "bad payload"}')) as rx:
        target = WebhookTarget(url=rx.url, name="ci", retry=FAST)
        [result] = await deliver(small_run(), [target], folder=tmp_path, sleep=sleeps)
    assert result == DeliveryResult(
        "ci",
        ok=False,
        attempts=1,
        error='HTTP 400 Bad Request: {"error": "bad payload"}',
    )
    assert len(rx.requests) == 1
    assert sleeps == []
    [line] = [
        json.loads(x) for x in logs.getvalue().splitlines() if "delivery failed" in x
    ]
    assert (line["target"], line["attempts"], line["level"]) == ("ci", 1, "error")


async def test_redirect_is_not_followed(tmp_path: Path, sleeps: Sleeps) -> None:
    with http_receiver(Reply(302, b"", {"Location": "http://127.0.0.1:9/x"})) as rx:
        target = WebhookTarget(url=rx.url, name="ci", retry=FAST)
        [result] = await deliver(small_run(), [target], folder=tmp_path, sleep=sleeps)
    assert (result.ok, result.attempts, result.error) == (False, 1, "HTTP 302 Found")


async def test_429_honours_retry_after(tmp_path: Path, sleeps: Sleeps, logs) -> None:
    with http_receiver(Reply(429, b"", {"Retry-After": "7"}), Reply(200)) as rx:
        target = WebhookTarget(url=rx.url, retry=FAST)
        [result] = await deliver(small_run(), [target], folder=tmp_path, sleep=sleeps)
    assert (result.ok, result.attempts) == (True, 2)
    assert sleeps == [7.0]
    assert len(rx.requests) == 2
    [asked] = [json.loads(x) for x in logs.getvalue().splitlines() if "as asked" in x]
    assert asked["retry_after"] == 7.0


async def test_retry_after_is_capped(tmp_path: Path, sleeps: Sleeps) -> None:
    with http_receiver(Reply(503, b"", {"Retry-After": "86400"}), Reply(200)) as rx:
        target = WebhookTarget(url=rx.url, retry=FAST)
        [result] = await deliver(small_run(), [target], folder=tmp_path, sleep=sleeps)
    assert (result.ok, result.attempts) == (True, 2)
    assert sleeps == [300.0]  # MAX_RETRY_AFTER


async def test_receiver_down_is_retried_then_reported(
    tmp_path: Path, sleeps: Sleeps, logs
) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook?token={SECRET}"
    target = WebhookTarget(url=url, secret=SECRET, name="down", retry=FAST)
    [result] = await deliver(small_run(), [target], folder=tmp_path, sleep=sleeps)
    assert (result.ok, result.attempts) == (False, 3)
    assert result.error is not None
    assert result.error.startswith("gave up after 3 attempts: ConnectError: ")
    assert sleeps == [0.0, 0.0]
    # The reports stay on disk, complete.
    assert load_run((tmp_path / "report.json").read_bytes()) == small_run()
    assert listing(tmp_path) == [
        "report.html",
        "report.json",
        "report.md",
        "report.xml",
    ]
    text = logs.getvalue()
    assert text.count('"event": "retrying"') == 2
    assert SECRET not in text
    assert SECRET not in repr(target)
    assert SECRET not in str(result)


async def test_credential_headers_are_masked(tmp_path: Path, logs) -> None:
    token = "Bearer tok-canary-88a1"
    with http_receiver(Reply(401, f"bad token {token}".encode())) as rx:
        target = WebhookTarget(url=rx.url, headers={"Authorization": token}, retry=FAST)
        [result] = await deliver(small_run(), [target], folder=tmp_path)
    assert rx.requests[0].headers["Authorization"] == token
    assert result.error == "HTTP 401 Unauthorized: bad token ***"
    assert token not in logs.getvalue()


def test_only_http_urls() -> None:
    with pytest.raises(ValidationError, match="expected an http"):
        WebhookTarget(url="ftp://example.com/x")
    with pytest.raises(ValidationError, match="expected an http"):
        WebhookTarget(url="/relative")


def test_targets_are_frozen() -> None:
    target = WebhookTarget(url="https://example.com/x")
    with pytest.raises(ValidationError):
        target.url = "https://evil.example.com/"  # type: ignore[misc]
