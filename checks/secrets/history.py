"""secrets.history: no secret anywhere in git history (every commit reachable from any ref)."""

from __future__ import annotations

from checks.check import check
from checks.context import CheckContext
from checks.model import Outcome, Severity
from checks.secrets.engine import scan_history
from checks.secrets.evidence import RuleError, as_findings, count, in_thread, rules_for
from checks.secrets.sources import SourceError
from checks.target import Target

__all__ = ["CHECK"]


@check(
    id="secrets.history",
    title="No secret anywhere in git history",
    severity=Severity.CRITICAL,
    passes_when="No line added by any commit reachable from any branch or tag holds a key, token, password or private key.",
    why="Deleting a secret in a later commit does not remove it: every clone, fork and CI cache still holds the commit that added it.",
    breaks="A key removed from HEAD months ago is still usable by anyone who cloned the repository.",
    remediation="Rotate the secret at its provider first (assume it is public), then rewrite history with git filter-repo (or BFG) and force-push; ask collaborators to re-clone.",
    max_requests=0,
    timeout=300.0,
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    if target.repo is None:
        return Outcome.skipped(f"No repository is configured: set targets.{ctx.target_name}.repo.path (e.g. repo: {{path: .}}).")
    if not target.repo.history:
        return Outcome.skipped(f"History scanning is off: set targets.{ctx.target_name}.repo.history to true.")
    root = ctx.path(target.repo.path)
    if not root.exists():
        return Outcome.errored(f"targets.{ctx.target_name}.repo.path points at {root}, which does not exist.")
    try:
        rules = rules_for(root)
        report = await in_thread(lambda: scan_history(root, rules=rules))
    except (SourceError, RuleError) as exc:
        return Outcome.errored(str(exc))
    scope = f"{count(report.commits, 'commit')} ({report.bytes / 1e6:.1f} MB of added lines) in {root}"
    if report.findings:
        gone = sum(1 for f in report.findings if not f.in_tree)
        commits = len({f.commit for f in report.findings})
        tail = f"; {gone} of them removed from the tree but still in history" if gone else ""
        return Outcome.failed(
            f"{count(len(report.findings), 'secret')} in {count(commits, 'commit')} of {scope}{tail}. Rotate them, then rewrite history.",
            as_findings(report.findings),
        )
    return Outcome.passed(f"No secret in {scope}.")
