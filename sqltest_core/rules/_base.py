"""What every rule has: id, severity, threshold, filter, dependencies, table."""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sqltest_core.results import Severity

__all__ = [
    "BaseRule",
    "Bound",
    "ColumnRule",
    "Scalar",
    "Threshold",
    "check_key",
    "parse_duration",
]

Scalar = bool | int | float | str
Bound = int | float | dt.datetime | dt.date | str
"""A range bound: numbers, dates and times, or strings (compared as the engine does)."""


class Threshold(BaseModel):
    """How many failing rows a rule tolerates before it fails.

    With both limits the rule fails only when it exceeds both (either tolerance
    suffices); without a threshold any failing row fails the rule.

    >>> Threshold(rows=10).exceeded(10, 100), Threshold(rows=10).exceeded(11, 100)
    (False, True)
    >>> one_percent = Threshold(ratio=0.01)
    >>> one_percent.exceeded(10, 1000), one_percent.exceeded(11, 1000)
    (False, True)
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    rows: int | None = Field(default=None, ge=0)
    """Tolerate up to this many failing rows."""
    ratio: float | None = Field(default=None, ge=0, le=1)
    """Tolerate up to this fraction (0.01 = 1 %) of the rows scanned."""

    @model_validator(mode="after")
    def _one_limit(self) -> Threshold:
        if self.rows is None and self.ratio is None:
            raise ValueError("a threshold needs 'rows', 'ratio' or both")
        return self

    def exceeded(self, failing: int, scanned: int | None) -> bool:
        """True when ``failing`` rows out of ``scanned`` break every given limit."""
        if failing <= 0:
            return False
        over_rows = self.rows is None or failing > self.rows
        over_ratio = self.ratio is None or (
            not scanned or failing / scanned > self.ratio
        )
        return over_rows and over_ratio


class BaseRule(BaseModel):
    """Fields every rule has.

    ``table`` may be schema-qualified (``sales.orders``, ``db.sales.orders``).
    Names are used exactly as written and always quoted, except that on
    Snowflake an all-lower-case plain name (``orders``) is upper-cased, as
    Snowflake itself does with unquoted names. ``where`` restricts the rule to
    the rows where that SQL boolean expression is true; those rows are then the
    rule's ``rows_scanned``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    kind: str
    """The rule's kind (``not_null``, ``range``, ...); each subclass fixes it."""
    id: str = Field(min_length=1)
    """Stable identifier, unique in a suite (``orders.amount_positive``)."""
    description: str = ""
    severity: Severity = Severity.ERROR
    threshold: Threshold | None = None
    tags: tuple[str, ...] = ()
    where: str | None = None
    """Row filter: a SQL boolean expression in the source's dialect."""
    depends_on: tuple[str, ...] = ()
    """Ids of rules that must finish (and by default pass) before this one."""
    source: str | None = None
    """Data source name; the evaluating pool's when omitted."""
    cache: bool = True
    """Whether query results may come from (and go to) the run's result cache."""
    table: str = Field(min_length=1)


class ColumnRule(BaseRule):
    """A rule about one column of ``table``."""

    column: str = Field(min_length=1)


def check_key(columns: tuple[str, ...]) -> tuple[str, ...]:
    """Validate a list of key columns: none empty, none twice."""
    if not all(columns):
        raise ValueError("column names must not be empty")
    if len(set(columns)) != len(columns):
        raise ValueError("a column is listed twice")
    return columns


_DURATION = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([smhdw]?)\s*")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: object) -> object:
    """Seconds from ``90s``, ``30m``, ``24h``, ``7d``, ``2w`` (numbers pass through)."""
    if not isinstance(value, str):
        return value
    match = _DURATION.fullmatch(value)
    if match is None:
        raise ValueError(f"bad duration {value!r}: expected e.g. 90s, 30m, 24h, 7d")
    return float(match[1]) * _UNIT[match[2]]
