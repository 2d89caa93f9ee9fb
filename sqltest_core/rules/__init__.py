"""Rules: declarative statements about data, checked inside the database.

A rule is a frozen pydantic model (one per ``kind``) or an entry in a YAML
suite (:func:`load_suite`). :func:`evaluate` compiles the rules of one data
source with sqlglot into one aggregate scan per table, rendered for the
engine's dialect, and returns a :class:`~sqltest_core.results.RuleResult` each.
New kinds add a model in ``_models.py`` and a failing predicate in
``_compile.py``; engine differences live in ``_dialects.py`` only.
"""

from __future__ import annotations

from sqltest_core.rules._evaluate import evaluate
from sqltest_core.rules._models import (
    AcceptedValues,
    BaseRule,
    Expression,
    Length,
    NotNull,
    Range,
    Regex,
    RowCount,
    Rule,
    Threshold,
)
from sqltest_core.rules._suite import load_suite

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
    "evaluate",
    "load_suite",
]
