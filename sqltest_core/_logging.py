"""structlog set-up: console lines by default, JSON lines by a switch.

Every event passes through a processor that masks credentials, so nothing logged
by sqltest_core (or by a driver message it relays) can leak a password.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, Literal

import structlog

from sqltest_core._secrets import redact

__all__ = ["configure_logging", "get_logger"]


def _redact_event(
    _logger: object, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = redact(value)
        elif isinstance(value, BaseException):
            event[key] = redact(str(value))
    return event


def configure_logging(
    *, format: Literal["console", "json"] = "console", level: str = "INFO"  # noqa: A002 - the setting's name
) -> None:
    """Route sqltest_core's structured logs to stderr as console or JSON lines.

    >>> configure_logging(format="json", level="WARNING")
    """
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if format == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            _redact_event,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger whose events carry ``component=name``."""
    logger: structlog.stdlib.BoundLogger = structlog.get_logger().bind(component=name)
    return logger
