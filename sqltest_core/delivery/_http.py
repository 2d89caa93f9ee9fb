"""HTTP delivery: a signed JSON webhook, and the POST that Slack messages share."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from sqltest_core._secrets import Secret, register_secret
from sqltest_core.config._models import SecretField
from sqltest_core.delivery._base import DeliveryError, Reports, TargetBase

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DELIVERY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WebhookTarget",
    "post",
    "sign",
    "verify_signature",
]

SIGNATURE_HEADER = "X-Sqltest-Signature"
TIMESTAMP_HEADER = "X-Sqltest-Timestamp"
DELIVERY_HEADER = "X-Sqltest-Delivery"
_CONTENT_TYPES = {
    "json": "application/json",
    "junit": "application/xml",
    "markdown": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}
# Header values under these names are credentials: masked like any Secret.
_SENSITIVE_HEADERS = ("authorization", "token", "key", "secret", "password", "cookie")
_TRANSIENT_STATUS = frozenset({408, 425, 429})


def sign(secret: str | bytes, timestamp: str, body: bytes) -> str:
    """The signature header value: ``sha256=`` HMAC of ``<timestamp>.<body>``.

    >>> sign("s3cret", "1700000000", b'{"ok": true}')[:15]
    'sha256=e6781261'
    """
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    mac = hmac.new(key, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str | bytes,
    body: bytes,
    *,
    timestamp: str,
    signature: str,
    tolerance: float = 300.0,
    now: float | None = None,
) -> bool:
    """Check a webhook delivery, as a receiver does.

    Args:
        secret: The shared secret.
        body: The request body, exactly as received (bytes, before parsing).
        timestamp: The ``X-Sqltest-Timestamp`` header (Unix seconds).
        signature: The ``X-Sqltest-Signature`` header.
        tolerance: Seconds a delivery stays valid, against replays.
        now: The current Unix time; defaults to the clock.

    >>> body = b'{"run_id": "nightly"}'
    >>> sig = sign("s3cret", "1700000000", body)
    >>> verify_signature("s3cret", body, timestamp="1700000000", signature=sig,
    ...                  now=1700000100)
    True
    >>> verify_signature("s3cret", body, timestamp="1700000000", signature=sig,
    ...                  now=1700009999)                     # too old: a replay
    False
    """
    if not (timestamp.isascii() and timestamp.isdigit()):
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance:
        return False
    expected = sign(secret, timestamp, body).encode("ascii")
    return hmac.compare_digest(expected, signature.encode("utf-8", "replace"))


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float:
    """Seconds asked for by a ``Retry-After`` header (seconds or an HTTP date).

    >>> parse_retry_after("7"), parse_retry_after(None), parse_retry_after("soon")
    (7.0, 0.0, 0.0)
    >>> parse_retry_after("Sat, 28 Nov 2026 06:00:30 GMT",
    ...                   now=dt.datetime(2026, 11, 28, 6, 0, tzinfo=dt.UTC))
    30.0
    """
    if not value:
        return 0.0
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    current = now if now is not None else dt.datetime.now(dt.UTC)
    return max(0.0, (when - current).total_seconds())


async def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    source: str,
    timeout: float,
    verify_tls: bool = True,
) -> httpx.Response:
    """POST ``body`` once; raise :class:`DeliveryError` unless the answer is 2xx.

    Connection errors, timeouts, 5xx, 408, 425 and 429 are transient; other
    statuses (redirects included: a signed POST is not re-sent elsewhere) are not.
    """
    import httpx  # on first use: importing the package stays light

    try:
        async with httpx.AsyncClient(
            timeout=timeout, verify=verify_tls, follow_redirects=False
        ) as client:
            response = await client.post(url, content=body, headers=dict(headers))
    except httpx.TransportError as exc:
        raise DeliveryError(
            f"{type(exc).__name__}: {exc or 'no details'}",
            source=source,
            transient=True,
        ) from exc
    if response.is_success:
        return response
    status = response.status_code
    snippet = " ".join(response.text[:200].split())
    raise DeliveryError(
        f"HTTP {status} {response.reason_phrase}" + (f": {snippet}" if snippet else ""),
        source=source,
        transient=status >= 500 or status in _TRANSIENT_STATUS,
        status=status,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
    )


def check_http_url(url: str) -> str:
    """Refuse anything but an absolute ``http``/``https`` URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("expected an http:// or https:// URL")
    return url


class WebhookTarget(TargetBase):
    """POST a report (the JSON one by default) to a URL, HMAC-signed.

    Each attempt carries ``X-Sqltest-Timestamp`` (Unix seconds),
    ``X-Sqltest-Signature: sha256=<hex>`` (HMAC-SHA256 with ``secret`` over
    ``<timestamp>.<body>``) and ``X-Sqltest-Delivery`` (one id for all retries
    of a delivery, so a receiver can drop duplicates). See
    :func:`verify_signature`.

    >>> t = WebhookTarget(url="https://ci.example.com/hook", secret="s3cret")
    >>> t.name, t.secret
    ('webhook:ci.example.com', Secret('***'))
    """

    kind: ClassVar[str] = "webhook"
    type: Literal["webhook"] = "webhook"
    url: str
    secret: SecretField | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    format: str = Field("json", description="The report format sent as the body.")
    verify_tls: bool = True

    @field_validator("url")
    @classmethod
    def _check_url(cls, url: str) -> str:
        return check_http_url(url)

    @field_validator("headers")
    @classmethod
    def _mask_credentials(cls, headers: dict[str, str]) -> dict[str, str]:
        for key, value in headers.items():
            if any(word in key.lower() for word in _SENSITIVE_HEADERS):
                register_secret(value)
        return headers

    def default_name(self) -> str:
        return f"webhook:{urlsplit(self.url).hostname}"

    def signed_headers(
        self, body: bytes, *, delivery_id: str, now: float | None = None
    ) -> dict[str, str]:
        """The headers of one attempt: content type, delivery id, signature."""
        headers = {
            "Content-Type": _CONTENT_TYPES.get(self.format, "application/octet-stream"),
            "User-Agent": "sqltest-core",
            DELIVERY_HEADER: delivery_id,
            **self.headers,
        }
        if isinstance(self.secret, Secret):
            timestamp = str(int(time.time() if now is None else now))
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = sign(self.secret.reveal(), timestamp, body)
        return headers

    async def deliver(self, reports: Reports) -> None:
        """POST the report once."""
        body = await reports.content(self.format)
        await post(
            self.url,
            body,
            self.signed_headers(body, delivery_id=reports.delivery_id),
            source=self.name,
            timeout=self.timeout,
            verify_tls=self.verify_tls,
        )
