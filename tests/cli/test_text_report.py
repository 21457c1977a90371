"""The text report's findings section: repeated findings grouped, evidence as ``key: value``
lines shortened at word boundaries, never JSON cut mid-string."""

from __future__ import annotations

from datetime import UTC, datetime

from checks.model import CheckResult, Finding, RunReport, Severity, Status
from reports.run_report import render_text

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def report(*results: CheckResult) -> RunReport:
    return RunReport(
        run_id="r_1",
        project="Acme Chat",
        target="staging",
        base_url="https://staging.acme.test",
        started_at=T0,
        finished_at=T0,
        requests=40,
        results=results,
    )


def leaking_routes(count: int) -> CheckResult:
    findings = tuple(
        Finding(
            f"GET /api/r{i}",
            f"With a token with a forged signature, GET /api/r{i} answered 200 (expected 401 or 403).",
            {
                "route": f"GET /api/r{i}",
                "sent": "Authorization: Bearer eyJh…Qw",
                "status": 200,
                "headers": {"content-type": "application/json"},
                "body": '{"users": [{"email": "alice@acme.test", "note": "'
                + "lorem ipsum " * 40
                + '"}]}',
            },
        )
        for i in range(count)
    )
    return CheckResult(
        check_id="auth.private_routes",
        title="Private routes reject missing and bad tokens",
        category="auth",
        severity=Severity.CRITICAL,
        status=Status.FAIL,
        summary=f"{count} of {count} private routes do not reject a forged token.",
        findings=findings,
        remediation="Verify the token's signature on every private route.",
    )


def test_repeated_findings_are_one_entry_with_every_route_named():
    text = render_text(report(leaking_routes(11)))
    findings = text.split("Findings", 1)[1]
    assert (
        "11 routes: With a token with a forged signature, <route> answered 200 (expected 401 or 403)."
        in findings
    )
    assert "GET /api/r0, GET /api/r1, GET /api/r2" in findings and "GET /api/r10" in findings
    assert findings.count("answered 200") == 1  # not eleven copies
    assert "evidence (GET /api/r0):" in findings


def test_evidence_is_key_value_lines_never_json_cut_mid_string():
    text = render_text(report(leaking_routes(1)))
    findings = text.split("Findings", 1)[1]
    lines = [line.strip() for line in findings.splitlines()]
    assert "status: 200" in lines and "headers.content-type: application/json" in lines
    body = next(line for line in lines if line.startswith("body: "))
    assert body.endswith("…") and len(body) <= 6 + 160
    assert not body.removesuffix("…").endswith(("lore", "ipsu"))  # cut between words
    assert not any(line.startswith("evidence: {") for line in lines)  # no JSON dump on one line


def test_a_single_finding_reads_as_before():
    text = render_text(report(leaking_routes(1)))
    assert "  - GET /api/r0: With a token with a forged signature, GET /api/r0 answered 200" in text
