"""Where SQL unit tests (``*.sqltest.yml``) plug into the command.

Test files are parsed by :func:`sqltest_core.testing.load_tests` (no database)
and run by :func:`sqltest_core.testing.run_tests`, through the same scheduler
as the rules. A test's id is its file, relative to the project, and its name
(``tests/orders.sqltest.yml::big orders``); its ``marks`` are its tags.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqltest_core.errors import ConfigError

if TYPE_CHECKING:
    from sqltest_core.testing import SQLTest

__all__ = [
    "TestFileCheck",
    "check_test_file",
    "load_test_files",
    "test_id",
    "test_tags",
]


@dataclass(frozen=True, slots=True)
class TestFileCheck:
    """The tests a file declares, or the mistakes in it."""

    __test__ = False  # not a pytest test class

    count: int
    errors: tuple[ConfigError, ...] = ()


def check_test_file(path: Path) -> TestFileCheck:
    """Parse one test file without a database."""
    from sqltest_core.testing import load_tests

    try:
        cases = load_tests(path)
    except ConfigError as exc:
        return TestFileCheck(0, (exc,))
    return TestFileCheck(len(cases))


def load_test_files(files: Sequence[Path], *, root: Path) -> list[SQLTest]:
    """Every test of ``files``, named by their path relative to ``root``."""
    from sqltest_core.testing import load_tests

    tests: list[SQLTest] = []
    for file in files:
        label = os.path.relpath(file.resolve(), root.resolve())
        if label.startswith(".."):
            label = str(file)
        tests.extend(t.model_copy(update={"module": label}) for t in load_tests(file))
    return tests


def test_id(test: SQLTest) -> str:
    """The id a test's result will carry."""
    return test.unit_test(prefix=f"{test.module}::" if test.module else "").id


def test_tags(test: SQLTest) -> tuple[str, ...]:
    """A test's labels (``marks``), matched by ``--tag``."""
    return test.marks
