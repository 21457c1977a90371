"""secrets.repo: no secret in the working tree (tracked files and untracked ones git does not ignore)."""

from __future__ import annotations

from checks.check import check
from checks.context import CheckContext
from checks.model import Outcome, Severity
from checks.secrets.engine import scan_tree
from checks.secrets.evidence import RuleError, as_findings, count, in_thread, rules_for
from checks.secrets.sources import SourceError
from checks.target import Target

__all__ = ["CHECK"]


@check(
    id="secrets.repo",
    title="No secret in the working tree",
    severity=Severity.CRITICAL,
    passes_when="No file of the repository (tracked, or untracked and not ignored) holds a key, token, password or private key.",
    why="Anyone with read access to the repository, a CI log or a laptop backup gets the keys; leaked model-provider keys are drained within hours.",
    breaks="Attackers spend on your OpenAI/Anthropic/Stripe accounts, read your database or post as your Slack bot.",
    remediation="Remove the secret from the file, rotate it at the provider, load it from the environment or a secret manager, and gitignore .env files.",
    max_requests=0,
    timeout=120.0,
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    if target.repo is None:
        return Outcome.skipped(f"No repository is configured: set targets.{ctx.target_name}.repo.path (e.g. repo: {{path: .}}).")
    root = ctx.path(target.repo.path)
    if not root.exists():
        return Outcome.errored(f"targets.{ctx.target_name}.repo.path points at {root}, which does not exist.")
    try:
        rules = rules_for(root)
        report = await in_thread(lambda: scan_tree(root, rules=rules))
    except (SourceError, RuleError) as exc:
        return Outcome.errored(str(exc))
    scope = f"{count(report.files, 'file')} ({report.bytes / 1e6:.1f} MB) under {root}"
    if report.findings:
        files = len({f.file for f in report.findings})
        return Outcome.failed(
            f"{count(len(report.findings), 'secret')} in {count(files, 'file')} of the working tree ({scope}).",
            as_findings(report.findings),
        )
    quiet = f"; {report.suppressed} ignored by fingerprint" if report.suppressed else ""
    return Outcome.passed(f"No secret in {scope}{quiet}.")
