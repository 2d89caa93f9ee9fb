"""Freezing the clock: the engine's "now" in a query becomes a given instant."""

from __future__ import annotations

import datetime as dt

from sqlglot import exp

from sqltest_core.errors import ConfigError
from sqltest_core.rules._dialects import render
from sqltest_core.testing._mock import parse_query

__all__ = ["freeze_clock"]


def freeze_clock(sql: str, at: dt.datetime, *, dialect: str) -> str:
    """Replace the engine's clock in ``sql`` by literals of the instant ``at``.

    ``CURRENT_TIMESTAMP``, ``NOW()``, ``GETDATE()``, ``SYSDATE``,
    ``SYSTIMESTAMP``, ``UTC_TIMESTAMP()``, ``GET_CURRENT_TIMESTAMP()`` and
    PostgreSQL's ``TRANSACTION_``/``STATEMENT_``/``CLOCK_TIMESTAMP()`` become
    ``at`` as a time-zone-aware timestamp (UTC ``DATETIME(6)`` on MySQL).
    ``LOCALTIMESTAMP``, ``CURRENT_DATE``, ``CURRENT_TIME`` and ``LOCALTIME``
    become the wall-clock timestamp, date and time of ``at`` in its own time
    zone: pass ``at`` in the session's time zone. SQLite's clock is UTC text
    (``'2024-05-06 05:08:09'``), so there every form is ``at`` in UTC, as text,
    and a ``'now'`` argument of a date function (``datetime('now')``) too.

    Args:
        sql: One query.
        at: The instant, time-zone-aware.
        dialect: The engine's dialect.

    Raises:
        ConfigError: ``at`` is naive, or ``sql`` is not one query.

    >>> import datetime as dt
    >>> at = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    >>> freeze_clock("SELECT CURRENT_DATE AS d", at, dialect="postgres")
    "SELECT CAST('2024-05-06' AS DATE) AS d"
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ConfigError("freeze_clock needs a time-zone-aware instant")
    tree = parse_query(sql, dialect)
    clock = _clock(at, dialect)

    def swap(node: exp.Expr) -> exp.Expr:
        kind = type(node).__name__
        if isinstance(node, exp.Anonymous):
            kind = str(node.this).upper()
        elif dialect == "sqlite" and isinstance(node, exp.Literal) and node.is_string:
            if node.this.lower() == "now" and isinstance(node.parent, exp.Func):
                kind = "now"
        literal = clock.get(_CLOCK_FORMS.get(kind, ""))
        return node if literal is None else literal.copy()

    return render(tree.transform(swap), dialect)


_CLOCK_FORMS = {
    "CurrentTimestamp": "instant",
    "UtcTimestamp": "instant",
    "NOW": "instant",
    "GETDATE": "instant",
    "SYSDATE": "instant",
    "SYSTIMESTAMP": "instant",
    "GET_CURRENT_TIMESTAMP": "instant",
    "TRANSACTION_TIMESTAMP": "instant",
    "STATEMENT_TIMESTAMP": "instant",
    "CLOCK_TIMESTAMP": "instant",
    "Localtimestamp": "local",
    "LOCALTIMESTAMP": "local",
    "CurrentDate": "date",
    "CurrentTime": "time",
    "Localtime": "time",
    "now": "now",
}
"""sqlglot node (or unparsed function name) of each form of "now"."""


def _clock(at: dt.datetime, dialect: str) -> dict[str, exp.Expr]:
    utc = at.astimezone(dt.UTC).replace(tzinfo=None)
    wall = at.replace(tzinfo=None)
    if dialect == "sqlite":
        return {
            "instant": exp.Literal.string(utc.isoformat(sep=" ")),
            "local": exp.Literal.string(utc.isoformat(sep=" ")),
            "date": exp.Literal.string(utc.date().isoformat()),
            "time": exp.Literal.string(utc.time().isoformat()),
            "now": exp.Literal.string(utc.isoformat(sep=" ")),
        }

    def cast(text: str, type_name: str) -> exp.Expr:
        to = exp.DataType.build(type_name, dialect=dialect_name)
        return exp.Cast(this=exp.Literal.string(text), to=to)

    dialect_name = "mysql" if dialect == "mysql" else "duckdb"
    if dialect == "mysql":
        instant = cast(utc.isoformat(sep=" "), "DATETIME(6)")
    else:
        instant = cast(at.astimezone(dt.UTC).isoformat(sep=" "), "TIMESTAMPTZ")
    local_type = "DATETIME(6)" if dialect == "mysql" else "TIMESTAMP"
    return {
        "instant": instant,
        "local": cast(wall.isoformat(sep=" "), local_type),
        "date": cast(wall.date().isoformat(), "DATE"),
        "time": cast(wall.time().isoformat(), "TIME"),
    }
