from __future__ import annotations

import io

from sqltest_core import Secret, configure_logging, get_logger, redact
from sqltest_core.errors import ConnectError


def test_registered_secret_is_masked_anywhere() -> None:
    Secret("zebra-horse-battery")
    assert redact("driver said: bad zebra-horse-battery!") == "driver said: bad ***!"


def test_password_pairs_and_urls_are_masked() -> None:
    text = "host=db password='abc123' user=x; mysql://root:toor@h/db"
    assert redact(text) == "host=db password='***' user=x; mysql://root:***@h/db"


def test_errors_mask_secrets_in_message_and_sql() -> None:
    Secret("ultra-secret-77")
    err = ConnectError(
        "login failed for ultra-secret-77", source="pg", sql="select 'ultra-secret-77'"
    )
    assert "ultra-secret-77" not in str(err)
    assert err.source == "pg"


def test_logs_are_redacted_and_json_switchable() -> None:
    Secret("log-canary-991")
    out = io.StringIO()
    configure_logging(format="json", level="INFO", stream=out)
    try:
        get_logger("t").info("connect", detail="pw log-canary-991", n=3)
        get_logger("t").debug("hidden")
    finally:
        configure_logging(level="WARNING")
    line = out.getvalue()
    assert '"detail": "pw ***"' in line
    assert '"component": "t"' in line
    assert "hidden" not in line


def test_short_values_are_not_registered() -> None:
    Secret("a")
    assert redact("a banana") == "a banana"
