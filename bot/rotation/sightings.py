"""What a run's secrets checks saw, read from their findings.

Only the finding's documented evidence fields are used (rule, file, line, commit,
fingerprint), so the secrets engine can change inside ``checks/secrets`` freely.
"""

from __future__ import annotations

from typing import Any

from bot.store.rotations import LeakSighting
from checks.model import CheckResult, RunReport, Status

__all__ = ["HISTORY_CHECK", "TREE_CHECK", "leak_key", "sightings"]

TREE_CHECK = "secrets.repo"
HISTORY_CHECK = "secrets.history"
_SCANNED = (Status.PASS, Status.FAIL, Status.WARN)


def leak_key(evidence: dict[str, Any]) -> str:
    """The directory-scan fingerprint (``file:rule:line``): a history finding's fingerprint
    is the same with ``commit:`` in front, so the tree and history see one leak."""
    commit = evidence.get("commit")
    fingerprint = str(evidence.get("fingerprint") or "")
    if fingerprint and commit and fingerprint.startswith(f"{commit}:"):
        return fingerprint[len(commit) + 1 :]
    if fingerprint:
        return fingerprint
    return f"{evidence.get('file', '')}:{_rule(evidence)}:{evidence.get('line', 0)}"


def _rule(evidence: dict[str, Any]) -> str:
    return str(evidence.get("rule") or evidence.get("rule_id") or "secret")


def _of(result: CheckResult | None) -> list[LeakSighting] | None:
    """The leaks one scan saw, or None when it did not scan (skipped, errored, not run)."""
    if result is None or (result.waived_status or result.status) not in _SCANNED:
        return None
    seen = []
    for finding in result.findings:
        evidence = finding.evidence
        if not evidence.get("file"):
            continue
        line = evidence.get("line")
        seen.append(
            LeakSighting(
                key=leak_key(evidence),
                rule_id=_rule(evidence),
                file=str(evidence["file"]),
                line=int(line) if isinstance(line, int) else None,
                commit=evidence.get("commit"),
            )
        )
    return seen


def sightings(report: RunReport) -> tuple[list[LeakSighting] | None, list[LeakSighting] | None]:
    """(tree, history) as the run's secrets checks saw them."""
    return _of(report.result(TREE_CHECK)), _of(report.result(HISTORY_CHECK))
