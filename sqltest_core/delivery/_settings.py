"""The ``delivery:`` section of ``sqltest.yml``."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Annotated

import anyio
from pydantic import BaseModel, ConfigDict, Field

from sqltest_core.delivery._base import DeliveryResult
from sqltest_core.delivery._deliver import DEFAULT_FORMATS, deliver
from sqltest_core.delivery._email import EmailTarget
from sqltest_core.delivery._folder import FolderTarget
from sqltest_core.delivery._http import WebhookTarget
from sqltest_core.delivery._slack import SlackTarget
from sqltest_core.results import RunResult

__all__ = ["AnyTarget", "DeliverySettings"]

#: One built-in target, chosen by its ``type`` key.
AnyTarget = Annotated[
    FolderTarget | WebhookTarget | SlackTarget | EmailTarget,
    Field(discriminator="type"),
]


class DeliverySettings(BaseModel):
    """Where reports are written and sent after a run.

    >>> s = DeliverySettings.model_validate({
    ...     "folder": "out",
    ...     "targets": [{"type": "slack", "webhook_url": "https://hooks.example.com/T/B/x1y2"},
    ...                 {"type": "folder", "path": "/srv/reports/{run_id}"}],
    ... })
    >>> [t.name for t in s.targets], s.formats
    (['slack', 'folder:/srv/reports/{run_id}'], ('json', 'junit', 'markdown', 'html'))
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    folder: Path = Field(Path("reports"), description="Reports are written here first.")
    formats: tuple[str, ...] = DEFAULT_FORMATS
    mask_columns: tuple[str, ...] = Field(
        (), description="Sensitive columns (names or globs) masked in every report."
    )
    targets: tuple[AnyTarget, ...] = ()

    async def deliver(
        self,
        run: RunResult,
        *,
        folder: str | os.PathLike[str] | None = None,
        history: Sequence[RunResult] | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> list[DeliveryResult]:
        """:func:`~sqltest_core.delivery.deliver` with these settings."""
        return await deliver(
            run,
            self.targets,
            folder=self.folder if folder is None else folder,
            formats=self.formats,
            history=history,
            mask_columns=self.mask_columns,
            sleep=sleep,
        )
