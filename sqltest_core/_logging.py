"""Structured logs (structlog): console lines by default, JSON lines by a switch.

sqltest_core keeps its own structlog pipeline, so it neither depends on nor
changes the host application's global structlog configuration. Until
:func:`configure_logging` is called it reports warnings and errors only. Every
event passes through a processor that masks credentials. structlog is imported
when the first event passes the level, so a quiet process never pays for it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, Literal, TextIO

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


_LEVELS = logging.getLevelNamesMapping()
_threshold = _LEVELS["WARNING"]
_settings: tuple[str, str, TextIO | None] = ("console", "WARNING", None)
_bound: Any = None  # the structlog BoundLogger, built at the first event logged


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
    global _bound, _settings, _threshold
    _threshold = _LEVELS[level.upper()]
    _settings = (format, level, stream)
    _bound = None


def _logger() -> Any:  # Any: structlog's BoundLogger, imported here
    global _bound
    if _bound is not None:
        return _bound
    import structlog

    format, level, stream = _settings
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
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level.upper()]),
        cache_logger_on_first_use=False,
    )
    return _bound


class Logger:
    """A named logger that always writes through the current configuration."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def debug(self, event: str, **fields: Any) -> None:
        if _threshold <= logging.DEBUG:
            _logger().debug(event, component=self.name, **fields)

    def info(self, event: str, **fields: Any) -> None:
        if _threshold <= logging.INFO:
            _logger().info(event, component=self.name, **fields)

    def warning(self, event: str, **fields: Any) -> None:
        if _threshold <= logging.WARNING:
            _logger().warning(event, component=self.name, **fields)

    def error(self, event: str, **fields: Any) -> None:
        if _threshold <= logging.ERROR:
            _logger().error(event, component=self.name, **fields)


def get_logger(name: str) -> Logger:
    """The logger for component ``name``."""
    return Logger(name)
