"""Email over SMTP (aiosmtplib): an HTML summary or report, the reports attached."""

from __future__ import annotations

import email.utils
import functools
from email.message import EmailMessage
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from sqltest_core.config._models import SecretField
from sqltest_core.delivery._base import (
    DeliveryError,
    Reports,
    TargetBase,
    fill_run_id,
    headline,
    needs_attention,
)
from sqltest_core.reporting._summary import failing_text

__all__ = ["DEFAULT_SUBJECT", "EmailTarget"]

#: The default subject template (jinja2; sees ``run``, ``verdict``, ``headline``).
DEFAULT_SUBJECT = (
    "[sqltest] {{ verdict }}: {{ headline }}"
    "{% if run.run_id %} ({{ run.run_id }}){% endif %}"
)
_MIME = {
    "json": ("application", "json"),
    "junit": ("application", "xml"),
    "csv": ("text", "csv"),
    "markdown": ("text", "markdown"),
    "html": ("text", "html"),
    "pdf": ("application", "pdf"),
}
_SUMMARY = """<!doctype html>
<html><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body style="font-family: sans-serif">
<h2 style="color: {{ '#1a7f37' if run.ok else '#cf222e' }}">{{ title }}</h2>
<table cellpadding="4" style="border-collapse: collapse">
{% for status, n in counts %}<tr>
<th align="left">{{ status }}</th><td align="right">{{ n }}</td>
</tr>{% endfor %}
</table>
{% if bad %}<h3>Needs attention</h3>
<table cellpadding="4" border="1" style="border-collapse: collapse">
<tr><th>rule</th><th>status</th><th>severity</th><th>failing</th><th>reason</th></tr>
{% for r in bad[:max_rules] %}<tr>
<td><code>{{ r.rule_id }}</code></td><td>{{ r.status.value }}</td>
<td>{{ r.severity.value }}</td><td>{{ failing(r) }}</td><td>{{ r.reason or "" }}</td>
</tr>{% endfor %}
</table>
{% if bad|length > max_rules %}<p>…and {{ bad|length - max_rules }} more</p>{% endif %}
{% endif %}
{% if report_url %}<p><a href="{{ report_url }}">Open the report</a></p>{% endif %}
<p style="color: #666">The reports are attached.</p>
</body></html>
"""


@functools.cache
def _templates() -> tuple[Any, Any]:  # Any: jinja2 is imported on first use
    """The sandbox for user-written subjects, and our summary template."""
    from jinja2 import select_autoescape
    from jinja2.sandbox import SandboxedEnvironment

    subjects = SandboxedEnvironment(autoescape=False)
    html = SandboxedEnvironment(autoescape=select_autoescape(default=True))
    return subjects, html.from_string(_SUMMARY)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _check_address(address: str) -> str:
    """One address (``a@b`` or ``Name <a@b>``), refusing header injection."""
    _, addr = email.utils.parseaddr(address)
    if "@" not in addr or any(c in address for c in "\r\n,"):
        raise ValueError(f"not an email address: {address!r}")
    return address


class EmailTarget(TargetBase):
    """Send the run by email over SMTP.

    The message is ``multipart/mixed``: a ``multipart/alternative`` body (the
    Markdown report as plain text, and HTML: a summary, or the whole HTML report
    with ``body="report"``), then one attachment per format in ``attach``.

    Attributes:
        host, port: The SMTP server; ``port`` defaults to 465 with ``tls="ssl"``,
            587 with ``"starttls"`` and 25 with ``"none"``.
        username, password: Credentials for SMTP AUTH, if the server wants them.
        sender, recipients: The envelope and ``From``/``To`` addresses.
        tls: ``starttls`` (upgrade, required), ``ssl`` (TLS from the start) or
            ``none`` (plain text: local relays and tests only).
        subject: A jinja2 template; sees ``run``, ``verdict`` and ``headline``.
        body: ``summary`` (verdict, counts, what needs attention) or ``report``.
        attach: Report formats attached.
        report_url: A link put in the summary; ``{run_id}`` is replaced.

    >>> t = EmailTarget(host="smtp.example.com", username="ci", password="pw-123",
    ...                 sender="ci@example.com", recipients=["data@example.com"])
    >>> t.name, t.effective_port, "pw-123" in repr(t)
    ('email:smtp.example.com', 587, False)
    """

    kind: ClassVar[str] = "email"
    type: Literal["email"] = "email"
    host: str
    port: int | None = Field(None, ge=1, le=65535)
    username: str | None = None
    password: SecretField | None = None
    sender: str
    recipients: tuple[str, ...] = Field(min_length=1)
    tls: Literal["starttls", "ssl", "none"] = "starttls"
    validate_certs: bool = True
    subject: str = DEFAULT_SUBJECT
    body: Literal["summary", "report"] = "summary"
    attach: tuple[str, ...] = ("html", "json")
    report_url: str | None = None
    max_rules: int = Field(50, ge=1)

    @field_validator("sender")
    @classmethod
    def _check_sender(cls, address: str) -> str:
        return _check_address(address)

    @field_validator("recipients")
    @classmethod
    def _check_recipients(cls, addresses: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_address(a) for a in addresses)

    @model_validator(mode="after")
    def _password_needs_username(self) -> EmailTarget:
        if self.password and not self.username:
            raise ValueError("a password needs a username")
        return self

    def default_name(self) -> str:
        return f"email:{self.host}"

    @property
    def effective_port(self) -> int:
        """The port connected to."""
        if self.port is not None:
            return self.port
        return {"ssl": 465, "starttls": 587, "none": 25}[self.tls]

    async def message(self, reports: Reports) -> EmailMessage:
        """Build the message for ``reports``."""
        run = reports.run
        verdict = "passed" if run.ok else "FAILED"
        subject = (
            _templates()[0]
            .from_string(self.subject)
            .render(run=run, verdict=verdict, headline=headline(run))
        )
        msg = EmailMessage()
        msg["Subject"] = _one_line(subject)  # no header injection by newline
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        msg["Date"] = email.utils.formatdate(localtime=False)
        msg["Message-ID"] = email.utils.make_msgid(domain="sqltest")
        msg.set_content((await reports.content("markdown")).decode("utf-8"))
        if self.body == "report":
            html = (await reports.content("html")).decode("utf-8")
        else:
            url = self.report_url
            html = _templates()[1].render(
                title=f"sqltest {run.run_id}".rstrip() + f": {headline(run)}",
                run=run,
                counts=sorted(run.counts.items()),
                bad=needs_attention(run),
                max_rules=self.max_rules,
                failing=failing_text,
                report_url=fill_run_id(url, run.run_id, url=True) if url else None,
            )
        msg.add_alternative(html, subtype="html")
        for fmt in self.attach:
            maintype, subtype = _MIME.get(fmt, ("application", "octet-stream"))
            msg.add_attachment(
                await reports.content(fmt),
                maintype=maintype,
                subtype=subtype,
                filename=reports.filename(fmt),
            )
        return msg

    async def deliver(self, reports: Reports) -> None:
        """Send the message once."""
        import aiosmtplib  # on first use: importing the package stays light

        msg = await self.message(reports)
        try:
            errors, _ = await aiosmtplib.send(
                msg,
                hostname=self.host,
                port=self.effective_port,
                username=self.username,
                password=self.password.reveal() if self.password else None,
                use_tls=self.tls == "ssl",
                start_tls=True if self.tls == "starttls" else False,
                validate_certs=self.validate_certs,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"SMTP {exc.code}: {_one_line(exc.message)}",
                source=self.name,
                transient=400 <= exc.code < 500,  # 4xx replies are temporary
                status=exc.code,
            ) from exc
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = "; ".join(
                f"{r.recipient}: {r.code} {_one_line(r.message)}"
                for r in exc.recipients
            )
            raise DeliveryError(
                f"recipients refused: {refused}", source=self.name
            ) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            # Connection refused or lost, timeouts, TLS failures.
            raise DeliveryError(
                f"{type(exc).__name__}: {exc}", source=self.name, transient=True
            ) from exc
        if errors:
            # Sent to the others: a retry would send them a second copy.
            refused = "; ".join(
                f"{rcpt}: {reply.code} {_one_line(reply.message)}"
                for rcpt, reply in errors.items()
            )
            raise DeliveryError(
                f"sent, but some recipients refused: {refused}", source=self.name
            )
