"""Rules: declarative statements about data, checked inside the database.

A rule is a frozen pydantic model (one per ``kind``) or an entry in a YAML
suite (:func:`load_suite`). :func:`evaluate` compiles the rules of one data
source with sqlglot into one aggregate scan per table (plus one query per
``unique`` or ``referential_integrity`` rule), rendered for the engine's
dialect, and returns a :class:`~sqltest_core.results.RuleResult` each.
New kinds add a model in ``_models.py`` and a failing predicate (or
aggregates, or a query of their own) in ``_compile.py``; engine differences
live in ``_dialects.py`` only.
"""

from __future__ import annotations

from sqltest_core.rules._evaluate import evaluate
from sqltest_core.rules._models import (
    AcceptedValues,
    AggregateRule,
    BaseRule,
    DistinctCount,
    Expression,
    Format,
    Freshness,
    Length,
    Maximum,
    Mean,
    Minimum,
    NoFutureTimestamps,
    NotNull,
    NullRatio,
    Range,
    ReferentialIntegrity,
    Regex,
    RowCount,
    Rule,
    StdDev,
    Sum,
    Threshold,
    Unique,
)
from sqltest_core.rules._suite import load_suite

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
    "evaluate",
    "load_suite",
]
