"""PDF: the HTML report laid out for print by WeasyPrint (the ``pdf`` extra)."""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NoReturn

from sqltest_core.errors import PluginError
from sqltest_core.reporting._html import HTMLReporter
from sqltest_core.results import RunResult

__all__ = ["PDFReporter"]


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:  # Any: WeasyPrint's
    # The report is self-contained; refusing every fetch keeps rendering offline.
    raise ValueError(f"the PDF report does not fetch {url!r}")


@dataclass(frozen=True, slots=True)
class PDFReporter:
    """The HTML report as PDF, rendered by WeasyPrint (no browser, no network).

    The page's print stylesheet drops the filters and expands the drill-down
    of every result that did not pass. Needs ``pip install "sqltest_core[pdf]"``.

    Args:
        title: Heading of the report.
        template_dir: Overrides for the HTML templates (see :class:`HTMLReporter`).
        mask_columns: Sensitive sample columns (names or globs) to mask.
    """

    name: ClassVar[str] = "pdf"
    suffix: ClassVar[str] = ".pdf"

    title: str = "sqltest report"
    template_dir: str | os.PathLike[str] | None = None
    mask_columns: Sequence[str] = ()

    def render(
        self, run: RunResult, *, history: Sequence[RunResult] | None = None
    ) -> bytes:
        """The PDF document.

        Raises:
            PluginError: WeasyPrint is not installed.
        """
        try:
            # WeasyPrint ships no type information; import_module keeps mypy
            # strict without a per-package override.
            weasyprint = importlib.import_module("weasyprint")
        except ImportError as exc:
            raise PluginError(
                'the pdf reporter needs WeasyPrint: pip install "sqltest_core[pdf]"'
            ) from exc
        page = HTMLReporter(
            title=self.title,
            template_dir=self.template_dir,
            mask_columns=self.mask_columns,
        ).render(run, history=history)
        pdf: bytes = weasyprint.HTML(string=page, url_fetcher=_no_fetch).write_pdf()
        return pdf
