"""Session-wide settings for the test suite."""

from __future__ import annotations

import os
import tempfile

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # Persistent caches (rendered SQL) go to a folder of this session, never to
    # the user's home; xdist workers share it, as processes of one user do.
    if "SQLTEST_CACHE_DIR" not in os.environ:
        os.environ["SQLTEST_CACHE_DIR"] = tempfile.mkdtemp(prefix="sqltest-cache-")
