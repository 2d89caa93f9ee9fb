from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import junitparser

from sqltest_core.reporting import JUnitReporter
from sqltest_core.results import RuleResult, RunResult
from sqltest_core_tests.reporting._fixture import HOSTILE, assert_golden, golden_run

# The element and attribute shape of the widely used JUnit XSD (Jenkins'
# junit-10.xsd, which GitLab, Azure DevOps and GitHub test-report actions read).
SHAPE: dict[str, tuple[set[str], set[str], set[str]]] = {
    # tag: (allowed attributes, required attributes, allowed children)
    "testsuites": (
        {"name", "tests", "failures", "errors", "skipped", "disabled", "time"},
        set(),
        {"testsuite"},
    ),
    "testsuite": (
        {
            "name",
            "tests",
            "failures",
            "errors",
            "skipped",
            "disabled",
            "time",
            "timestamp",
            "hostname",
            "id",
            "package",
            "file",
            "log",
            "url",
            "version",
            "group",
        },
        {"name", "tests"},
        {"properties", "testcase", "system-out", "system-err"},
    ),
    "properties": (set(), set(), {"property"}),
    "property": ({"name", "value"}, {"name", "value"}, set()),
    "testcase": (
        {
            "name",
            "assertions",
            "time",
            "classname",
            "status",
            "class",
            "file",
            "line",
            "log",
            "group",
            "url",
        },
        {"name"},
        {"skipped", "error", "failure", "system-out", "system-err"},
    ),
    "failure": ({"message", "type"}, set(), set()),
    "error": ({"message", "type"}, set(), set()),
    "skipped": ({"message"}, set(), set()),
    "system-out": (set(), set(), set()),
    "system-err": (set(), set(), set()),
}


def check_shape(el: ET.Element) -> None:
    allowed, required, children = SHAPE[el.tag]
    assert set(el.attrib) <= allowed, (el.tag, set(el.attrib) - allowed)
    assert required <= set(el.attrib), (el.tag, required - set(el.attrib))
    for child in el:
        assert child.tag in children, (el.tag, child.tag)
        check_shape(child)
    if el.tag == "testcase":
        assert len([c for c in el if c.tag in ("skipped", "error", "failure")]) <= 1


def test_junit_matches_golden() -> None:
    assert_golden("report.xml", JUnitReporter().render(golden_run()))


def test_junit_has_the_common_schema_shape() -> None:
    root = ET.fromstring(JUnitReporter().render(golden_run()))
    check_shape(root)


def test_junit_parses_with_a_junit_parser(tmp_path: Path) -> None:
    path = tmp_path / "report.xml"
    path.write_bytes(JUnitReporter().render(golden_run()))
    xml = junitparser.JUnitXml.fromfile(str(path))
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == (8, 2, 1, 1)
    suites = {s.name: s for s in xml}
    assert list(suites) == ["warehouse", "crm"]
    assert (suites["warehouse"].tests, suites["warehouse"].failures) == (5, 2)
    assert (suites["crm"].tests, suites["crm"].errors, suites["crm"].skipped) == (
        3,
        1,
        1,
    )
    cases = {c.name: c for s in xml for c in s}
    assert cases[HOSTILE].is_passed
    assert cases["orders.status_known"].classname == "warehouse.accepted_values"
    assert cases["orders.status_known"].time == 0.84
    (failure,) = cases["orders.status_known"].result
    assert isinstance(failure, junitparser.Failure)
    assert failure.message == "accepted_values failed on 12 of 1,000 rows (1.20%)"
    assert failure.text.splitlines()[:9] == [
        "Status is one of the known values",
        "Failing: 12 of 1,000 rows (1.20%)",
        'bad_values: ["lost", "??", null]',
        "",
        "Sample failing rows (3):",
        "id | status | customer_email",
        "---+--------+----------------",
        "7  | lost   | zoë@example.com",
        "9  | NULL   | bob@example.com",
    ]
    (error,) = cases["customers.email_not_null"].result
    assert isinstance(error, junitparser.Error)
    assert error.message == 'QueryError: relation "public.customers" does not exist'
    (skipped,) = cases["customers.fresh"].result
    assert isinstance(skipped, junitparser.Skipped)
    assert skipped.message == "dependency customers.email_not_null did not pass"
    (diff,) = cases["test.monthly_revenue"].result
    assert "\n".join(diff.text.splitlines()[3:9]) == (
        "Row diff (- expected, missing; + actual, unexpected):\n"
        "  | month   | revenue\n"
        "--+---------+--------\n"
        "- | 2026-01 | 100.5\n"
        "+ | 2026-01 | 99.5\n"
        "+ | 2026-02 | NULL"
    )
    assert cases["顧客.名前_present"].is_passed


def test_warned_can_count_as_failure() -> None:
    root = ET.fromstring(
        JUnitReporter(warned_as_failure=True, suite_name="x").render(golden_run())
    )
    assert (root.get("name"), root.get("failures"), root.get("tests")) == (
        "x",
        "3",
        "8",
    )
    case = root.find(f".//testcase[@name='{HOSTILE}']")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "custom warned on 1 of 3 rows (33.33%)"


def test_characters_xml_cannot_hold_are_replaced() -> None:
    run = RunResult(
        results=[
            RuleResult(
                rule_id="a\x00b", status="errored", reason="bad \x1b[31m byte\ud800"
            ),
        ]
    )
    root = ET.fromstring(JUnitReporter().render(run))
    case = root.find("testsuite/testcase")
    assert case is not None
    assert case.get("name") == "a\ufffdb"
    error = case.find("error")
    assert error is not None
    assert error.get("message") == "bad \ufffd[31m byte\ufffd"
    assert root.find("testsuite").get("name") == "default"  # type: ignore[union-attr]
