"""YAML suites: every kind loads; every mistake names file, line and rule id."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sqltest_core.errors import ConfigError, RuleDefinitionError
from sqltest_core.results import Severity
from sqltest_core.rules import (
    AcceptedValues,
    Freshness,
    NotNull,
    Range,
    ReferentialIntegrity,
    RowCount,
    Threshold,
    Unique,
    load_suite,
)
from sqltest_core.rules._models import KINDS

SUITE = """\
rules:
  - id: orders.id_present
    kind: not_null
    source: warehouse
    table: sales.orders
    column: id
    tags: [keys]
  - id: orders.status_known
    kind: accepted_values
    table: sales.orders
    column: status
    values: [new, paid, 3]
    severity: warn
    threshold: {rows: 10}
  - id: orders.amount_positive
    kind: range
    table: sales.orders
    column: amount
    min: 0
    max_inclusive: false
    max: 1000
    where: "status <> 'void'"
    depends_on: [orders.id_present]
  - {id: orders.name_short, kind: length, table: sales.orders, column: name, max: 30}
  - {id: orders.sku_format, kind: regex, table: sales.orders, column: sku, pattern: '^[A-Z]{3}-\\d+$'}
  - {id: orders.paid_has_date, kind: expression, table: sales.orders, expression: "status <> 'paid' or paid_at is not null"}
  - {id: orders.not_empty, kind: row_count, table: sales.orders, min: 1, threshold: {ratio: 0.5}}
"""


def test_every_kind_loads(tmp_path: Path) -> None:
    path = tmp_path / "suite.yml"
    path.write_text(SUITE)
    rules = load_suite(path)
    assert [r.kind for r in rules] == [
        "not_null",
        "accepted_values",
        "range",
        "length",
        "regex",
        "expression",
        "row_count",
    ]
    assert rules[0] == NotNull(
        id="orders.id_present",
        source="warehouse",
        table="sales.orders",
        column="id",
        tags=("keys",),
    )
    status = rules[1]
    assert isinstance(status, AcceptedValues)
    assert (status.values, status.severity, status.threshold) == (
        ("new", "paid", 3),
        Severity.WARN,
        Threshold(rows=10),
    )
    amount = rules[2]
    assert isinstance(amount, Range)
    assert (amount.min, amount.max, amount.max_inclusive, amount.depends_on) == (
        0,
        1000,
        False,
        ("orders.id_present",),
    )
    assert rules[4].pattern == r"^[A-Z]{3}-\d+$"  # type: ignore[attr-defined]
    assert rules[6] == RowCount(
        id="orders.not_empty",
        table="sales.orders",
        min=1,
        threshold=Threshold(ratio=0.5),
    )


def _error(text: str) -> RuleDefinitionError:
    with pytest.raises(RuleDefinitionError) as info:
        load_suite("suite.yml", text=text)
    return info.value


def test_unknown_key_names_file_line_rule_and_suggestion() -> None:
    err = _error(
        "rules:\n  - id: a\n    kind: not_null\n    table: t\n    column: x\n    wher: y\n"
    )
    assert (err.file, err.line) == ("suite.yml", 6)
    assert (
        str(err)
        == "suite.yml:6: rules.0.wher: rule 'a': unknown key; did you mean 'where'?"
    )
    err = _error("rules:\n  - id: a\n    kind: not_null\n    table: t\n    colum: x\n")
    assert str(err).startswith("suite.yml:2: rules.0.column: rule 'a': 2 problems:")
    assert "suite.yml:5: rules.0.colum: unknown key; did you mean 'column'?" in str(err)


def test_missing_field_points_at_the_rule() -> None:
    err = _error(
        "rules:\n  - id: ok\n    kind: not_null\n    table: t\n    column: c\n  - id: b\n    kind: range\n    table: t\n    column: c\n"
    )
    assert (err.line, err.key) == (6, "rules.1")
    assert "rule 'b': " in str(err) and "needs 'min', 'max' or both" in str(err)


def test_bad_value_names_its_line() -> None:
    err = _error(
        "rules:\n  - id: c\n    kind: length\n    table: t\n    column: c\n    min: -1\n"
    )
    assert str(err).startswith(
        "suite.yml:6: rules.0.min: rule 'c': Input should be greater than or equal to 0"
    )


def test_unknown_kind_suggests_the_closest() -> None:
    err = _error("rules:\n  - id: d\n    kind: not_nul\n    table: t\n")
    assert (
        str(err)
        == "suite.yml:3: rules.0.kind: rule 'd': unknown kind 'not_nul'; did you mean 'not_null'?"
    )


def test_rule_without_id_is_named_by_position() -> None:
    err = _error("rules:\n  - kind: not_null\n    table: t\n    column: c\n")
    assert str(err) == "suite.yml:2: rules.0.id: rule without 'id': Field required"
    err = _error("rules:\n  - table: t\n")
    assert str(err).startswith(
        "suite.yml:2: rules.0.kind: rule #1 (no id): missing 'kind'"
    )


def test_duplicate_ids_name_both_lines() -> None:
    rule = "  - id: same\n    kind: row_count\n    table: t\n    min: 1\n"
    err = _error("rules:\n" + rule + rule)
    assert (
        str(err)
        == "suite.yml:6: rules.1.id: rule 'same': duplicate rule id (first defined on line 2)"
    )


def test_several_problems_in_one_rule_are_all_listed() -> None:
    err = _error(
        "rules:\n  - id: e\n    kind: accepted_values\n    table: t\n    column: c\n    values: []\n    severity: fatal\n"
    )
    text = str(err)
    assert text.startswith("suite.yml:7: rules.0.severity: rule 'e': 2 problems:")
    assert "suite.yml:6: rules.0.values: Tuple should have at least 1 item" in text
    assert (
        "suite.yml:7: rules.0.severity: Input should be 'error', 'warn' or 'info', got 'fatal'"
        in text
    )


def test_document_shape_errors() -> None:
    assert str(_error("- a\n")) == "suite.yml:1: expected a mapping with a 'rules' list"
    assert (
        str(_error("rules: {}\n"))
        == "suite.yml:1: rules: expected 'rules:' with a list of rules"
    )
    assert (
        str(_error("rules: []\nrule: 1\n"))
        == "suite.yml:2: rule: unknown key (expected 'rules')"
    )
    assert (
        str(_error("rules:\n  - 3\n"))
        == "suite.yml:2: rules.0: rule #1 (no id): a rule must be a mapping"
    )


def test_unreadable_and_invalid_yaml_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read configuration"):
        load_suite(tmp_path / "missing.yml")
    with pytest.raises(ConfigError, match=r"^suite.yml:3: invalid YAML"):
        load_suite("suite.yml", text="rules:\n  - [\n")


def test_models_are_frozen_and_strict() -> None:
    rule = NotNull(id="a", table="t", column="c")
    with pytest.raises(ValueError, match="frozen"):
        rule.id = "b"  # type: ignore[misc]
    with pytest.raises(ValueError, match="Extra inputs"):
        NotNull(id="a", table="t", column="c", colour="red")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="needs 'rows', 'ratio' or both"):
        Threshold()
    with pytest.raises(ValueError):
        AcceptedValues(id="a", table="t", column="c", values=(None,))


def test_threshold_with_both_limits_tolerates_either() -> None:
    both = Threshold(rows=10, ratio=0.01)
    assert not both.exceeded(10, 100)  # within rows
    assert not both.exceeded(50, 10_000)  # within ratio
    assert both.exceeded(11, 100)
    assert not both.exceeded(0, 0)


def test_the_docs_example_has_every_kind() -> None:
    page = Path(__file__).parents[2] / "docs" / "rules.md"
    block = page.read_text().split("```yaml\n", 1)[1].split("```", 1)[0]
    rules = load_suite("rules.md", text=block)
    assert {r.kind for r in rules} == set(KINDS)
    by_id = {r.id: r for r in rules}
    assert by_id["orders.recent"] == Freshness(
        id="orders.recent", table="sales.orders", column="created_at", max_age=86400
    )
    assert by_id["orders.line_unique"] == Unique(
        id="orders.line_unique",
        table="sales.order_lines",
        columns=("order_id", "line_no"),
    )
    ri = by_id["orders.customer_exists"]
    assert isinstance(ri, ReferentialIntegrity)
    assert (ri.columns, ri.parent, ri.parent_columns, ri.nulls_are_orphans) == (
        ("customer_id",),
        "sales.customers",
        ("id",),
        False,
    )
    assert by_id["orders.first_day"].min == dt.date(2020, 1, 1)  # type: ignore[attr-defined]
    assert by_id["orders.amount_spread"].max == 250.5  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90),
        ("90s", 90),
        ("1.5m", 90),
        ("24h", 86400),
        ("2d", 172800),
        (" 1w ", 604800),
        (3600, 3600),
    ],
)
def test_max_age_parses_to_seconds(text: str | int, seconds: int) -> None:
    assert Freshness(id="f", table="t", column="c", max_age=text).max_age == seconds


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        ("freshness", "column: c\n    max_age: 1y", "bad duration '1y'"),
        ("freshness", "column: c\n    max_age: 0", "greater than 0"),
        ("unique", "columns: []", "at least 1 item"),
        ("unique", "columns: [a, a]", "a column is listed twice"),
        (
            "referential_integrity",
            "columns: [a, b]\n    parent: p\n    parent_columns: [id]",
            "'columns' and 'parent_columns' differ in length",
        ),
        ("mean", "column: c", "a mean rule needs 'min', 'max' or both"),
        ("null_ratio", "column: c\n    min: low", "valid number"),
        (
            "format",
            "column: c\n    format: ssn",
            "'email', 'uuid', 'iso_date', 'url' or 'phone'",
        ),
    ],
)
def test_new_kinds_reject_bad_fields(kind: str, fields: str, message: str) -> None:
    err = _error(f"rules:\n  - id: x\n    kind: {kind}\n    table: t\n    {fields}\n")
    assert message in str(err) and "rule 'x'" in str(err)
