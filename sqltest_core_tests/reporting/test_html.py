from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from sqltest_core.reporting import HTMLReporter
from sqltest_core.results import RuleResult, RunResult
from sqltest_core_tests.reporting._fixture import (
    HOSTILE,
    HOSTILE_SAMPLE,
    assert_golden,
    golden_run,
    history_runs,
)


class Collector(HTMLParser):
    """Tags, script bodies and every URL-bearing attribute of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.scripts: list[str] = []
        self.urls: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_script = tag == "script"
        self.urls += [
            v or "" for k, v in attrs if k in ("src", "href", "action", "data")
        ]

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def parse(page: str) -> Collector:
    c = Collector()
    c.feed(page)
    return c


def render() -> str:
    return HTMLReporter().render(golden_run(), history=history_runs())


def test_html_matches_golden() -> None:
    assert_golden("report.html", render())


def test_html_is_one_self_contained_file() -> None:
    page = render()
    c = parse(page)
    assert c.tags.count("script") == 1
    assert c.tags.count("style") == 1
    assert "link" not in c.tags and "img" not in c.tags and "iframe" not in c.tags
    assert all(u.startswith("#") for u in c.urls), c.urls
    assert "default-src 'none'" in page


def test_hostile_text_renders_inert() -> None:
    page = render()
    c = parse(page)
    assert len(c.scripts) == 1 and "alert" not in c.scripts[0]
    for raw in (HOSTILE, HOSTILE_SAMPLE, "<b>tag</b>", "<b>bold</b>", "<orders>"):
        assert raw not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&#34;window.__pwned=1&#34;&gt;" in page
    assert "&#39;&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;" in page
    tags = re.findall(r"data-tags='([^']*)'", page)
    assert tags[2] == '["pii", "\\u003cb\\u003etag\\u003c/b\\u003e"]'


def test_html_summary_figures() -> None:
    page = render()
    assert '<p class="big" id="pass-rate">42.86%</p>' in page
    assert re.findall(r'data-filter-status="(\w+)"><b>(\d+)</b>', page) == [
        ("passed", "3"),
        ("failed", "2"),
        ("warned", "1"),
        ("errored", "1"),
        ("skipped", "1"),
    ]
    assert re.findall(r'<li class="sev-(\w+)"><b>(\d+)</b>', page) == [
        ("error", "2"),
        ("warn", "1"),
        ("info", "0"),
    ]
    assert "Coverage: 2 sources, 5 tables, 7 kinds of check" in page
    slowest = re.findall(
        r'data-open="(\d+)">([^<]+)</a> <span class="num">([^<]+)<', page
    )
    assert slowest == [
        ("6", "test.monthly_revenue", "1.50 s"),
        ("2", "orders.status_known", "840 ms"),
        ("3", "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "33 ms"),
        ("1", "orders.id_unique", "12 ms"),
        ("8", "顧客.名前_present", "7.8 ms"),
    ]
    keys = re.findall(r'<td class="key">([^<]+)</td>', page)
    assert keys[7:] == [
        "accepted_values",
        "custom",
        "not_null",
        "test",
        "expression",
        "freshness",
        "unique",
    ]
    assert (
        '<b id="n-newly-failing">4</b> newly failing · <b id="n-fixed">0</b> fixed'
        in page
    )
    assert re.findall(
        r'<tr><td class="key">([^<]+)</td><td>(\d+)</td><td class="[a-z]*">(\d+)</td>',
        page,
    )[:2] == [
        ("warehouse", "2", "3"),
        ("crm", "1", "1"),
    ]


def test_html_sparkline_shows_history_oldest_first() -> None:
    page = render()
    sparks = re.findall(r'<div class="spark"[^>]*>(.*?)</div>', page)
    assert len(sparks) == 8
    assert re.findall(r'title="(\w+)"', sparks[0]) == ["failed", "passed", "passed"]
    assert re.findall(r'title="(\w+)"', sparks[4]) == ["absent", "absent", "skipped"]
    assert '<div class="spark"' not in HTMLReporter().render(golden_run())


def test_quotes_in_data_attributes_stay_inside_them() -> None:
    run = RunResult(
        results=[
            RuleResult(
                rule_id="a'b\"c", status="failed", tags=("it's", '"q"'), kind="k'"
            ),
        ]
    )
    page = HTMLReporter().render(run)
    assert r"""data-tags='["it\u0027s", "\"q\""]'""" in page
    assert 'data-rule="a&#39;b&#34;c"' in page
    assert 'data-text="a&#39;b&#34;c k&#39; it&#39;s &#34;q&#34;"' in page


def test_html_drill_down_content() -> None:
    page = render()
    drill = page.split('id="d-6"')[1].split('<tbody class="result"')[0]
    assert "<h4>Row diff" in drill
    assert re.findall(
        r'<tr class="diff-(\w+)"><td class="mark">(.)</td><td>([^<]*)</td>', drill
    ) == [
        ("missing", "-", "2026-01"),
        ("unexpected", "+", "2026-01"),
        ("unexpected", "+", "2026-02"),
    ]
    assert '<span class="null">NULL</span>' in drill
    drill = page.split('id="d-2"')[1].split('<tbody class="result"')[0]
    assert '<dd class="failing">12 of 1,000 rows (1.20%)</dd>' in drill
    assert "<h4>Sample failing rows (3)</h4>" in drill
    assert drill.count('<pre class="sql">') == 2
    assert "<dt>bad_values</dt><dd>[&#34;lost&#34;, &#34;??&#34;, null]</dd>" in drill


def test_html_masks_sensitive_columns() -> None:
    page = HTMLReporter(mask_columns=["customer_*"]).render(golden_run())
    assert "@example.com" not in page
    assert (
        page.count('<span class="masked" title="masked: sensitive column">••••</span>')
        == 4
    )


def test_html_templates_can_be_overridden(tmp_path: Path) -> None:
    (tmp_path / "report.css").write_text("body { color: rebeccapurple; }\n")
    page = HTMLReporter(template_dir=tmp_path, title="Custom").render(golden_run())
    assert "body { color: rebeccapurple; }" in page
    assert "--failed: #cf222e" not in page
    assert "<h1>Custom</h1>" in page
    (tmp_path / "report.html.j2").write_text("<p>{{ run.results[2].rule_id }}</p>")
    assert HTMLReporter(template_dir=tmp_path).render(golden_run()) == (
        "<p>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</p>"
    )


def test_html_without_times_or_results() -> None:
    page = HTMLReporter().render(RunResult())
    assert '<p class="big" id="pass-rate">\u2013</p>' in page
    assert 'Showing <b id="n-shown">0</b> of 0' in page
    page = HTMLReporter().render(
        RunResult(results=[RuleResult(rule_id="a", status="passed")])
    )
    assert '<div class="verdict ok">All clear</div>' in page
    assert "Coverage: 0 sources, 0 tables, 1 kind of check" in page


def test_html_pass_rate_trend_and_coverage() -> None:
    from sqltest_core.reporting._summary import summarize
    from sqltest_core.results import Coverage

    page = render()
    (points,) = re.findall(r'<polyline [^>]*points="([^"]+)"', page)
    rates = summarize(golden_run(), history_runs()).pass_rates
    assert rates[:2] == [6 / 7, 1.0] and len(rates) == 3
    ys = [float(p.split(",")[1]) for p in points.split()]
    assert ys == [round(22 - 20 * r, 1) for r in rates]
    assert 'id="pass-rate-trend"' not in HTMLReporter().render(golden_run())
    assert 'id="coverage"' not in page
    coverage = Coverage(
        schema_name="shop",
        tables=("orders", "users"),
        tables_read=("orders",),
        columns=("orders.id", "orders.total", "users.id"),
        columns_read=("orders.id",),
    )
    covered = HTMLReporter().render(
        golden_run().model_copy(update={"coverage": coverage})
    )
    card = covered.split('id="coverage"', 1)[1].split("</div>", 1)[0]
    assert "Coverage of shop" in card and "<b>50.0%</b> of tables" in card
    assert "<b>33.3%</b> of columns read (1 of 3)" in card
    assert "orders.total, users.id" in card
