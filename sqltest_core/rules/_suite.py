"""Load rule suites from YAML; every error names file, line and rule id."""

from __future__ import annotations

import difflib
import os
from typing import Any

from pydantic import BaseModel

from sqltest_core.config._loader import Document, load_yaml, relabel, validate
from sqltest_core.errors import ConfigError, RuleDefinitionError
from sqltest_core.rules._models import KINDS, BaseRule

__all__ = ["load_suite", "parse_suite"]


def load_suite(
    path: str | os.PathLike[str], *, text: str | None = None
) -> list[BaseRule]:
    """Read the rules of a YAML suite (``text``, if given, stands for the file).

    >>> rules = load_suite("suite.yml", text='''
    ... rules:
    ...   - id: orders.amount_positive
    ...     kind: range
    ...     table: sales.orders
    ...     column: amount
    ...     min: 0
    ... ''')
    >>> rules[0].kind, rules[0].min
    ('range', 0)

    Raises:
        RuleDefinitionError: naming file, line and rule id, for any mistake.
        ConfigError: when the file cannot be read or is not YAML.
    """
    return parse_suite(load_yaml(path, text=text))


class _Suite(BaseModel):
    rules: list[Any]


def parse_suite(doc: Document) -> list[BaseRule]:
    """The rules of an already loaded YAML document (see :func:`load_suite`)."""
    if not isinstance(doc.data, dict):
        raise _rule_error(doc, (), None, "expected a mapping with a 'rules' list")
    if not isinstance(doc.data.get("rules"), list):
        raise _rule_error(
            doc, ("rules",), None, "expected 'rules:' with a list of rules"
        )
    extra = sorted(set(doc.data) - {"rules"})
    if extra:
        raise _rule_error(doc, (extra[0],), None, "unknown key (expected 'rules')")
    rules: list[BaseRule] = []
    seen: dict[str, int | None] = {}
    for i, entry in enumerate(doc.data["rules"]):
        at = ("rules", i)
        if not isinstance(entry, dict):
            raise _rule_error(doc, at, None, "a rule must be a mapping")
        rule_id = entry.get("id")
        rid = rule_id if isinstance(rule_id, str) else None
        kind = entry.get("kind")
        if kind not in KINDS:
            close = difflib.get_close_matches(str(kind), KINDS, n=1)
            hint = (
                f"; did you mean {close[0]!r}?"
                if close
                else f" (expected one of: {', '.join(KINDS)})"
            )
            what = "missing 'kind'" if kind is None else f"unknown kind {kind!r}"
            raise _rule_error(doc, (*at, "kind"), rid, what + hint)
        try:
            rule = validate(doc, KINDS[kind], at=at)
        except ConfigError as exc:
            raise _wrap(exc, rid) from None
        if rule.id in seen:
            raise _rule_error(
                doc,
                (*at, "id"),
                rule.id,
                f"duplicate rule id (first defined on line {seen[rule.id]})",
            )
        seen[rule.id] = doc.line_of((*at, "id"))
        rules.append(rule)
    return rules


def _rule_error(
    doc: Document, path: tuple[str | int, ...], rule_id: str | None, message: str
) -> RuleDefinitionError:
    base = doc.error(path, message)
    return RuleDefinitionError(
        f"{_label(rule_id, path)}{message}",
        file=base.file,
        line=base.line,
        key=base.key,
    )


def _label(rule_id: str | None, path: tuple[str | int, ...]) -> str:
    if rule_id is not None:
        return f"rule {rule_id!r}: "
    if len(path) >= 2 and path[0] == "rules":
        return f"rule #{int(path[1]) + 1} (no id): "
    return ""


def _wrap(exc: ConfigError, rule_id: str | None) -> RuleDefinitionError:
    label = f"rule {rule_id!r}: " if rule_id else "rule without 'id': "
    return relabel(exc, label, RuleDefinitionError)
