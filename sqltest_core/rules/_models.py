"""Declarative rule models: what must hold of a table, one frozen model per kind."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sqltest_core.results import Severity

__all__ = [
    "AcceptedValues",
    "BaseRule",
    "Expression",
    "Length",
    "NotNull",
    "Range",
    "Regex",
    "RowCount",
    "Rule",
    "Threshold",
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


Rule = Annotated[
    NotNull | AcceptedValues | Range | Length | Regex | Expression | RowCount,
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
}
