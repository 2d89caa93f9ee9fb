"""JSON: the lossless report every other format can be re-rendered from."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from sqltest_core.reporting._base import mask_samples
from sqltest_core.results import RunResult

__all__ = ["SCHEMA_VERSION", "JSONReporter", "json_schema", "load_run"]

SCHEMA_VERSION = 1
"""Version of the JSON report layout (``RunResult.schema_version``)."""


@dataclass(frozen=True, slots=True)
class JSONReporter:
    """The run as JSON; ``RunResult.model_validate_json`` reads it back unchanged.

    Args:
        indent: Spaces per level; None writes one line.
        mask_columns: Sensitive sample columns (names or globs) to mask.

    >>> from sqltest_core.results import RuleResult, RunResult
    >>> run = RunResult(results=[RuleResult(rule_id="a", status="passed")])
    >>> RunResult.model_validate_json(JSONReporter().render(run)) == run
    True
    """

    name: ClassVar[str] = "json"
    suffix: ClassVar[str] = ".json"

    indent: int | None = 2
    mask_columns: Sequence[str] = ()

    def render(
        self, run: RunResult, *, history: Sequence[RunResult] | None = None
    ) -> str:
        """Serialize ``run``; ``history`` is not part of a JSON report."""
        text = mask_samples(run, self.mask_columns).model_dump_json(indent=self.indent)
        return text + "\n"


def load_run(data: str | bytes) -> RunResult:
    """Read a JSON report back into a :class:`~sqltest_core.results.RunResult`.

    Raises:
        ValueError: ``data`` is not a report of a known ``schema_version``
            (a ``pydantic.ValidationError``, which is a ``ValueError``).
    """
    return RunResult.model_validate_json(data)


def json_schema() -> dict[str, Any]:  # Any: a JSON Schema document
    """The JSON Schema (draft 2020-12) of a version-1 JSON report.

    >>> json_schema()["title"], json_schema()["properties"]["schema_version"]["default"]
    ('RunResult', 1)
    """
    schema = RunResult.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://sqltest.dev/schemas/run-result-v{SCHEMA_VERSION}.json",
        **json.loads(json.dumps(schema)),
    }
