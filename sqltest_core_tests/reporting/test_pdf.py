from __future__ import annotations

import importlib
import io
import sys

import pytest

from sqltest_core import PluginError
from sqltest_core.reporting import PDFReporter
from sqltest_core_tests._servers import is_ci
from sqltest_core_tests.reporting._fixture import HOSTILE, golden_run, history_runs

# PDF bytes depend on the fonts installed, so there is no golden file: the
# text is checked instead, and that the output is reproducible on one machine.


@pytest.fixture(autouse=True)
def _weasyprint() -> None:
    try:
        importlib.import_module("weasyprint")
        importlib.import_module("pypdf")
    except ImportError as exc:
        if is_ci():
            pytest.fail(f"{exc} (CI=true: the pdf extra must be tested)")
        pytest.skip(str(exc))


def text_of(pdf: bytes) -> str:
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    # Some fonts come out as UTF-16 code units; their NUL halves carry nothing.
    return "\n".join(p.extract_text() for p in reader.pages).replace("\x00", "")


def test_pdf_holds_the_report_and_expands_what_did_not_pass() -> None:
    pdf = PDFReporter(title="Nightly").render(golden_run(), history=history_runs())
    assert pdf.startswith(b"%PDF-")
    text = text_of(pdf)
    for expected in (
        "Nightly",
        "42.86%",
        "orders.status_known",
        HOSTILE,
        "Row diff",
        "zoë@example.com",
        'relation "public.customers" does not exist',
        "4 newly failing",
    ):
        assert expected in text, expected
    assert "Expand all" not in text  # filters are screen-only
    assert "SELECT count(*) FROM sales.orders" not in text  # passed: collapsed


def test_pdf_is_reproducible_and_masks() -> None:
    reporter = PDFReporter(mask_columns=["customer_email"])
    first = reporter.render(golden_run())
    assert reporter.render(golden_run()) == first
    assert "@example.com" not in text_of(first)


def test_missing_weasyprint_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    with pytest.raises(PluginError, match=r'pip install "sqltest_core\[pdf\]"'):
        PDFReporter().render(golden_run())
