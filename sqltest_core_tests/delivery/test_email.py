from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from sqltest_core.delivery import EmailTarget, deliver
from sqltest_core.reporting import load_run
from sqltest_core_tests.delivery._receivers import (
    Authenticator,
    Mailbox,
    free_port,
    smtp_server,
)
from sqltest_core_tests.delivery._run import small_run
from sqltest_core_tests.delivery.conftest import FAST, Sleeps

CANARY = "smtp-canary-pw-7f3a91"


def _target(port: int, **options: object) -> EmailTarget:
    fields: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "tls": "none",
        "sender": "sqltest@example.com",
        "recipients": ("data@example.com", "oncall@example.com"),
        "retry": FAST,
    }
    return EmailTarget.model_validate(fields | options)


async def test_sends_summary_and_attachments(tmp_path: Path) -> None:
    box = Mailbox()
    with smtp_server(box) as port:
        target = _target(
            port, attach=("json", "junit"), report_url="https://r.example.com/{run_id}"
        )
        [result] = await deliver(
            small_run(), [target], folder=tmp_path, mask_columns=["email"]
        )
    assert (result.target, result.ok, result.attempts) == ("email:127.0.0.1", True, 1)
    [(sender, rcpts, msg)] = box.envelopes
    assert sender == "sqltest@example.com"
    assert rcpts == ["data@example.com", "oncall@example.com"]
    assert msg["To"] == "data@example.com, oncall@example.com"
    assert msg["Subject"] == (
        "[sqltest] FAILED: 1 of 5 passed, 1 failed, 1 warned, 1 errored, 1 skipped"
        " (nightly-42)"
    )
    assert msg.get_content_type() == "multipart/mixed"
    body, *attachments = msg.iter_parts()
    assert body.get_content_type() == "multipart/alternative"
    plain, html = body.iter_parts()
    assert plain.get_content_type() == "text/plain"
    # SMTP carries text with CRLF line ends.
    assert plain.get_content().replace("\r\n", "\n") == (
        tmp_path / "report.md"
    ).read_text(encoding="utf-8")
    assert html.get_content_type() == "text/html"
    page = html.get_content()
    assert "<code>orders.status_known</code>" in page
    assert "table customers not found" in page
    assert '<a href="https://r.example.com/nightly-42">Open the report</a>' in page
    assert [(a.get_content_type(), a.get_filename()) for a in attachments] == [
        ("application/json", "report.json"),
        ("application/xml", "report.xml"),
    ]
    report = attachments[0].get_content()
    assert report == (tmp_path / "report.json").read_bytes()
    run = load_run(report)
    assert run["orders.status_known"].samples == ({"id": 7, "email": "••••"},)
    assert attachments[1].get_content().startswith(b"<?xml")


async def test_html_report_as_body_and_custom_subject(tmp_path: Path) -> None:
    box = Mailbox()
    with smtp_server(box) as port:
        target = _target(
            port,
            body="report",
            attach=(),
            subject="{{ run.counts['failed'] }} failing\nBcc: x@evil.example",
        )
        [result] = await deliver(
            small_run(), [target], folder=tmp_path, formats=["json"]
        )
    assert result.ok
    [(_, _, msg)] = box.envelopes
    assert msg["Subject"] == "1 failing Bcc: x@evil.example"
    assert msg["Bcc"] is None
    assert msg.get_content_type() == "multipart/alternative"
    html = msg.get_body(("html",))
    assert html is not None
    # Not among the formats written: rendered on demand.
    assert "<title>sqltest report · nightly-42</title>" in html.get_content()


# aiosmtpd warns about AUTH without TLS; on loopback in tests that is the point.
no_tls_warning = pytest.mark.filterwarnings(
    "ignore:Requiring AUTH while not requiring TLS:UserWarning"
)


@no_tls_warning
async def test_auth_with_canary_password_never_leaks(tmp_path: Path, logs) -> None:
    box = Mailbox()
    auth = Authenticator("ci", CANARY)
    with smtp_server(box, authenticator=auth) as port:
        good = _target(port, username="ci", password=CANARY, name="good")
        bad = _target(port, username="ci", password=CANARY + "-wrong", name="bad")
        results = await deliver(small_run(), [good, bad], folder=tmp_path)
    assert [(r.target, r.ok, r.attempts) for r in results] == [
        ("good", True, 1),
        ("bad", False, 1),
    ]
    assert results[1].error == "SMTP 535: 5.7.8 Authentication credentials invalid"
    assert len(box.envelopes) == 1
    wire = [
        base64.b64encode(f"\0ci\0{p}".encode()).decode()
        for p in (CANARY, CANARY + "-wrong")
    ]
    texts = [
        logs.getvalue(),
        repr(good),
        repr(bad),
        str(results),
        good.model_dump_json(),
        json.dumps(good.model_dump(mode="json")),
    ]
    for text in texts:
        assert CANARY not in text
        for encoded in wire:
            assert encoded not in text
    assert '"event": "delivery failed"' in logs.getvalue()


@no_tls_warning
async def test_auth_required_without_credentials(tmp_path: Path) -> None:
    with smtp_server(Mailbox(), authenticator=Authenticator("ci", CANARY)) as port:
        [result] = await deliver(small_run(), [_target(port)], folder=tmp_path)
    assert (result.ok, result.attempts) == (False, 1)
    assert result.error == "SMTP 530: 5.7.0 Authentication required"


async def test_temporary_smtp_reply_is_retried(tmp_path: Path, sleeps: Sleeps) -> None:
    box = Mailbox(reply="451 4.3.0 try again later")
    with smtp_server(box) as port:
        [result] = await deliver(
            small_run(), [_target(port)], folder=tmp_path, sleep=sleeps
        )
    assert (result.ok, result.attempts) == (False, 3)
    assert result.error == "gave up after 3 attempts: SMTP 451: 4.3.0 try again later"
    assert sleeps == [0.0, 0.0]


async def test_permanent_smtp_reply_is_not_retried(
    tmp_path: Path, sleeps: Sleeps
) -> None:
    box = Mailbox(reply="554 5.6.0 message rejected")
    with smtp_server(box) as port:
        [result] = await deliver(
            small_run(), [_target(port)], folder=tmp_path, sleep=sleeps
        )
    assert (result.ok, result.attempts, result.error) == (
        False,
        1,
        "SMTP 554: 5.6.0 message rejected",
    )


async def test_server_down(tmp_path: Path, sleeps: Sleeps) -> None:
    [result] = await deliver(
        small_run(), [_target(free_port())], folder=tmp_path, sleep=sleeps
    )
    assert (result.ok, result.attempts) == (False, 3)
    assert result.error is not None
    assert result.error.startswith("gave up after 3 attempts: SMTPConnectError: ")
    assert (tmp_path / "report.json").exists()


def test_ports_and_validation() -> None:
    base = {"host": "h", "sender": "a@b", "recipients": ["c@d"]}
    assert EmailTarget.model_validate(base | {"tls": "ssl"}).effective_port == 465
    assert EmailTarget.model_validate(base | {"tls": "none"}).effective_port == 25
    assert EmailTarget.model_validate(base | {"port": 2525}).effective_port == 2525
    with pytest.raises(ValidationError, match="at least 1 item"):
        EmailTarget.model_validate(base | {"recipients": []})
    with pytest.raises(
        ValidationError, match="not an email address: 'a@b\\\\nBcc: x@y'"
    ):
        EmailTarget.model_validate(base | {"sender": "a@b\nBcc: x@y"})
    with pytest.raises(ValidationError, match="not an email address: 'a@b, c@d'"):
        EmailTarget.model_validate(base | {"recipients": ["a@b, c@d"]})
    with pytest.raises(ValidationError, match="not an email address: 'nobody'"):
        EmailTarget.model_validate(base | {"recipients": ["nobody"]})
    with pytest.raises(ValidationError, match="a password needs a username"):
        EmailTarget.model_validate(base | {"password": "pw-123"})
    named = EmailTarget.model_validate(base | {"sender": "CI <ci@example.com>"})
    assert named.sender == "CI <ci@example.com>"
