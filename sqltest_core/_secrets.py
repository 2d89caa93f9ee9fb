"""Keep credentials out of every message, log line, repr and report.

Credentials are registered as they are loaded (:class:`Secret`); :func:`redact`
masks every registered value, passwords inside URLs and ``password=`` pairs. Errors
and the logging processor pass all text through it, so a password that a driver
echoes back in its own error text is masked too.
"""

from __future__ import annotations

import re
import threading
from typing import Final

__all__ = ["MASK", "Secret", "redact", "register_secret"]

MASK: Final = "***"
_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None
_URL_PASSWORD = re.compile(
    r"(?P<head>[a-zA-Z][\w+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]+)(?=@)"
)
_KV_PASSWORD = re.compile(
    r"(?P<head>\b(?:password|passwd|pwd|secret|token|private_key_passphrase)\s*[=:]\s*)"
    r"(?P<q>['\"]?)(?P<pw>[^\s'\",;&)]+)",
    re.IGNORECASE,
)


def register_secret(value: str) -> None:
    """Remember ``value`` as a credential, masked wherever it appears from now on."""
    global _pattern
    if len(value) < 3:  # masking "a" or "" would garble all text
        return
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
        ordered = sorted(_secrets, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(s) for s in ordered))


def redact(text: str) -> str:
    """Return ``text`` with every known credential replaced by ``***``.

    >>> redact("postgresql://app:hunter2@db:5432/x")
    'postgresql://app:***@db:5432/x'
    """
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    text = _URL_PASSWORD.sub(lambda m: m["head"] + MASK, text)
    return _KV_PASSWORD.sub(lambda m: m["head"] + m["q"] + MASK, text)


class Secret:
    """A credential: masked in ``str``/``repr``, readable with :meth:`reveal`.

    >>> s = Secret("hunter2")
    >>> s, str(s), s.reveal()
    (Secret('***'), '***', 'hunter2')
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        register_secret(value)

    def reveal(self) -> str:
        """The real value, for handing to a driver and nothing else."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)
