"""``--format gitleaks-json``: the report gitleaks writes with ``--report-format json``, so
dashboards and scripts built on it keep working.

Fields and their order are gitleaks' (``report.Finding``): Description, StartLine, EndLine,
StartColumn, EndColumn, Match, Secret, File, SymlinkFile, Commit, Entropy, Author, Email,
Date, Message, Tags, RuleID, Fingerprint. Line and column numbers follow gitleaks' own
arithmetic. The secret is never written: as with ``gitleaks --redact`` (100 %), ``Secret``
is ``REDACTED`` and every occurrence of the secret inside ``Match`` is replaced by
``REDACTED``.
"""

from __future__ import annotations

from typing import Any

from checks.secrets.engine import ScanReport
from checks.secrets.finding import SecretFinding

__all__ = ["REDACTED", "to_gitleaks_json"]

REDACTED = "REDACTED"


def _redacted(text: str, secret: str) -> str:
    return text.replace(secret, REDACTED) if secret else text


def finding_record(finding: SecretFinding) -> dict[str, Any]:
    return {
        "RuleID": finding.rule_id,
        "Description": finding.description,
        "StartLine": finding.line,
        "EndLine": finding.end_line or finding.line,
        "StartColumn": finding.start_column,
        "EndColumn": finding.end_column,
        "Match": _redacted(finding.match, finding.secret),
        "Secret": REDACTED,
        "File": finding.file,
        "SymlinkFile": "",
        "Commit": finding.commit or "",
        "Entropy": round(finding.entropy, 7),
        "Author": finding.author or "",
        "Email": finding.email or "",
        "Date": finding.date or "",
        "Message": finding.message or "",
        "Tags": list(finding.tags),
        "Fingerprint": finding.fingerprint,
    }


def to_gitleaks_json(reports: list[ScanReport]) -> list[dict[str, Any]]:
    """One record per finding, as a JSON array (gitleaks writes ``[]`` when nothing is found)."""
    order = (
        "RuleID",
        "Description",
        "StartLine",
        "EndLine",
        "StartColumn",
        "EndColumn",
        "Match",
        "Secret",
        "File",
        "SymlinkFile",
        "Commit",
        "Entropy",
        "Author",
        "Email",
        "Date",
        "Message",
        "Tags",
        "Fingerprint",
    )
    records = []
    for report in reports:
        for finding in report.findings:
            record = finding_record(finding)
            records.append({key: record[key] for key in order})
    return records
