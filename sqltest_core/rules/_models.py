"""Every rule kind, and ``Rule``: any of them, told apart by ``kind``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sqltest_core.rules._aggregate import (
    AggregateRule,
    DistinctCount,
    Maximum,
    Mean,
    Minimum,
    NullRatio,
    Quantile,
    StdDev,
    Sum,
)
from sqltest_core.rules._base import BaseRule, Bound, ColumnRule, Scalar, Threshold
from sqltest_core.rules._column import (
    AcceptedValues,
    Castable,
    Expression,
    Format,
    Length,
    Monotonic,
    NoFutureTimestamps,
    NotNull,
    Range,
    Regex,
)
from sqltest_core.rules._custom import Predicate, Query, rule
from sqltest_core.rules._table import (
    DuplicateRows,
    Freshness,
    PrimaryKey,
    Reconciliation,
    ReferentialIntegrity,
    RowCount,
    Schema,
    Unique,
)

__all__ = [
    "KINDS",
    "AcceptedValues",
    "AggregateRule",
    "BaseRule",
    "Bound",
    "Castable",
    "ColumnRule",
    "DistinctCount",
    "DuplicateRows",
    "Expression",
    "Format",
    "Freshness",
    "Length",
    "Maximum",
    "Mean",
    "Minimum",
    "Monotonic",
    "NoFutureTimestamps",
    "NotNull",
    "NullRatio",
    "Predicate",
    "PrimaryKey",
    "Quantile",
    "Query",
    "Range",
    "Reconciliation",
    "ReferentialIntegrity",
    "Regex",
    "RowCount",
    "Rule",
    "Scalar",
    "Schema",
    "StdDev",
    "Sum",
    "Threshold",
    "Unique",
    "rule",
]

Rule = Annotated[
    NotNull
    | AcceptedValues
    | Range
    | Length
    | Regex
    | Format
    | Castable
    | NoFutureTimestamps
    | Monotonic
    | Expression
    | RowCount
    | Freshness
    | Unique
    | PrimaryKey
    | DuplicateRows
    | Schema
    | ReferentialIntegrity
    | Reconciliation
    | Mean
    | Sum
    | Minimum
    | Maximum
    | StdDev
    | Quantile
    | DistinctCount
    | NullRatio
    | Query
    | Predicate,
    Field(discriminator="kind"),
]
"""Any rule, told apart by its ``kind``."""

KINDS: dict[str, type[BaseRule]] = {
    model.model_fields["kind"].default: model
    for model in (
        NotNull,
        AcceptedValues,
        Range,
        Length,
        Regex,
        Format,
        Castable,
        NoFutureTimestamps,
        Monotonic,
        Expression,
        RowCount,
        Freshness,
        Unique,
        PrimaryKey,
        DuplicateRows,
        Schema,
        ReferentialIntegrity,
        Reconciliation,
        Mean,
        Sum,
        Minimum,
        Maximum,
        StdDev,
        Quantile,
        DistinctCount,
        NullRatio,
        Query,
        Predicate,
    )
}
"""Rule models by ``kind``, in the order the docs list them."""
