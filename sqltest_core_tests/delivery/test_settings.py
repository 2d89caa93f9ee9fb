from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from sqltest_core.delivery import (
    DeliverySettings,
    EmailTarget,
    FolderTarget,
    SlackTarget,
    WebhookTarget,
)
from sqltest_core.reporting import load_run
from sqltest_core_tests.delivery._receivers import Reply, http_receiver
from sqltest_core_tests.delivery._run import listing, small_run

YAML = """
folder: out
formats: [json, markdown]
mask_columns: ["*email*"]
targets:
  - type: webhook
    url: https://ci.example.com/hooks/sqltest
    secret: whsec-yaml-canary-11
    headers: {X-Team: data}
  - type: slack
    webhook_url: https://hooks.slack.com/services/T0/B0/slack-yaml-canary-22
    report_url: https://reports.example.com/{run_id}/report.html
  - type: email
    host: smtp.example.com
    username: ci
    password: smtp-yaml-canary-33
    sender: ci@example.com
    recipients: [data@example.com]
    attach: [json]
    retry: {attempts: 2, deadline: 30}
  - type: folder
    path: /srv/reports/{run_id}
"""


def test_yaml_section_validates_into_targets() -> None:
    s = DeliverySettings.model_validate(yaml.safe_load(YAML))
    assert [type(t) for t in s.targets] == [
        WebhookTarget,
        SlackTarget,
        EmailTarget,
        FolderTarget,
    ]
    assert [t.name for t in s.targets] == [
        "webhook:ci.example.com",
        "slack",
        "email:smtp.example.com",
        "folder:/srv/reports/{run_id}",
    ]
    assert s.folder == Path("out")
    assert s.formats == ("json", "markdown")
    email = s.targets[2]
    assert isinstance(email, EmailTarget)
    assert (email.retry.attempts, email.retry.deadline, email.timeout) == (
        2,
        30.0,
        30.0,
    )
    dumped = json.dumps(s.model_dump(mode="json")) + repr(s)
    for canary in (
        "whsec-yaml-canary-11",
        "slack-yaml-canary-22",
        "smtp-yaml-canary-33",
    ):
        assert canary not in dumped


def test_unknown_type_and_keys_are_refused() -> None:
    with pytest.raises(
        ValidationError, match="does not match any of the expected tags"
    ):
        DeliverySettings.model_validate({"targets": [{"type": "pager"}]})
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        DeliverySettings.model_validate(
            {"targets": [{"type": "folder", "path": "x", "colour": "red"}]}
        )


async def test_settings_deliver(tmp_path: Path) -> None:
    with http_receiver(Reply(200)) as rx:
        s = DeliverySettings(
            formats=("json",),
            mask_columns=("email",),
            targets=(WebhookTarget(url=rx.url),),
        )
        [result] = await s.deliver(small_run(), folder=tmp_path)
    assert result.ok
    sent = load_run(rx.requests[0].body)
    assert sent["orders.status_known"].samples == ({"id": 7, "email": "••••"},)
    assert listing(tmp_path) == ["report.json"]
