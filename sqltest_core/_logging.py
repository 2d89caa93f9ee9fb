"""Structured logs (structlog): console lines by default, JSON lines by a switch.

sqltest_core keeps its own structlog pipeline, so it neither depends on nor
changes the host application's global structlog configuration. Until
:func:`configure_logging` is called it reports warnings and errors only. Every
event passes through a processor that masks credentials.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, Literal, TextIO

import structlog

from sqltest_core._secrets import redact

__all__ = ["Logger", "configure_logging", "get_logger"]


def _redact_event(
    _logger: object, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = redact(value)
        elif isinstance(value, BaseException):
            event[key] = redact(str(value))
    return event


_bound: Any = None  # the current structlog BoundLogger; replaced by configure_logging


def configure_logging(
    *,
    format: Literal["console", "json"] = "console",
    level: str = "INFO",
    stream: TextIO | None = None,
) -> None:
    """Send sqltest_core's logs to ``stream`` (stderr) as console or JSON lines.

    Each query logs its data source, duration and row count at INFO; its SQL
    (never its parameters) at DEBUG.

    >>> import io
    >>> out = io.StringIO()
    >>> configure_logging(format="json", level="INFO", stream=out)
    >>> get_logger("demo").info("hello", url="postgresql://u:pw@h/db")
    >>> '"url": "postgresql://u:***@h/db"' in out.getvalue()
    True
    >>> configure_logging(level="WARNING")
    """
    global _bound
    out = stream if stream is not None else sys.stderr
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if format == "json"
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    _bound = structlog.wrap_logger(
        structlog.PrintLogger(out),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            _redact_event,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        cache_logger_on_first_use=False,
    )


class Logger:
    """A named logger that always writes through the current configuration."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def debug(self, event: str, **fields: Any) -> None:
        _bound.debug(event, component=self.name, **fields)

    def info(self, event: str, **fields: Any) -> None:
        _bound.info(event, component=self.name, **fields)

    def warning(self, event: str, **fields: Any) -> None:
        _bound.warning(event, component=self.name, **fields)

    def error(self, event: str, **fields: Any) -> None:
        _bound.error(event, component=self.name, **fields)


def get_logger(name: str) -> Logger:
    """The logger for component ``name``."""
    return Logger(name)


configure_logging(level="WARNING")
