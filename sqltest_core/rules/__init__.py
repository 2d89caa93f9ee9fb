"""Rules: declarative statements about data, checked inside the database.

A rule is a frozen pydantic model (one per ``kind``), an entry in a YAML suite
(:func:`load_suite`) or a Python predicate (:func:`rule`). :func:`evaluate`
compiles the rules of one data source with sqlglot into one aggregate scan per
table (plus one query per key, reference, sequence, quantile or custom-query
rule), rendered for the engine's dialect, and returns a
:class:`~sqltest_core.results.RuleResult` each. New kinds add a model (in
``_column.py``, ``_table.py``, ``_aggregate.py`` or ``_custom.py``, listed in
``_models.py``) and a failing predicate or aggregates (``_compile.py``), a query
of their own (``_queries.py``) or a check (``_checks.py``); engine differences
live in ``_dialects.py`` only.
"""

from __future__ import annotations

from sqltest_core.rules._evaluate import evaluate
from sqltest_core.rules._models import (
    AcceptedValues,
    AggregateRule,
    BaseRule,
    Castable,
    ColumnRule,
    DistinctCount,
    DuplicateRows,
    Expression,
    Format,
    Freshness,
    Length,
    Maximum,
    Mean,
    Minimum,
    Monotonic,
    NoFutureTimestamps,
    NotNull,
    NullRatio,
    Predicate,
    PrimaryKey,
    Quantile,
    Query,
    Range,
    Reconciliation,
    ReferentialIntegrity,
    Regex,
    RowCount,
    Rule,
    Schema,
    StdDev,
    Sum,
    Threshold,
    Unique,
    rule,
)
from sqltest_core.rules._suite import load_suite, parse_suite

__all__ = [
    "AcceptedValues",
    "AggregateRule",
    "BaseRule",
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
    "Schema",
    "StdDev",
    "Sum",
    "Threshold",
    "Unique",
    "evaluate",
    "load_suite",
    "parse_suite",
    "rule",
]
