"""A RunReport as SARIF 2.1.0, so findings show up in code-scanning dashboards.

One rule per check that ran; one result per finding of a failing, warning, erroring or waived
check (a waived one carries an accepted external suppression with the waiver's reason). A
finding whose evidence names a ``file`` (or ``path``) and ``line`` points at that file and
line (secrets and config findings); any other finding points at the configuration file and
names its resource (``GET /admin/users``, a host) as a logical location, because code
scanning needs a physical location for every result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import PurePosixPath
from typing import Any

from checks.check import Check
from checks.model import CheckResult, Finding, RunReport, Severity, Status
from reports.sanitize import Sanitizer

__all__ = ["SARIF_SCHEMA", "sarif_dict", "sarif_log", "to_sarif", "tool_version"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_REPORTED = (Status.FAIL, Status.WARN, Status.ERROR, Status.WAIVED)
# GitHub reads rule.properties["security-severity"] (0.0-10.0) to rank alerts.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}


def to_sarif(
    report: RunReport,
    *,
    catalog: Iterable[Check] = (),
    secrets: Iterable[str] = (),
    config_path: str = "app.yaml",
) -> str:
    return (
        json.dumps(
            sarif_dict(report, catalog=catalog, secrets=secrets, config_path=config_path), indent=2
        )
        + "\n"
    )


def sarif_dict(
    report: RunReport,
    *,
    catalog: Iterable[Check] = (),
    secrets: Iterable[str] = (),
    config_path: str = "app.yaml",
) -> dict[str, Any]:
    clean = Sanitizer(secrets, limit=1000)
    meta = {c.id: c for c in catalog}
    rules = [_rule(r, meta.get(r.check_id), clean) for r in report.results]
    index = {r.check_id: i for i, r in enumerate(report.results)}
    results: list[dict[str, Any]] = []
    for result in report.results:
        if result.status not in _REPORTED:
            continue
        findings = result.findings or (Finding(report.base_url, result.summary),)
        for finding in findings:
            results.append(_result(result, finding, index[result.check_id], clean, config_path))
    return sarif_log(
        {
            "tool": {
                "driver": {
                    "name": "launchready",
                    "semanticVersion": tool_version(),
                    "rules": rules,
                }
            },
            # GitHub groups uploads by the id's prefix up to the last slash: one per target.
            "automationDetails": {"id": f"launchready/{report.target}/{report.run_id}"},
            "invocations": [
                {
                    "executionSuccessful": True,
                    "startTimeUtc": _utc(report.started_at),
                    "endTimeUtc": _utc(report.finished_at),
                }
            ],
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The repository root."}}},
            "results": results,
            "properties": {
                "project": clean.short(report.project, 200),
                "target": report.target,
                "baseUrl": clean.short(report.base_url, 300),
                "verdict": str(report.verdict),
                "requests": report.requests,
            },
        }
    )


def sarif_log(*runs: dict[str, Any]) -> dict[str, Any]:
    """The SARIF 2.1.0 envelope every SARIF output of Launch Ready shares (run reports and the
    secrets scanner): the schema, the version and the runs."""
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": list(runs)}


def tool_version() -> str:
    try:
        return version("launchready")
    except PackageNotFoundError:  # running from a checkout that is not installed
        return "0.0.0"


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rule(result: CheckResult, meta: Check | None, clean: Sanitizer) -> dict[str, Any]:
    remediation = (meta.remediation if meta else "") or result.remediation
    description = meta.passes_when if meta else result.title
    help_text = (
        " ".join(
            part
            for part in (
                f"Passes when: {meta.passes_when}" if meta else "",
                f"Why it matters: {meta.why}" if meta else "",
                f"What breaks: {meta.breaks}" if meta else "",
                f"Remediation: {remediation}" if remediation else "",
            )
            if part
        )
        or result.title
    )
    return {
        "id": result.check_id,
        "name": "".join(word.capitalize() for word in result.check_id.replace(".", "_").split("_")),
        "shortDescription": {"text": clean.short(result.title, 300)},
        "fullDescription": {"text": clean.short(description, 1000)},
        "help": {"text": clean.short(help_text, 2000)},
        "defaultConfiguration": {"level": _LEVEL[result.severity]},
        "properties": {
            "tags": ["security", "launch-readiness", result.category],
            "security-severity": _SECURITY_SEVERITY[result.severity],
            "severity": str(result.severity),
        },
    }


def _result(
    result: CheckResult, finding: Finding, rule_index: int, clean: Sanitizer, config_path: str
) -> dict[str, Any]:
    status = (
        result.waived_status
        if result.status is Status.WAIVED and result.waived_status
        else result.status
    )
    level = _LEVEL[result.severity]
    if status is Status.WARN or status is Status.ERROR:
        level = "warning" if level == "error" else level
    message = clean.short(finding.message or result.summary, 1000)
    if status is Status.ERROR:
        message = f"The check could not decide: {message}"
    resource = clean.short(finding.resource, 300)
    file, line = _file_and_line(finding)
    location: dict[str, Any]
    if file:
        location = {"physicalLocation": _physical(file, line)}
    else:
        location = {
            "physicalLocation": _physical(config_path, 1),
            "logicalLocations": [
                {"fullyQualifiedName": resource or result.check_id, "kind": "resource"}
            ],
        }
    out: dict[str, Any] = {
        "ruleId": result.check_id,
        "ruleIndex": rule_index,
        "level": level,
        "message": {
            "text": message if not resource or resource in message else f"{resource}: {message}"
        },
        "locations": [location],
        "partialFingerprints": {
            "launchready/v1": _fingerprint(result.check_id, resource, file, line, finding)
        },
        "properties": {"status": str(status), "summary": clean.short(result.summary, 500)},
    }
    if finding.evidence:
        out["properties"]["evidence"] = clean.evidence(finding.evidence, keys=8, limit=200)
    commit = finding.evidence.get("commit") or finding.evidence.get("sha")
    if commit:
        out["properties"]["commit"] = clean.short(commit, 40)
    if result.status is Status.WAIVED:
        out["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": clean.short(
                    result.waiver_reason or "Waived in the launch checklist.", 1000
                ),
            }
        ]
    return out


def _file_and_line(finding: Finding) -> tuple[str | None, int | None]:
    ev = finding.evidence
    file = ev.get("file") or ev.get("path")
    if not isinstance(file, str) or not file:
        return None, None
    raw_line = next(
        (ev[k] for k in ("line", "line_number", "lineno", "start_line") if ev.get(k) is not None),
        None,
    )
    try:
        line = int(raw_line) if raw_line is not None else None
    except (TypeError, ValueError):
        line = None
    return file, line if line and line > 0 else None


def _physical(file: str, line: int | None) -> dict[str, Any]:
    path = PurePosixPath(file.replace("\\", "/"))
    artifact: dict[str, Any] = {"uri": path.as_posix().removeprefix("./")}
    if not path.is_absolute():
        artifact["uriBaseId"] = "%SRCROOT%"
    else:
        artifact["uri"] = "file://" + path.as_posix()
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if line:
        physical["region"] = {"startLine": line}
    return physical


def _fingerprint(
    check_id: str, resource: str, file: str | None, line: int | None, finding: Finding
) -> str:
    # Stable across runs for the same problem, so dashboards track one alert, not one per run.
    key = "|".join(
        (check_id, resource, file or "", str(line or ""), str(finding.evidence.get("kind", "")))
    )
    return hashlib.sha256(key.encode()).hexdigest()[:32]
