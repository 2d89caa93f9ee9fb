"""Reaching the live servers tests need: skip on a laptop without them, fail in CI."""

from __future__ import annotations

import os
import socket

import pytest

POSTGRES_HOST, POSTGRES_PORT = "127.0.0.1", 5432
MYSQL_HOST, MYSQL_PORT = "127.0.0.1", 3306


def is_ci() -> bool:
    """True when running under CI (``CI=true``): an absent server is a failure."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_server(name: str, host: str, port: int) -> None:
    """Skip (or, in CI, fail) the calling test unless ``host:port`` accepts connections."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return
    except OSError as exc:
        message = f"{name} is not reachable at {host}:{port}: {exc}"
    if is_ci():
        pytest.fail(message + " (CI=true: a missing server fails the run)")
    pytest.skip(message)
