"""Delivery: after a run, write the reports to disk, then send them on.

:func:`deliver` always writes the reports to a folder first, then hands them to
every target concurrently, each with its own retries and timeout. A failed
delivery is logged and reported in a :class:`DeliveryResult`; it never raises
and never touches the reports on disk.

Built-in targets are frozen pydantic models (the ``delivery:`` section of
``sqltest.yml`` validates into them, see :class:`DeliverySettings`):
:class:`FolderTarget`, :class:`WebhookTarget` (HMAC-signed JSON),
:class:`SlackTarget` and :class:`EmailTarget` (SMTP). Any object that fits the
:class:`Target` protocol is a target too; raise a :class:`DeliveryError` with
``transient=True`` for failures worth retrying.
"""

from __future__ import annotations

from sqltest_core.delivery._base import (
    DEFAULT_RETRY,
    DeliveryError,
    DeliveryResult,
    Reports,
    Target,
    TargetBase,
    headline,
)
from sqltest_core.delivery._deliver import (
    DEFAULT_FORMATS,
    MAX_RETRY_AFTER,
    deliver,
    send,
    write_reports,
)
from sqltest_core.delivery._email import DEFAULT_SUBJECT, EmailTarget
from sqltest_core.delivery._folder import FolderTarget
from sqltest_core.delivery._http import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookTarget,
    sign,
    verify_signature,
)
from sqltest_core.delivery._settings import AnyTarget, DeliverySettings
from sqltest_core.delivery._slack import SlackTarget, slack_message

__all__ = [
    "DEFAULT_FORMATS",
    "DEFAULT_RETRY",
    "DEFAULT_SUBJECT",
    "DELIVERY_HEADER",
    "MAX_RETRY_AFTER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "AnyTarget",
    "DeliveryError",
    "DeliveryResult",
    "DeliverySettings",
    "EmailTarget",
    "FolderTarget",
    "Reports",
    "SlackTarget",
    "Target",
    "TargetBase",
    "WebhookTarget",
    "deliver",
    "headline",
    "send",
    "sign",
    "slack_message",
    "verify_signature",
    "write_reports",
]
