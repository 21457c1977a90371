"""A RunReport as JUnit XML: one test case per check, so CI shows each check as a test.

Mapping: ``fail`` is a ``<failure>``, ``error`` an ``<error>`` (the check could not decide),
``skipped``, ``manual`` and ``waived`` are ``<skipped>`` with the reason (a waiver is never a
pass), ``warn`` passes with the warning in ``<system-out>``. Severity is the failure ``type``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from checks.model import CheckResult, RunReport, Status
from reports.sanitize import Sanitizer

__all__ = ["to_junit"]

_DETAIL_FINDINGS = 20


def to_junit(report: RunReport, *, secrets: Iterable[str] = ()) -> str:
    clean = Sanitizer(secrets, limit=2000)
    counts = report.summary
    seconds = f"{max(0.0, (report.finished_at - report.started_at).total_seconds()):.3f}"
    attrs = {
        "tests": str(len(report.results)),
        "failures": str(counts["fail"]),
        "errors": str(counts["error"]),
        "skipped": str(counts["skipped"] + counts["manual"] + counts["waived"]),
        "time": seconds,
    }
    suites = ET.Element("testsuites", {"name": "launchready", **attrs})
    suite = ET.SubElement(
        suites,
        "testsuite",
        {
            "name": f"launchready.{report.target}",
            **attrs,
            "timestamp": report.started_at.strftime("%Y-%m-%dT%H:%M:%S"),
            "hostname": clean.short(report.base_url, 200),
        },
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("run_id", report.run_id),
        ("project", report.project),
        ("verdict", str(report.verdict)),
    ):
        ET.SubElement(props, "property", {"name": name, "value": clean.short(value, 200)})
    for result in report.results:
        suite.append(_testcase(result, clean))
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


def _testcase(result: CheckResult, clean: Sanitizer) -> ET.Element:
    case = ET.Element(
        "testcase",
        {
            "classname": f"launchready.{result.category}",
            "name": result.check_id,
            "time": f"{result.duration_ms / 1000:.3f}",
        },
    )
    summary = clean.short(result.summary, 500)
    if result.status is Status.FAIL:
        ET.SubElement(
            case, "failure", {"message": summary, "type": str(result.severity)}
        ).text = _details(result, clean)
    elif result.status is Status.ERROR:
        ET.SubElement(case, "error", {"message": summary, "type": "error"}).text = _details(
            result, clean
        )
    elif result.status is Status.WAIVED:
        real = str(result.waived_status or "not passing")
        reason = clean.short(result.waiver_reason or "no reason recorded", 300)
        ET.SubElement(case, "skipped", {"message": f"Waived ({real}): {reason} {summary}"})
    elif result.status is Status.MANUAL:
        ET.SubElement(case, "skipped", {"message": f"Awaiting attestation: {summary}"})
    elif result.status is Status.SKIPPED:
        ET.SubElement(case, "skipped", {"message": summary})
    elif result.status is Status.WARN:
        ET.SubElement(case, "system-out").text = f"WARN: {summary}\n{_details(result, clean)}"
    return case


def _details(result: CheckResult, clean: Sanitizer) -> str:
    lines = [f"{result.check_id} ({result.severity}): {clean.short(result.summary, 500)}"]
    for finding in result.findings[:_DETAIL_FINDINGS]:
        line = f"- {clean.short(finding.resource, 200)}: {clean.short(finding.message, 500)}"
        if finding.evidence:
            line += f" [{clean.evidence(finding.evidence, keys=6, limit=120)}]"
        lines.append(line)
    if len(result.findings) > _DETAIL_FINDINGS:
        lines.append(f"- and {len(result.findings) - _DETAIL_FINDINGS} more findings")
    if result.remediation:
        lines.append(f"Remediation: {clean.short(result.remediation, 1000)}")
    return "\n".join(lines)
