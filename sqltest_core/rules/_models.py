"""Declarative rule models: what must hold of a table, one frozen model per kind."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sqltest_core.results import Severity

__all__ = [
    "AcceptedValues",
    "AggregateRule",
    "BaseRule",
    "DistinctCount",
    "Expression",
    "Format",
    "Freshness",
    "Length",
    "Maximum",
    "Mean",
    "Minimum",
    "NoFutureTimestamps",
    "NotNull",
    "NullRatio",
    "Range",
    "ReferentialIntegrity",
    "Regex",
    "RowCount",
    "Rule",
    "StdDev",
    "Sum",
    "Threshold",
    "Unique",
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

    model_config = ConfigDict(frozen=True, extra="forbid")

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

    model_config = ConfigDict(frozen=True, extra="forbid")

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
    table: str = Field(min_length=1)


class _ColumnRule(BaseRule):
    column: str = Field(min_length=1)


class NotNull(_ColumnRule):
    """``column`` must not be NULL; failing rows are the NULL ones.

    The only kind that counts NULLs: every other column rule ignores them.
    """

    kind: Literal["not_null"] = "not_null"


class AcceptedValues(_ColumnRule):
    """``column`` must be one of ``values``.

    Failing rows are the non-NULL rows holding another value (NULLs pass: add a
    ``not_null`` rule to forbid them); ``details["bad_values"]`` lists the
    distinct bad values, sorted and capped.
    """

    kind: Literal["accepted_values"] = "accepted_values"
    values: tuple[Scalar, ...] = Field(min_length=1)


class Range(_ColumnRule):
    """``column`` must lie between ``min`` and ``max`` (inclusive by default).

    Failing rows are the non-NULL rows outside the bounds; NULLs pass.
    """

    kind: Literal["range"] = "range"
    min: Bound | None = None
    max: Bound | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True

    @model_validator(mode="after")
    def _a_bound(self) -> Range:
        if self.min is None and self.max is None:
            raise ValueError("a range needs 'min', 'max' or both")
        return self


class Length(_ColumnRule):
    """The character length of ``column`` must lie in ``[min, max]``.

    Failing rows are the non-NULL rows too short or too long; NULLs pass.
    """

    kind: Literal["length"] = "length"
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _a_bound(self) -> Length:
        if self.min is None and self.max is None:
            raise ValueError("a length rule needs 'min', 'max' or both")
        return self


class Regex(_ColumnRule):
    """``column`` must contain a match of ``pattern`` (anchor it with ``^...$``).

    Failing rows are the non-NULL rows without a match; NULLs pass. Patterns
    use the engine's regex flavour; keep to the common subset (classes,
    ``[0-9]``, ``{m,n}``, anchors) to stay portable.
    """

    kind: Literal["regex"] = "regex"
    pattern: str = Field(min_length=1)


class Expression(BaseRule):
    """``expression``, a SQL boolean expression, must hold for every row.

    Failing rows are those where it is false; where it is NULL the row passes,
    as with a CHECK constraint.
    """

    kind: Literal["expression"] = "expression"
    expression: str = Field(min_length=1)


class RowCount(BaseRule):
    """The table (or the rows matching ``where``) must hold ``min``..``max`` rows.

    ``failing_count`` is how many rows the count lies outside the bounds (0
    when inside), so a ``threshold`` tolerates a small shortfall;
    ``details["row_count"]`` holds the count.
    """

    kind: Literal["row_count"] = "row_count"
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _a_bound(self) -> RowCount:
        if self.min is None and self.max is None:
            raise ValueError("a row_count rule needs 'min', 'max' or both")
        return self


class NoFutureTimestamps(_ColumnRule):
    """``column`` must not lie after the database's current time.

    Failing rows are the non-NULL rows with ``column > CURRENT_TIMESTAMP`` (as
    the engine sees it; see the docs for time zones); NULLs pass.
    """

    kind: Literal["no_future_timestamps"] = "no_future_timestamps"


class Format(_ColumnRule):
    """``column`` must be a well-formed ``email``, ``uuid``, ``iso_date`` or ``url``.

    A ``regex`` rule with a built-in, portable pattern (a syntax check only:
    ``2024-02-31`` is a well-formed ISO date). Failing rows are the non-NULL
    rows that do not match; NULLs pass.
    """

    kind: Literal["format"] = "format"
    format: Literal["email", "uuid", "iso_date", "url"]


def _key(columns: tuple[str, ...]) -> tuple[str, ...]:
    if not all(columns):
        raise ValueError("column names must not be empty")
    if len(set(columns)) != len(columns):
        raise ValueError("a column is listed twice")
    return columns


class Unique(BaseRule):
    """The values of ``columns`` (one or several) must not repeat.

    ``failing_count`` is the number of rows involved in duplicates (a value
    held by 3 rows counts 3) and ``details["duplicated_values"]`` the number of
    distinct duplicated keys. A key with a NULL in any column is never a
    duplicate, as with a SQL ``UNIQUE`` constraint. Runs as its own grouped
    query, beside the table's fused scan.
    """

    kind: Literal["unique"] = "unique"
    columns: tuple[str, ...] = Field(min_length=1)

    _check_columns = field_validator("columns")(_key)


class ReferentialIntegrity(BaseRule):
    """Each key in ``columns`` of ``table`` must be in ``parent_columns`` of ``parent``.

    ``failing_count`` is the number of orphan rows of ``table``. A row with a
    NULL in any key column is not an orphan (as with a SQL foreign key) unless
    ``nulls_are_orphans`` is true. Runs as its own query (a left join).
    """

    kind: Literal["referential_integrity"] = "referential_integrity"
    columns: tuple[str, ...] = Field(min_length=1)
    parent: str = Field(min_length=1)
    parent_columns: tuple[str, ...] = Field(min_length=1)
    nulls_are_orphans: bool = False

    _check_columns = field_validator("columns", "parent_columns")(_key)

    @model_validator(mode="after")
    def _same_width(self) -> ReferentialIntegrity:
        if len(self.columns) != len(self.parent_columns):
            raise ValueError("'columns' and 'parent_columns' differ in length")
        return self


_DURATION = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([smhdw]?)\s*")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class Freshness(_ColumnRule):
    """The newest ``column`` value must be at most ``max_age`` old.

    ``max_age`` is seconds, or a string such as ``90s``, ``30m``, ``24h``,
    ``7d``, ``2w`` (stored as seconds). ``failing_count`` is 1 when the newest
    value is too old or there is none, else 0; ``details["newest"]`` holds it
    (ISO 8601 text) and ``details["age_seconds"]`` its age by the evaluating
    machine's clock (naive timestamps are taken as UTC). A newest value in the
    future counts as fresh: add ``no_future_timestamps`` to catch it.

    >>> Freshness(id="f", table="t", column="at", max_age="1.5h").max_age
    5400.0
    """

    kind: Literal["freshness"] = "freshness"
    max_age: float = Field(gt=0)

    @field_validator("max_age", mode="before")
    @classmethod
    def _parse_age(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        match = _DURATION.fullmatch(value)
        if match is None:
            raise ValueError(f"bad duration {value!r}: expected e.g. 90s, 30m, 24h, 7d")
        return float(match[1]) * _UNIT[match[2]]


class AggregateRule(_ColumnRule):
    """An aggregate of ``column`` that must lie within ``min``..``max`` (inclusive).

    ``failing_count`` is 1 when the measured value lies outside the bounds, or
    is NULL (no non-NULL values to aggregate), else 0;
    ``details["value"]`` holds it. Fused into the table's single scan.
    """

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _a_bound(self) -> AggregateRule:
        if self.min is None and self.max is None:
            raise ValueError(f"a {self.kind} rule needs 'min', 'max' or both")
        return self


class Mean(AggregateRule):
    """The mean (``AVG``) of the non-NULL values of ``column``, as a float."""

    kind: Literal["mean"] = "mean"


class Sum(AggregateRule):
    """The sum of ``column`` (an int for integer columns)."""

    kind: Literal["sum"] = "sum"


class StdDev(AggregateRule):
    """The sample standard deviation of ``column`` (NULL for fewer than 2 values)."""

    kind: Literal["stddev"] = "stddev"


class DistinctCount(AggregateRule):
    """The number of distinct non-NULL values of ``column``."""

    kind: Literal["distinct_count"] = "distinct_count"


class NullRatio(AggregateRule):
    """The fraction (0..1) of the rows scanned where ``column`` is NULL."""

    kind: Literal["null_ratio"] = "null_ratio"


class Minimum(AggregateRule):
    """The smallest value of ``column``; bounds may also be dates or strings.

    Dates and times are reported as ISO 8601 text.
    """

    kind: Literal["min"] = "min"
    min: Bound | None = None  # type: ignore[assignment]
    max: Bound | None = None  # type: ignore[assignment]


class Maximum(AggregateRule):
    """The largest value of ``column``; bounds may also be dates or strings.

    Dates and times are reported as ISO 8601 text.
    """

    kind: Literal["max"] = "max"
    min: Bound | None = None  # type: ignore[assignment]
    max: Bound | None = None  # type: ignore[assignment]


Rule = Annotated[
    NotNull
    | AcceptedValues
    | Range
    | Length
    | Regex
    | Expression
    | RowCount
    | NoFutureTimestamps
    | Format
    | Unique
    | ReferentialIntegrity
    | Freshness
    | Mean
    | Sum
    | Minimum
    | Maximum
    | StdDev
    | DistinctCount
    | NullRatio,
    Field(discriminator="kind"),
]
"""Any rule, told apart by its ``kind``."""

KINDS: dict[str, type[BaseRule]] = {
    "not_null": NotNull,
    "accepted_values": AcceptedValues,
    "range": Range,
    "length": Length,
    "regex": Regex,
    "expression": Expression,
    "row_count": RowCount,
    "no_future_timestamps": NoFutureTimestamps,
    "format": Format,
    "unique": Unique,
    "referential_integrity": ReferentialIntegrity,
    "freshness": Freshness,
    "mean": Mean,
    "sum": Sum,
    "min": Minimum,
    "max": Maximum,
    "stddev": StdDev,
    "distinct_count": DistinctCount,
    "null_ratio": NullRatio,
}
