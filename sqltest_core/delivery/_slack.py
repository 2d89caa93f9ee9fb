"""A Slack-compatible incoming-webhook message: verdict, counts, what failed, a link."""

from __future__ import annotations

import json
from typing import Any, ClassVar, Final, Literal

from pydantic import Field, field_validator

from sqltest_core._secrets import Secret
from sqltest_core.config._models import SecretField
from sqltest_core.delivery._base import (
    Reports,
    TargetBase,
    fill_run_id,
    headline,
    needs_attention,
)
from sqltest_core.delivery._http import check_http_url, post
from sqltest_core.reporting._summary import failing_text, fmt_ms
from sqltest_core.results import RuleResult, RunResult

__all__ = ["SECTION_LIMIT", "SlackTarget", "slack_message"]

#: Characters Slack accepts in a section block's text.
SECTION_LIMIT: Final = 3000
_HEADER_LIMIT: Final = 150
_STATUS_LABELS = {
    "passed": "Passed",
    "failed": "Failed",
    "warned": "Warned",
    "errored": "Errored",
    "skipped": "Skipped",
}


def _escape(text: str) -> str:
    # Slack's mrkdwn gives meaning to &, < and > only; see
    # https://api.slack.com/reference/surfaces/formatting#escaping
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    return "`" + _escape(text.replace("`", "'")) + "`"


def _line(r: RuleResult) -> str:
    what = failing_text(r) or (r.reason or "")
    if r.status == "errored" and r.reason:
        what = r.reason
    what = " ".join(what.split())
    if len(what) > 200:
        what = what[:199] + "…"
    return f"• {_code(r.rule_id)} *{r.status}*" + (
        f" — {_escape(what)}" if what else ""
    )


def _truncated(lines: list[str], title: str, limit: int, max_lines: int) -> str:
    """``title`` and as many ``lines`` as fit, then ``…and N more``."""
    text = title
    for shown, line in enumerate(lines):
        rest = len(lines) - shown
        more = f"\n…and {rest - 1} more" if rest > 1 else ""
        if shown >= max_lines or len(text) + 1 + len(line) + len(more) > limit:
            return text + f"\n…and {rest} more"
        text += "\n" + line
    return text


def slack_message(
    run: RunResult, *, report_url: str | None = None, max_rules: int = 20
) -> dict[str, Any]:  # Any: the JSON payload
    """The incoming-webhook payload for ``run``: ``text`` and ``blocks``.

    Failed, errored and warned results are listed worst first; past ``max_rules``
    or Slack's 3,000 characters per section the rest is counted (``…and N more``).

    >>> from sqltest_core.results import RuleResult
    >>> run = RunResult(run_id="nightly", results=[
    ...     RuleResult(rule_id="a", status="failed", failing_count=3, rows_scanned=10)])
    >>> msg = slack_message(run)
    >>> msg["text"]
    ':x: sqltest nightly: 0 of 1 passed, 1 failed'
    >>> msg["blocks"][3]["text"]["text"]
    '*Needs attention*\\n• `a` *failed* — 3 of 10 rows (30.00%)'
    """
    icon = ":white_check_mark:" if run.ok else ":x:"
    title = f"sqltest {run.run_id}".rstrip() + f": {headline(run)}"
    header = title if len(title) <= _HEADER_LIMIT else title[: _HEADER_LIMIT - 1] + "…"
    counts = run.counts
    fields = [
        {"type": "mrkdwn", "text": f"*{label}*\n{counts.get(status, 0)}"}
        for status, label in _STATUS_LABELS.items()
    ]
    context = []
    if run.started_at is not None:
        context.append(f"started {run.started_at.isoformat(timespec='seconds')}")
    if run.started_at is not None and run.finished_at is not None:
        ms = (run.finished_at - run.started_at).total_seconds() * 1000
        context.append(f"took {fmt_ms(ms)}")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header}},
        {"type": "section", "fields": fields},
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": _escape(" · ".join(context) or "sqltest")}
            ],
        },
    ]
    bad = needs_attention(run)
    if bad:
        text = _truncated(
            [_line(r) for r in bad], "*Needs attention*", SECTION_LIMIT, max_rules
        )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    if report_url:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open the report"},
                        "url": report_url,
                    }
                ],
            }
        )
    return {"text": f"{icon} {_escape(title)}", "blocks": blocks}


class SlackTarget(TargetBase):
    """Post a summary to a Slack (or Slack-compatible) incoming webhook.

    The webhook URL is a credential: it is held as a
    :class:`~sqltest_core.Secret` and masked everywhere.

    Attributes:
        webhook_url: The incoming webhook (``https://hooks.slack.com/services/...``).
        report_url: Where the report is published; ``{run_id}`` is replaced.
        max_rules: Results listed at most.

    >>> t = SlackTarget(webhook_url="https://hooks.slack.com/services/T0/B0/xyz")
    >>> t.name, "xyz" in repr(t)
    ('slack', False)
    """

    kind: ClassVar[str] = "slack"
    type: Literal["slack"] = "slack"
    webhook_url: SecretField
    report_url: str | None = None
    max_rules: int = Field(20, ge=1)

    @field_validator("webhook_url")
    @classmethod
    def _check_url(cls, url: Secret) -> Secret:
        check_http_url(url.reveal())
        return url

    async def deliver(self, reports: Reports) -> None:
        """Post the message once."""
        run = reports.run
        url = (
            fill_run_id(self.report_url, run.run_id, url=True)
            if self.report_url
            else None
        )
        body = json.dumps(
            slack_message(run, report_url=url, max_rules=self.max_rules),
            ensure_ascii=False,
        ).encode("utf-8")
        await post(
            self.webhook_url.reveal(),
            body,
            {"Content-Type": "application/json; charset=utf-8"},
            source=self.name,
            timeout=self.timeout,
        )
