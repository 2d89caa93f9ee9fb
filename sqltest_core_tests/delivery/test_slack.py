from __future__ import annotations

import json
from pathlib import Path

from sqltest_core.delivery import SlackTarget, deliver, slack_message
from sqltest_core.results import RuleResult, RunResult
from sqltest_core_tests.delivery._receivers import Reply, free_port, http_receiver
from sqltest_core_tests.delivery._run import big_run, small_run
from sqltest_core_tests.delivery.conftest import FAST, Sleeps

HOOK_TOKEN = "slackhook-canary-0c9e2b"


def test_message_shape() -> None:
    msg = slack_message(small_run(), report_url="https://r.example.com/nightly-42")
    assert msg["text"] == (
        ":x: sqltest nightly-42: 1 of 5 passed, 1 failed, 1 warned, 1 errored, 1 skipped"
    )
    header, counts, context, attention, actions = msg["blocks"]
    assert header == {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": "sqltest nightly-42: 1 of 5 passed, 1 failed, 1 warned, 1 errored, 1 skipped",
        },
    }
    assert [f["text"] for f in counts["fields"]] == [
        "*Passed*\n1",
        "*Failed*\n1",
        "*Warned*\n1",
        "*Errored*\n1",
        "*Skipped*\n1",
    ]
    assert (
        context["elements"][0]["text"]
        == "started 2026-11-28T06:00:00+00:00 · took 4.00 s"
    )
    assert attention["text"]["text"] == (
        "*Needs attention*\n"
        "• `orders.status_known` *failed* — 12 of 1,000 rows (1.20%)\n"
        "• `customers.fresh` *errored* — table customers not found\n"
        "• `orders.total_positive` *warned* — 2 of 1,000 rows (0.20%)"
    )
    assert actions["elements"][0]["url"] == "https://r.example.com/nightly-42"


async def test_report_url_quotes_the_run_id(tmp_path: Path) -> None:
    with http_receiver() as rx:
        target = SlackTarget(
            webhook_url=rx.url, report_url="https://r.example.com/{run_id}"
        )
        await deliver(small_run("a b/?x"), [target], folder=tmp_path)
    payload = json.loads(rx.requests[0].body)
    assert (
        payload["blocks"][-1]["elements"][0]["url"]
        == "https://r.example.com/a%20b%2F%3Fx"
    )


def test_passing_run_has_no_attention_section() -> None:
    run = RunResult(run_id="ok", results=[RuleResult(rule_id="a", status="passed")])
    msg = slack_message(run)
    assert msg["text"] == ":white_check_mark: sqltest ok: 1 of 1 passed"
    assert [b["type"] for b in msg["blocks"]] == ["header", "section", "context"]
    assert msg["blocks"][2]["elements"][0]["text"] == "sqltest"


def test_truncates_by_count() -> None:
    text = slack_message(big_run(30), max_rules=5)["blocks"][3]["text"]["text"]
    lines = text.splitlines()
    assert len(lines) == 1 + 5 + 1
    # Worst first: the most failing rows.
    assert lines[1].startswith("• `table_0029.")
    assert lines[-1] == "…and 25 more"


def test_truncates_to_slack_section_limit() -> None:
    msg = slack_message(big_run(200), max_rules=1000)
    text = msg["blocks"][3]["text"]["text"]
    assert len(text) <= 3000
    shown = text.count("\n• ")
    assert text.endswith(f"\n…and {200 - shown} more")
    assert 20 < shown < 200
    assert len(json.dumps(msg)) < 40_000


def test_escapes_mrkdwn_and_long_header() -> None:
    rid = "<!channel> & `x`" + "y" * 200
    run = RunResult(
        run_id="<r>" * 60, results=[RuleResult(rule_id=rid, status="failed")]
    )
    msg = slack_message(run)
    line = msg["blocks"][3]["text"]["text"].splitlines()[1]
    assert line.startswith("• `&lt;!channel&gt; &amp; 'x'yyy")
    assert "<!channel>" not in json.dumps(msg)
    assert len(msg["blocks"][0]["text"]["text"]) == 150
    assert msg["blocks"][0]["text"]["text"].endswith("<r>…")
    assert msg["text"].startswith(":x: sqltest &lt;r&gt;")


async def test_posts_to_slack_shaped_receiver(tmp_path: Path) -> None:
    with http_receiver(Reply(200, b"ok")) as rx:
        target = SlackTarget(
            webhook_url=rx.url,
            report_url="https://r.example.com/{run_id}/report.html",
            retry=FAST,
        )
        [result] = await deliver(small_run(), [target], folder=tmp_path)
    assert (result.target, result.ok, result.attempts) == ("slack", True, 1)
    [req] = rx.requests
    assert req.headers["Content-Type"] == "application/json; charset=utf-8"
    payload = json.loads(req.body)
    assert sorted(payload) == ["blocks", "text"]
    assert payload == slack_message(
        small_run(), report_url="https://r.example.com/nightly-42/report.html"
    )


async def test_slack_error_reply_and_url_never_shown(
    tmp_path: Path, sleeps: Sleeps, logs
) -> None:
    with http_receiver(Reply(400, b"invalid_blocks")) as rx:
        url = rx.url + "/" + HOOK_TOKEN
        target = SlackTarget(webhook_url=url, retry=FAST)
        [bad] = await deliver(small_run(), [target], folder=tmp_path, sleep=sleeps)
    assert (bad.ok, bad.attempts, bad.error) == (
        False,
        1,
        "HTTP 400 Bad Request: invalid_blocks",
    )
    down = SlackTarget(
        webhook_url=f"http://127.0.0.1:{free_port()}/{HOOK_TOKEN}", retry=FAST
    )
    [gone] = await deliver(small_run(), [down], folder=tmp_path, sleep=sleeps)
    assert (gone.ok, gone.attempts) == (False, 3)
    for text in (
        logs.getvalue(),
        repr(target),
        repr(down),
        str(gone),
        str(bad),
        down.model_dump_json(),
    ):
        assert HOOK_TOKEN not in text
