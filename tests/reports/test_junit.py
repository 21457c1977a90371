"""JUnit XML: one test case per check, failures and errors carry the summary."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from checks.model import Status
from reports.junit import to_junit
from tests.handover.sample import PLANTED_SECRET, PLANTED_STRIPE, PLANTED_TOKEN, sample_report


def test_one_testcase_per_check_with_failures_errors_and_skips() -> None:
    report = sample_report()
    root = ET.fromstring(to_junit(report))
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == [r.check_id for r in report.results]
    by_id = {c.get("name"): c for c in cases}
    failed = {r.check_id for r in report.results if r.status is Status.FAIL}
    assert {c.get("name") for c in cases if c.find("failure") is not None} == failed
    assert root.get("tests") == str(len(report.results)) and root.get("failures") == str(len(failed))

    failure = by_id["auth.private_routes"].find("failure")
    assert failure is not None
    assert failure.get("message") == "2 of 5 private routes answer without a token."
    assert failure.get("type") == "critical"
    assert "GET /admin/users" in (failure.text or "")
    assert by_id["auth.private_routes"].get("classname") == "launchready.auth"

    waived = by_id["webhooks.replay"].find("skipped")
    assert waived is not None and waived.get("message", "").startswith("Waived (fail): Stripe retries")
    assert by_id["manual.keys_rotated"].find("skipped").get("message", "").startswith("Awaiting attestation")  # type: ignore[union-attr]
    assert "WARN: Grade C" in (by_id["http.security_headers"].findtext("system-out") or "")
    passed = by_id["obs.health"]
    assert list(passed) == []


def test_errors_are_errors() -> None:
    from dataclasses import replace

    report = sample_report()
    broken = replace(report.results[0], status=Status.ERROR, summary="GET /health could not connect.", findings=())
    root = ET.fromstring(to_junit(replace(report, results=(broken,))))
    error = root.find("./testsuite/testcase/error")
    assert error is not None and error.get("message") == "GET /health could not connect."
    assert root.get("errors") == "1" and root.get("failures") == "0"


def test_no_secret_in_the_xml() -> None:
    text = to_junit(sample_report(), secrets=[PLANTED_SECRET])
    for secret in (PLANTED_SECRET, PLANTED_TOKEN, PLANTED_STRIPE):
        assert secret not in text
