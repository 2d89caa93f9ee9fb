"""Table and relationship rules: counts, keys, schema, references, reconciliation."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from sqltest_core.rules._base import BaseRule, ColumnRule, check_key, parse_duration

__all__ = [
    "DuplicateRows",
    "Freshness",
    "PrimaryKey",
    "Reconciliation",
    "ReferentialIntegrity",
    "RowCount",
    "Schema",
    "Unique",
]


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


class Freshness(ColumnRule):
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

    _parse_age = field_validator("max_age", mode="before")(parse_duration)


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

    _check_columns = field_validator("columns")(check_key)


class PrimaryKey(Unique):
    """``columns`` must identify each row: unique and never NULL.

    ``failing_count`` is the rows with a NULL in any key column plus the rows
    involved in duplicated keys; ``details`` splits it into ``null_rows`` and
    ``duplicated_rows``, with ``duplicated_values`` the distinct duplicated
    keys. One grouped query.
    """

    kind: Literal["primary_key"] = "primary_key"  # type: ignore[assignment]


class DuplicateRows(BaseRule):
    """No two rows may be equal in every column (or in ``columns``, if given).

    Unlike ``unique``, NULLs compare equal here (as ``GROUP BY`` does): two
    all-NULL rows are duplicates. ``failing_count`` is the rows involved (3
    copies count 3); ``details["duplicated_values"]`` is the distinct
    duplicated rows and ``details["extra_rows"]`` the copies beyond the first.
    Samples are the duplicated rows with their number of copies
    (``sqltest_copies``). Without ``columns`` the table's columns come from the
    data source's (cached) catalog.
    """

    kind: Literal["duplicate_rows"] = "duplicate_rows"
    columns: tuple[str, ...] | None = None

    @field_validator("columns")
    @classmethod
    def _check(cls, columns: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if columns is None else check_key(columns)


class Schema(BaseRule):
    """``table`` must have ``columns`` (name to type; ``None``: any type).

    Types are compared as the engine reports them in its catalog, both sides
    read by sqlglot in the source's dialect (``int4`` is ``integer``,
    ``character varying`` is ``varchar``); a type given without parameters
    matches any length or precision (``varchar`` matches ``varchar(50)``).
    Names match exactly, or case-insensitively when only one column fits.
    ``details`` lists the drift: ``removed`` (expected, missing), ``added``
    (present, not expected; drift only when ``allow_extra`` is false) and
    ``changed`` (``{"column", "expected", "actual"}``). ``failing_count`` is
    the number of drifted columns and ``rows_scanned`` the columns compared.
    A missing table errors.
    """

    kind: Literal["schema"] = "schema"
    columns: dict[str, str | None] = Field(min_length=1)
    allow_extra: bool = False


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

    _check_columns = field_validator("columns", "parent_columns")(check_key)

    @model_validator(mode="after")
    def _same_width(self) -> ReferentialIntegrity:
        if len(self.columns) != len(self.parent_columns):
            raise ValueError("'columns' and 'parent_columns' differ in length")
        return self


class Reconciliation(BaseRule):
    """A measure of ``table`` must equal that of ``other_table``, in total or per group.

    ``measure`` is ``count`` (rows) or ``sum`` (of ``column``; of
    ``other_column`` on the other side, ``column`` by default). ``other_source``
    names another data source (the same one by default) and ``other_where``
    filters the other side as ``where`` filters this one. ``tolerance`` and
    ``relative_tolerance`` allow a difference of ``tolerance +
    relative_tolerance * |this side|``.

    Without ``group_by`` ``failing_count`` is 1 when the totals differ, and
    ``details`` holds ``value``, ``other_value`` and ``difference``. With
    ``group_by`` (the same column names on both sides unless
    ``other_group_by`` says otherwise), each group's measures are compared:
    ``failing_count`` counts groups that differ or exist on one side only,
    ``rows_scanned`` the groups compared, and samples show the differing
    groups (keys, ``value``, ``other_value``). Groups are compared in memory:
    keep ``group_by`` to columns of moderate cardinality.
    """

    kind: Literal["reconciliation"] = "reconciliation"
    measure: Literal["count", "sum"] = "count"
    column: str | None = None
    other_table: str = Field(min_length=1)
    other_source: str | None = None
    other_column: str | None = None
    other_where: str | None = None
    group_by: tuple[str, ...] = ()
    other_group_by: tuple[str, ...] | None = None
    tolerance: float = Field(default=0, ge=0)
    relative_tolerance: float = Field(default=0, ge=0)

    _check_groups = field_validator("group_by")(check_key)

    @model_validator(mode="after")
    def _consistent(self) -> Reconciliation:
        if self.measure == "sum" and self.column is None:
            raise ValueError("a 'sum' reconciliation needs 'column'")
        if self.measure == "count" and (self.column or self.other_column):
            raise ValueError("a 'count' reconciliation takes no 'column'")
        other = self.other_group_by
        if other is not None and len(other) != len(self.group_by):
            raise ValueError("'group_by' and 'other_group_by' differ in length")
        return self

    @property
    def other_columns(self) -> tuple[str, ...]:
        """The other side's group columns."""
        return self.group_by if self.other_group_by is None else self.other_group_by
