"""Copy the written reports to another folder: a share, a bucket, a web root."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import ClassVar, Literal

import anyio

from sqltest_core.delivery._base import (
    DeliveryError,
    Reports,
    TargetBase,
    fill_run_id,
)

__all__ = ["FolderTarget"]


class FolderTarget(TargetBase):
    """Copy the reports into ``path``; ``{run_id}`` in it is replaced.

    The run id is made safe as a file name first (``../x`` becomes ``_.._x``).

    Files are written to a temporary name and renamed, so a reader never sees
    half a report.

    Attributes:
        path: The destination folder, created if missing.
        formats: The formats copied; all that were written when empty.

    >>> FolderTarget(path="/srv/reports/{run_id}").name
    'folder:/srv/reports/{run_id}'
    """

    kind: ClassVar[str] = "folder"
    type: Literal["folder"] = "folder"
    path: Path
    formats: tuple[str, ...] = ()

    def default_name(self) -> str:
        return f"folder:{self.path}"

    def destination(self, reports: Reports) -> Path:
        """The folder the reports of this run go to."""
        return Path(fill_run_id(str(self.path), reports.run.run_id, url=False))

    async def deliver(self, reports: Reports) -> None:
        """Copy the reports once."""
        wanted = self.formats or tuple(reports.paths)
        files = {
            fmt: (await reports.content(fmt), reports.filename(fmt)) for fmt in wanted
        }
        dest = self.destination(reports)
        try:
            await anyio.to_thread.run_sync(_write_all, dest, list(files.values()))
        except OSError as exc:
            raise DeliveryError(
                f"cannot write to {dest}: {exc.strerror or exc}", source=self.name
            ) from exc


def _write_all(dest: Path, files: list[tuple[bytes, str]]) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for data, name in files:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=dest)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, dest / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
