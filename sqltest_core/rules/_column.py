"""Row-level rules: each row passes or fails, and failures are counted in the scan."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from sqltest_core.rules._base import BaseRule, Bound, ColumnRule, Scalar, check_key

__all__ = [
    "AcceptedValues",
    "Castable",
    "Expression",
    "Format",
    "Length",
    "Monotonic",
    "NoFutureTimestamps",
    "NotNull",
    "Range",
    "Regex",
]


class NotNull(ColumnRule):
    """``column`` must not be NULL; failing rows are the NULL ones.

    The only kind that counts NULLs: every other column rule ignores them.
    """

    kind: Literal["not_null"] = "not_null"


class AcceptedValues(ColumnRule):
    """``column`` must be one of ``values``.

    Failing rows are the non-NULL rows holding another value (NULLs pass: add a
    ``not_null`` rule to forbid them); ``details["bad_values"]`` lists the
    distinct bad values, sorted and capped.
    """

    kind: Literal["accepted_values"] = "accepted_values"
    values: tuple[Scalar, ...] = Field(min_length=1)


class Range(ColumnRule):
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


class Length(ColumnRule):
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


class Regex(ColumnRule):
    """``column`` must contain a match of ``pattern`` (anchor it with ``^...$``).

    Failing rows are the non-NULL rows without a match; NULLs pass. Patterns
    use the engine's regex flavour; keep to the common subset (classes,
    ``[0-9]``, ``{m,n}``, anchors) to stay portable.
    """

    kind: Literal["regex"] = "regex"
    pattern: str = Field(min_length=1)


class Format(ColumnRule):
    """``column`` must be a well-formed email, uuid, iso_date, url or phone.

    A ``regex`` rule with a built-in, portable pattern (a syntax check only:
    ``2024-02-31`` is a well-formed ISO date). ``phone`` accepts an optional
    ``+``, an optional parenthesised first group and 5 to 18 digits separated
    by single spaces, dots or dashes. Failing rows are the non-NULL rows that
    do not match; NULLs pass.
    """

    kind: Literal["format"] = "format"
    format: Literal["email", "uuid", "iso_date", "url", "phone"]


class Castable(ColumnRule):
    """The text of ``column`` must convert to ``to``: a portable syntax check.

    - ``integer``: optional sign, 1 to 18 digits (fits 64 bits);
    - ``number``: decimal or scientific notation (``-1.5``, ``.5``, ``2e10``);
    - ``boolean``: true/false, t/f, yes/no, y/n, on/off, 1/0, any case;
    - ``date``: ``YYYY-MM-DD`` with a real month and a day the month can have
      (February up to 29: leap years are not checked);
    - ``timestamp``: such a date, ``T`` or a space, ``HH:MM[:SS[.fff]]`` and an
      optional zone (``Z``, ``+02``, ``+02:00``).

    Surrounding spaces are allowed. The same check runs on every engine, so a
    value passes or fails alike everywhere. Failing rows are the non-NULL rows
    that do not convert; NULLs pass.
    """

    kind: Literal["castable"] = "castable"
    to: Literal["integer", "number", "boolean", "date", "timestamp"]


class NoFutureTimestamps(ColumnRule):
    """``column`` must not lie after the database's current time.

    Failing rows are the non-NULL rows with ``column > CURRENT_TIMESTAMP`` (as
    the engine sees it; see the docs for time zones); NULLs pass.
    """

    kind: Literal["no_future_timestamps"] = "no_future_timestamps"


class Expression(BaseRule):
    """``expression``, a SQL boolean expression, must hold for every row.

    Failing rows are those where it is false; where it is NULL the row passes,
    as with a CHECK constraint.
    """

    kind: Literal["expression"] = "expression"
    expression: str = Field(min_length=1)


class Monotonic(ColumnRule):
    """``column`` must never go down (or up) along the rows ordered by ``order_by``.

    Rows with a NULL ``column`` are left out of the sequence; ``rows_scanned``
    counts the others. A failing row is one whose value is below the previous
    row's (``strict``: below or equal; ``decreasing``: the other way round).
    Ties in ``order_by`` are ordered by ``column`` itself, so they never fail.
    Samples carry the previous value as ``sqltest_previous``. Runs as its own
    query (a window function).
    """

    kind: Literal["monotonic"] = "monotonic"
    order_by: tuple[str, ...] = Field(min_length=1)
    decreasing: bool = False
    strict: bool = False

    _check_order = field_validator("order_by")(check_key)
