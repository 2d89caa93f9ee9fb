"""A small persistent memo: text keys to JSON values, in one SQLite file.

It keeps what is costly to compute and cheap to store across processes, such
as rules' SQL rendered by sqlglot: a warm run then neither imports sqlglot nor
renders anything. A cache must never break a run, so every storage error
(read-only home, full disk, a corrupt or locked file) turns it off quietly.

The file lives in ``$SQLTEST_CACHE_DIR`` (``off`` or empty: no file, memory
only), else ``$XDG_CACHE_HOME/sqltest_core`` or ``~/.cache/sqltest_core`` (no
home directory: memory only). Its
name carries a fingerprint of the code whose output it stores, so changed code
never reads stale entries; files of other fingerprints are removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqltest_core._logging import get_logger

__all__ = ["DiskMemo", "cache_dir"]

_log = get_logger("sqltest_core.cache")


def cache_dir() -> Path | None:
    """Where persistent caches live (``None``: turned off by the environment)."""
    configured = os.environ.get("SQLTEST_CACHE_DIR")
    if configured is not None:
        if configured.strip().lower() in ("", "off", "0", "false", "no"):
            return None
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except (RuntimeError, KeyError):  # no home: a service account, say
            return None
    return Path(base) / "sqltest_core"


class DiskMemo:
    """Values by key, in memory and in ``<cache dir>/<name>-<fingerprint>.sqlite3``.

    Writes are buffered and stored together by :meth:`flush`; at most
    ``max_entries`` are kept on disk (the oldest go first) and in memory.
    Safe to share between threads.

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> memo = DiskMemo("demo", b"v1", folder=folder)
    >>> memo.get("k") is None
    True
    >>> memo.put("k", ["SELECT 1", None])
    >>> memo.flush()
    >>> DiskMemo("demo", b"v1", folder=folder).get("k")
    ['SELECT 1', None]
    >>> DiskMemo("demo", b"v2", folder=folder).get("k") is None  # other code
    True
    """

    def __init__(
        self,
        name: str,
        fingerprint: bytes,
        *,
        folder: str | os.PathLike[str] | None = None,
        max_entries: int = 200_000,
    ) -> None:
        digest = hashlib.blake2b(fingerprint, digest_size=8).hexdigest()
        root = Path(folder) if folder is not None else cache_dir()
        self.path = None if root is None else root / f"{name}-{digest}.sqlite3"
        self._name = name
        self._max = max_entries
        self._db: sqlite3.Connection | None = None
        self._opened = False
        self._memory: dict[str, Any] = {}
        self._pending: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:  # Any: whatever JSON value was stored
        """The stored value, or ``None`` when there is none."""
        if key in self._memory:
            return self._memory[key]
        with self._lock:
            db = self._connect()
            if db is None:
                return None
            try:
                row = db.execute(
                    "SELECT value FROM memo WHERE key = ?", (key,)
                ).fetchone()
            except sqlite3.Error as exc:
                self._disable(exc)
                return None
        value = None if row is None else json.loads(row[0])
        if value is not None:
            self._remember(key, value)
        return value

    def put(self, key: str, value: object) -> None:
        """Remember ``value`` (JSON-serialisable, not ``None``); stored on flush."""
        self._remember(key, value)
        if self.path is not None:
            self._pending[key] = json.dumps(value, separators=(",", ":"))

    def _remember(self, key: str, value: object) -> None:
        if len(self._memory) >= self._max:  # a long-lived process: start afresh
            self._memory.clear()
        self._memory[key] = value

    def flush(self) -> None:
        """Store the values put since the last flush, in one transaction."""
        with self._lock:
            if not self._pending:
                return
            pending, self._pending = self._pending, {}
            db = self._connect()
            if db is None:
                return
            try:
                with db:
                    db.executemany(
                        "INSERT OR REPLACE INTO memo (key, value) VALUES (?, ?)",
                        pending.items(),
                    )
                    self._prune(db)
            except sqlite3.Error as exc:
                self._disable(exc)

    def _prune(self, db: sqlite3.Connection) -> None:
        (count,) = db.execute("SELECT COUNT(*) FROM memo").fetchone()
        if count > self._max:
            db.execute(
                "DELETE FROM memo WHERE rowid IN"
                " (SELECT rowid FROM memo ORDER BY rowid LIMIT ?)",
                (count - self._max // 2,),
            )

    def _connect(self) -> sqlite3.Connection | None:
        if self._opened:
            return self._db
        self._opened = True
        if self.path is None:
            return None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fresh = not self.path.exists()
            db = sqlite3.connect(self.path, timeout=2.0, check_same_thread=False)
            db.execute(
                "CREATE TABLE IF NOT EXISTS memo"
                " (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
        except (OSError, sqlite3.Error) as exc:
            self._disable(exc)
            return None
        self._db = db
        if fresh:
            self._remove_stale(self.path.parent.glob(f"{self._name}-*.sqlite3*"))
        return db

    def _remove_stale(self, files: Iterable[Path]) -> None:
        assert self.path is not None
        for file in files:
            if not file.name.startswith(self.path.name):
                with contextlib.suppress(OSError):
                    file.unlink()

    def _disable(self, exc: Exception) -> None:
        _log.debug("cache.disk_unavailable", path=str(self.path), error=repr(exc))
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
        self._db = None
        self._opened = True
        self._pending.clear()

    def close(self) -> None:
        """Flush and close the file (the memory keeps its values)."""
        self.flush()
        with self._lock:
            if self._db is not None:
                self._db.close()
            self._db = None
            self._opened = False
