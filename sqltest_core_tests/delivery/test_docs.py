"""The non-doctest examples of docs/delivery.md, run against local servers."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from sqltest_core.delivery import WebhookTarget, deliver
from sqltest_core_tests.delivery._receivers import (
    Authenticator,
    Mailbox,
    http_receiver,
    smtp_server,
)
from sqltest_core_tests.delivery._run import listing, small_run

DOC = Path(__file__).parents[2] / "docs" / "delivery.md"


def example(name: str) -> str:
    blocks = re.findall(r"```\w+\n# example: (\w+)\n(.*?)```", DOC.read_text(), re.S)
    [code] = [code for found, code in blocks if found == name]
    return str(code)


async def test_receiver_example_verifies_a_real_delivery(tmp_path: Path) -> None:
    ns: dict[str, Any] = {}
    exec(example("receiver"), ns)
    verify = ns["verify_request"]
    with http_receiver() as rx:
        target = WebhookTarget(url=rx.url, secret="doc-secret")
        await deliver(small_run(), [target], folder=tmp_path)
    [req] = rx.requests
    assert verify(req.headers, req.body, b"doc-secret") is True
    assert verify(req.headers, req.body + b"x", b"doc-secret") is False
    assert verify(req.headers, req.body, b"other") is False
    stale = {**req.headers, "X-Sqltest-Timestamp": "1700000000"}
    assert verify(stale, req.body, b"doc-secret") is False


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
async def test_settings_and_python_examples_deliver_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    box = Mailbox()
    auth = Authenticator("sqltest", "doc-smtp-pw")
    with (
        http_receiver() as hook,
        http_receiver() as slack,
        smtp_server(box, authenticator=auth) as port,
    ):
        yml = (
            example("settings")
            .replace("https://ci.example.com/hooks/sqltest", hook.url)
            .replace(
                "host: smtp.example.com",
                f"host: 127.0.0.1\n      port: {port}\n      tls: none",
            )
            .replace("/mnt/reports/{run_id}", str(tmp_path / "share" / "{run_id}"))
        )
        (tmp_path / "sqltest.yml").write_text(yml)
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("SQLTEST_WEBHOOK_SECRET", "doc-whsec")
        monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.url)
        monkeypatch.setenv("SMTP_PASSWORD", "doc-smtp-pw")
        code = compile(
            example("python"),
            "delivery.md",
            "exec",
            flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
        )
        await eval(code, {"run": small_run()})
    assert capsys.readouterr().out.splitlines() == [
        "webhook:127.0.0.1 ok",
        "slack ok",
        "email:127.0.0.1 ok",
        f"folder:{tmp_path / 'share' / '{run_id}'} ok",
    ]
    assert listing(tmp_path / "reports") == [
        "report.html",
        "report.json",
        "report.md",
        "report.xml",
    ]
    assert listing(tmp_path / "share" / "nightly-42") == listing(tmp_path / "reports")
    assert len(hook.requests) == len(slack.requests) == len(box.envelopes) == 1
    [(_, rcpts, msg)] = box.envelopes
    assert rcpts == ["data-team@example.com"]
    assert [a.get_filename() for a in msg.iter_attachments()] == [
        "report.html",
        "report.json",
        "report.xml",
    ]
