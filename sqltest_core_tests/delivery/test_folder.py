from __future__ import annotations

from pathlib import Path

from sqltest_core.delivery import DeliveryResult, FolderTarget, deliver
from sqltest_core_tests.delivery._run import listing, small_run
from sqltest_core_tests.delivery.conftest import FAST


async def test_copies_every_written_report(tmp_path: Path) -> None:
    dest = tmp_path / "share" / "{run_id}"
    target = FolderTarget(path=dest)
    [result] = await deliver(small_run(), [target], folder=tmp_path / "out")
    assert result == DeliveryResult(f"folder:{dest}", ok=True, attempts=1)
    copied = tmp_path / "share" / "nightly-42"
    assert listing(copied) == [
        "report.html",
        "report.json",
        "report.md",
        "report.xml",
    ]
    for name in listing(copied):
        assert (copied / name).read_bytes() == (tmp_path / "out" / name).read_bytes()


async def test_chosen_formats_only(tmp_path: Path) -> None:
    target = FolderTarget(path=tmp_path / "share", formats=("json", "csv"))
    [result] = await deliver(
        small_run(), [target], folder=tmp_path / "out", formats=["json"], stem="nightly"
    )
    assert result.ok
    assert listing(tmp_path / "share") == [
        "nightly.csv",
        "nightly.json",
    ]


async def test_unwritable_destination_is_reported(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    target = FolderTarget(path=tmp_path / "file" / "sub", name="share", retry=FAST)
    [result] = await deliver(small_run(), [target], folder=tmp_path / "out")
    assert result == DeliveryResult(
        "share",
        ok=False,
        attempts=1,
        error=f"cannot write to {tmp_path / 'file' / 'sub'}: Not a directory",
    )
    assert (tmp_path / "out" / "report.json").exists()


async def test_run_id_cannot_escape_the_folder(tmp_path: Path) -> None:
    target = FolderTarget(path=tmp_path / "share" / "{run_id}")
    [result] = await deliver(
        small_run("../../escape"), [target], folder=tmp_path / "out", formats=["json"]
    )
    assert result.ok
    assert listing(tmp_path / "share") == ["_.._escape"]
    assert listing(tmp_path / "share" / "_.._escape") == ["report.json"]
