"""The HTML report in a real browser: Debian's chromium, driven by playwright."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

from sqltest_core.reporting import HTMLReporter, write
from sqltest_core_tests._servers import is_ci
from sqltest_core_tests.reporting._fixture import HOSTILE, golden_run, history_runs

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]


def _unavailable(message: str) -> NoReturn:
    if is_ci():
        pytest.fail(message + " (CI=true: a missing browser fails the run)")
    pytest.skip(message)


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        _unavailable("chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install playwright)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 900})
        finally:
            browser.close()


def visible_rules(page: Page) -> list[str]:
    return page.locator("tbody.result:visible tr.row td.rule code").all_inner_texts()


def test_report_filters_sorts_and_drills_down(page: Page, tmp_path: Path) -> None:
    path = write(
        golden_run(),
        tmp_path / "report.html",
        reporter=HTMLReporter(mask_columns=["customer_email"]),
        history=history_runs(),
    )
    problems: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"error: {exc}"))
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}"))
    page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())

    assert page.locator("#n-shown").inner_text() == "8"
    assert len(visible_rules(page)) == 8
    assert page.locator("tr.drill:visible").count() == 0

    page.select_option("#f-status", "failed")
    assert visible_rules(page) == ["orders.status_known", "test.monthly_revenue"]
    assert page.locator("#n-shown").inner_text() == "2"

    page.fill("#f-text", "REVENUE")
    assert visible_rules(page) == ["test.monthly_revenue"]
    page.click("tbody.result:visible button.toggle")
    drill = page.locator("tr.drill:visible")
    assert drill.count() == 1
    assert drill.locator("dd.failing").inner_text() == "3 rows"
    assert drill.locator("tr.diff-missing").all_inner_texts() == ["-\t2026-01\t100.5"]
    assert drill.locator("tr.diff-unexpected").all_inner_texts() == [
        "+\t2026-01\t99.5",
        "+\t2026-02\tNULL",
    ]
    assert drill.locator("pre.sql").inner_text() == (
        "SELECT month, revenue FROM analytics.monthly_revenue ORDER BY 1"
    )
    assert page.locator("button.toggle[aria-expanded=true]").count() == 1

    page.fill("#f-text", "no such rule")
    assert visible_rules(page) == []
    assert page.locator("#empty").is_visible()

    page.fill("#f-text", "")
    page.select_option("#f-status", "")
    page.select_option("#f-tag", "pii")
    assert visible_rules(page) == [HOSTILE, "customers.email_not_null"]
    page.select_option("#f-tag", "")
    page.select_option("#f-severity", "warn")
    assert visible_rules(page) == [HOSTILE]
    page.click("tbody.result:visible button.toggle")
    hostile = page.locator("tr.drill:visible table.data tbody tr").all_inner_texts()
    assert hostile == [
        '<img src=x onerror="window.__pwned=1">\t=HYPERLINK("http://x")\t••••'
    ]
    page.select_option("#f-severity", "")

    page.click("th[data-sort=duration]")  # slowest first
    assert visible_rules(page)[:3] == [
        "test.monthly_revenue",
        "orders.status_known",
        HOSTILE,
    ]
    assert visible_rules(page)[-1] == "customers.fresh"  # no timing sorts last
    page.click("th[data-sort=rule]")
    assert visible_rules(page)[0] == HOSTILE

    page.click("button[data-filter-status=errored]")
    assert visible_rules(page) == ["customers.email_not_null"]
    assert page.locator("#f-status").input_value() == "errored"

    page.click("#expand-all")
    assert page.locator("tr.drill:visible").count() == 1
    page.select_option("#f-status", "")
    page.click("#collapse-all")
    assert page.locator("tr.drill:visible").count() == 0

    assert page.evaluate("window.__pwned") is None
    assert problems == []
    assert requests == [path.as_uri()]
    page.click("#expand-all")
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_link_to_a_result_opens_its_drill_down(page: Page, tmp_path: Path) -> None:
    path = write(golden_run(), tmp_path / "report.html")
    page.goto(path.as_uri() + "#r-4")
    assert page.locator("tr.drill:visible").count() == 1
    assert page.locator("#d-4 .reason").inner_text() == (
        'Reason: QueryError: relation "public.customers" does not exist'
    )
    page.click("a[data-open='6']")
    assert page.locator("tr.drill:visible").count() == 2
