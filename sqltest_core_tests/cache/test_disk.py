"""DiskMemo: values survive the process, never stale, never in the way."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sqltest_core.cache import DiskMemo, cache_dir


def test_values_survive_a_new_instance_only_after_flush(tmp_path: Path) -> None:
    memo = DiskMemo("t", b"code v1", folder=tmp_path)
    memo.put("a", ["SELECT 1", None])
    memo.put("b", {"x": [1, 2.5, "q"]})
    assert memo.get("a") == ["SELECT 1", None]  # from memory at once
    assert DiskMemo("t", b"code v1", folder=tmp_path).get("a") is None
    memo.flush()
    again = DiskMemo("t", b"code v1", folder=tmp_path)
    assert again.get("a") == ["SELECT 1", None]
    assert again.get("b") == {"x": [1, 2.5, "q"]}
    assert again.get("missing") is None


def test_other_code_never_reads_old_values_and_old_files_go(tmp_path: Path) -> None:
    old = DiskMemo("t", b"code v1", folder=tmp_path)
    old.put("a", "old")
    old.close()
    other_name = DiskMemo("u", b"code v1", folder=tmp_path)
    other_name.put("a", "kept")
    other_name.close()
    new = DiskMemo("t", b"code v2", folder=tmp_path)
    assert new.get("a") is None
    new.put("a", "new")
    new.close()
    names = sorted(p.name for p in tmp_path.glob("*.sqlite3"))
    assert len(names) == 2 and names[0].startswith("t-") and names[1].startswith("u-")
    assert new.path is not None and new.path.name in names
    assert DiskMemo("u", b"code v1", folder=tmp_path).get("a") == "kept"


def test_turned_off_by_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SQLTEST_CACHE_DIR", "off")
    assert cache_dir() is None
    memo = DiskMemo("t", b"v")
    assert memo.path is None
    memo.put("a", 1)
    memo.flush()
    assert memo.get("a") == 1  # memory still works
    monkeypatch.setenv("SQLTEST_CACHE_DIR", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    monkeypatch.delenv("SQLTEST_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert cache_dir() == tmp_path / "x" / "sqltest_core"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert cache_dir() == tmp_path / "h" / ".cache" / "sqltest_core"


def test_no_home_directory_keeps_the_memo_in_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("SQLTEST_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert cache_dir() is None
    memo = DiskMemo("t", b"v")
    memo.put("a", 1)
    memo.flush()
    assert memo.path is None and memo.get("a") == 1


def test_an_unusable_folder_or_file_turns_the_disk_off_quietly(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    memo = DiskMemo("t", b"v", folder=blocker / "sub")
    assert memo.get("a") is None
    memo.put("a", 1)
    memo.flush()
    assert memo.get("a") == 1

    good = DiskMemo("t", b"v", folder=tmp_path / "ok")
    good.put("a", 1)
    good.close()
    assert good.path is not None
    good.path.write_bytes(b"garbage, not SQLite" * 100)
    for suffix in ("-wal", "-shm"):
        good.path.with_name(good.path.name + suffix).unlink(missing_ok=True)
    corrupt = DiskMemo("t", b"v", folder=tmp_path / "ok")
    assert corrupt.get("a") is None
    corrupt.put("b", 2)
    corrupt.flush()
    assert corrupt.get("b") == 2


def test_entries_beyond_the_limit_drop_the_oldest(tmp_path: Path) -> None:
    memo = DiskMemo("t", b"v", folder=tmp_path, max_entries=10)
    for i in range(10):
        memo.put(f"k{i}", i)
    memo.flush()
    for i in range(10, 12):
        memo.put(f"k{i}", i)
    memo.close()
    assert memo.path is not None
    with sqlite3.connect(memo.path) as db:
        keys = {k for (k,) in db.execute("SELECT key FROM memo")}
    assert keys == {f"k{i}" for i in range(7, 12)}  # pruned to half the limit


def test_threads_share_one_memo(tmp_path: Path) -> None:
    memo = DiskMemo("t", b"v", folder=tmp_path)

    def work(n: int) -> None:
        for i in range(50):
            memo.put(f"{n}-{i}", i)
            memo.get(f"other-{i}")
            if i % 10 == 0:
                memo.flush()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    memo.close()
    fresh = DiskMemo("t", b"v", folder=tmp_path)
    assert all(fresh.get(f"{n}-{i}") == i for n in range(4) for i in range(50))


def test_processes_writing_at_once_all_finish(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from sqltest_core.cache import DiskMemo\n"
        "n = int(sys.argv[1])\n"
        f"folder = {str(tmp_path)!r}\n"
        "for round in range(20):\n"
        "    memo = DiskMemo('t', b'v', folder=folder)\n"
        "    for i in range(50):\n"
        "        memo.put(f'{n}-{round}-{i}', [n, round, i])\n"
        "    memo.close()\n"
        "print('ok')\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(n)], stdout=subprocess.PIPE)
        for n in range(4)
    ]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert all(o.strip() == b"ok" for o in outs)
    # A write that found the file locked past the timeout turned that process's
    # disk off; whatever was stored is intact and readable.
    fresh = DiskMemo("t", b"v", folder=tmp_path)
    stored = [
        fresh.get(f"{n}-{r}-{i}")
        for n in range(4)
        for r in range(20)
        for i in range(50)
    ]
    assert any(v is not None for v in stored)
    assert all(
        v is None or v == [n, r, i]
        for v, (n, r, i) in zip(
            stored,
            ((n, r, i) for n in range(4) for r in range(20) for i in range(50)),
            strict=True,
        )
    )
