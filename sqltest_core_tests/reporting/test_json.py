from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from sqltest_core.reporting import SCHEMA_VERSION, JSONReporter, json_schema, load_run
from sqltest_core.results import RunResult
from sqltest_core_tests.reporting._fixture import (
    assert_golden,
    golden_run,
    history_runs,
)


def test_json_matches_golden() -> None:
    assert_golden(
        "report.json", JSONReporter().render(golden_run(), history=history_runs())
    )


def test_json_is_lossless() -> None:
    run = golden_run()
    text = JSONReporter().render(run)
    assert RunResult.model_validate_json(text) == run
    assert load_run(text.encode("utf-8")) == run
    assert load_run(JSONReporter(indent=None).render(run)) == run


def test_json_is_versioned_and_on_one_line_when_asked() -> None:
    text = JSONReporter(indent=None).render(golden_run())
    assert text.count("\n") == 1
    doc = json.loads(text)
    assert doc["schema_version"] == SCHEMA_VERSION == 1
    assert list(doc) == [
        "schema_version",
        "run_id",
        "started_at",
        "finished_at",
        "results",
        "coverage",
    ]
    assert doc["started_at"] == "2026-11-28T06:00:00Z"


def test_json_masks_when_asked() -> None:
    doc = json.loads(JSONReporter(mask_columns=["customer_email"]).render(golden_run()))
    assert [s["customer_email"] for s in doc["results"][1]["samples"]] == [
        "••••",
        "••••",
        "••••",
    ]


def test_unknown_fields_are_refused() -> None:
    doc = json.loads(JSONReporter().render(golden_run()))
    doc["surprise"] = 1
    with pytest.raises(ValidationError, match="surprise"):
        load_run(json.dumps(doc))


def test_json_schema_matches_golden_and_describes_results() -> None:
    schema = json_schema()
    assert schema["$id"] == "https://sqltest.dev/schemas/run-result-v1.json"
    assert schema["$defs"]["Status"]["enum"] == [
        "passed",
        "failed",
        "warned",
        "errored",
        "skipped",
    ]
    assert schema["$defs"]["RuleResult"]["required"] == ["rule_id", "status"]
    assert_golden(
        "run-result.schema.json", json.dumps(schema, indent=2, sort_keys=True) + "\n"
    )
