"""Custom rules: a SQL query whose rows are failures, and Python predicates."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, ImportString, field_validator, model_validator

from sqltest_core.rules._base import BaseRule, check_key

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["Predicate", "Query", "rule"]


class Query(BaseRule):
    """``sql``, a SELECT in the source's dialect, returns the failing rows.

    ``failing_count`` is the number of rows it returns (counted in the
    database) and the samples are its first rows; ``rows_scanned`` is unknown,
    so use a ``threshold`` in rows, not a ratio. ``table`` is optional and only
    labels the result. ``where`` does not apply: put filters in the query.
    """

    kind: Literal["query"] = "query"
    sql: str = Field(min_length=1)
    table: str | None = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _no_where(self) -> Query:
        if self.where is not None:
            raise ValueError("'where' does not apply to a query rule: filter in 'sql'")
        return self


PredicateFunction = Callable[["pa.RecordBatch"], Any]
"""Takes a batch of rows, returns one boolean per row: true passes."""


class Predicate(BaseRule):
    """A Python function must hold for every row, checked over streamed batches.

    For logic SQL cannot express. The rows of ``columns`` (all when omitted)
    matching ``where`` are streamed from the database as Arrow record batches
    of at most ``batch_size`` rows, so memory stays bounded however large the
    table; ``predicate`` gets each batch (in a worker thread, off the event
    loop) and returns a boolean per row (a pyarrow array, a NumPy array, a
    polars Series or a list). False fails the row; true and NULL pass, as with
    ``expression``. In YAML, ``predicate`` is an import path
    (``package.module:function``). See also :func:`rule`.
    """

    kind: Literal["predicate"] = "predicate"
    # Callable[..., Any]: pydantic checks callability; the batch type is pyarrow's,
    # imported lazily, so the signature cannot be resolved at class creation.
    predicate: ImportString[Callable[..., Any]]
    columns: tuple[str, ...] | None = None
    batch_size: int = Field(default=65536, gt=0)

    @field_validator("columns")
    @classmethod
    def _check(cls, columns: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if columns is None else check_key(columns)


def rule(
    *,
    table: str,
    columns: Sequence[str] | None = None,
    id: str | None = None,
    **fields: Any,  # any other BaseRule field: severity, where, threshold, ...
) -> Callable[[PredicateFunction], Predicate]:
    """Make a :class:`Predicate` rule of the decorated function.

    The rule's id defaults to the function's name and its description to the
    first line of its docstring.

    >>> import pyarrow.compute as pc
    >>> @rule(table="orders", columns=["amount"], severity="warn")
    ... def amount_is_even(batch):
    ...     "Amounts come in pairs."
    ...     return pc.equal(pc.bit_wise_and(batch["amount"], 1), 0)
    >>> amount_is_even.id, amount_is_even.kind, amount_is_even.description
    ('amount_is_even', 'predicate', 'Amounts come in pairs.')
    """

    def make(function: PredicateFunction) -> Predicate:
        doc = (function.__doc__ or "").strip().splitlines()
        fields.setdefault("description", doc[0] if doc else "")
        return Predicate(
            id=id or function.__name__,
            table=table,
            columns=None if columns is None else tuple(columns),
            predicate=function,
            **fields,
        )

    return make
