"""Scan output: text for people, JSON for scripts, SARIF 2.1.0 for code-scanning dashboards.

Every format carries the redacted preview and the secret's hash, never the secret.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from checks.secrets.engine import ScanReport
from checks.secrets.rules import RuleSet
from reports.gitleaks_json import to_gitleaks_json
from reports.sarif import sarif_log, tool_version

__all__ = ["FORMATS", "to_json", "to_sarif", "to_text"]

TOOL_URI = "https://github.com/launchready/launchready"

_REMEDIATION = {
    "tree": "Remove the secret from the file, rotate it at its provider, and load it from the environment or a secret manager.",
    "history": "Rotate the secret at its provider first (it is public to anyone with a clone), then rewrite history (git filter-repo) and force-push.",
}


def _counts(reports: list[ScanReport]) -> str:
    parts = []
    for report in reports:
        if report.kind == "history":
            parts.append(f"{report.commits} commits ({report.bytes / 1e6:.1f} MB of added lines)")
        else:
            parts.append(f"{report.files} files ({report.bytes / 1e6:.1f} MB)")
    return " and ".join(parts)


def to_text(reports: list[ScanReport]) -> str:
    findings = [f for r in reports for f in r.findings]
    seconds = sum(r.seconds for r in reports)
    lines: list[str] = []
    for finding in findings:
        where = f"{finding.file}:{finding.line}"
        lines.append(f"{finding.rule_id}  {where}  {finding.preview}")
        lines.append(f"    {finding.description}; fingerprint {finding.fingerprint}")
        if finding.commit:
            state = (
                "still in the working tree" if finding.in_tree else "no longer in the working tree"
            )
            lines.append(
                f"    added in {finding.commit[:12]} by {finding.author} on {finding.date}; {state}"
            )
    for report in reports:
        for note in report.notes:
            lines.append(f"note: {note}")
        if report.skipped:
            shown = ", ".join(f"{path} ({why})" for path, why in report.skipped[:5])
            more = f" and {len(report.skipped) - 5} more" if len(report.skipped) > 5 else ""
            lines.append(f"note: skipped {len(report.skipped)} files: {shown}{more}")
        quiet = []
        if report.suppressed:
            quiet.append(f"{report.suppressed} ignored by fingerprint")
        if report.baselined:
            quiet.append(f"{report.baselined} already in the baseline")
        if quiet:
            lines.append(f"note: {report.kind}: " + ", ".join(quiet))
    summary = f"Scanned {_counts(reports)} with {reports[0].rules if reports else 0} rules in {seconds:.2f}s: "
    if findings:
        kinds = "history" if any(f.commit for f in findings) else "tree"
        summary += f"{len(findings)} secret{'s' if len(findings) != 1 else ''} found. {_REMEDIATION[kinds]}"
    else:
        summary += "no secrets found."
    lines.append(summary)
    return "\n".join(lines)


def to_json(reports: list[ScanReport]) -> dict[str, Any]:
    return {
        "tool": "launchready",
        "findings": [f.to_dict() for r in reports for f in r.findings],
        "scans": [
            {
                "root": r.root,
                "kind": r.kind,
                "rules": r.rules,
                "files": r.files,
                "bytes": r.bytes,
                "commits": r.commits,
                "seconds": round(r.seconds, 3),
                "suppressed": r.suppressed,
                "baselined": r.baselined,
                "skipped": [{"file": p, "reason": why} for p, why in r.skipped],
                "notes": r.notes,
            }
            for r in reports
        ],
    }


def to_sarif(reports: list[ScanReport], rules: RuleSet) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run: every rule as a reportingDescriptor, every finding a
    result with its physical location (and the commit in ``properties`` for history)."""
    used = sorted({f.rule_id for r in reports for f in r.findings})
    ids = [r.id for r in rules.rules] + [rid for rid in used if rid not in rules.by_id]
    index = {rid: i for i, rid in enumerate(ids)}
    descriptors = []
    for rid in ids:
        rule = rules.by_id.get(rid)
        description = rule.description if rule else rid
        descriptors.append(
            {
                "id": rid,
                "name": "".join(part.capitalize() for part in rid.split("-")),
                "shortDescription": {"text": description},
                "fullDescription": {"text": f"{description} found in the source."},
                "help": {"text": _REMEDIATION["tree"]},
                "defaultConfiguration": {"level": "error"},
                "properties": {"tags": ["security", "secret"], "security-severity": "9.0"},
            }
        )
    results = []
    for report in reports:
        for finding in report.findings:
            message = f"{finding.description}: {finding.preview}."
            if finding.commit:
                message += f" Added in commit {finding.commit[:12]}" + (
                    "; still in the working tree."
                    if finding.in_tree
                    else "; removed from the tree but alive in history."
                )
            result: dict[str, Any] = {
                "ruleId": finding.rule_id,
                "ruleIndex": index[finding.rule_id],
                "level": "error",
                "message": {"text": message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": finding.file},
                            "region": {
                                "startLine": max(1, finding.line),
                                "startColumn": max(1, finding.column),
                            },
                        }
                    }
                ],
                "partialFingerprints": {
                    "launchready/v1": f"{finding.rule_id}:{finding.secret_hash}"
                },
                "properties": {"preview": finding.preview, "fingerprint": finding.fingerprint},
            }
            if finding.commit:
                result["properties"].update(
                    commit=finding.commit,
                    author=finding.author,
                    date=finding.date,
                    inTree=finding.in_tree,
                )
            results.append(result)
    return sarif_log(
        {
            "tool": {
                "driver": {
                    "name": "launchready-secrets",
                    "informationUri": TOOL_URI,
                    "version": tool_version(),
                    "rules": descriptors,
                }
            },
            "results": results,
            "columnKind": "unicodeCodePoints",
        }
    )


# `launchready secrets --format`: each renders the whole document as text.
FORMATS: dict[str, Callable[[list[ScanReport], RuleSet], str]] = {
    "text": lambda reports, rules: to_text(reports),
    "json": lambda reports, rules: json.dumps(to_json(reports), indent=2),
    "sarif": lambda reports, rules: json.dumps(to_sarif(reports, rules), indent=2),
    "gitleaks-json": lambda reports, rules: json.dumps(to_gitleaks_json(reports), indent=1),
}
