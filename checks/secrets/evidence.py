"""Turning scanner findings into check findings (redacted), and what the checks share."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from checks.model import Finding
from checks.secrets.engine import config_for
from checks.secrets.finding import SecretFinding
from checks.secrets.rules import RuleError, RuleSet, load_rules

__all__ = ["MAX_LISTED", "RuleError", "as_findings", "count", "in_thread", "rules_for"]

MAX_LISTED = 50  # findings listed per check; the summary gives the full count
T = TypeVar("T")


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 secret``, ``2 secrets``; ``plural`` for irregular nouns."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def as_findings(found: Iterable[SecretFinding], *, where: str = "") -> list[Finding]:
    items = []
    for secret in list(found)[:MAX_LISTED]:
        message = f"{secret.description} ({secret.rule_id}) in {secret.file}"
        message += f" line {secret.line}" if secret.line else ""
        if secret.commit:
            state = "still in the working tree" if secret.in_tree else "removed from the tree but alive in history"
            message += f", added in commit {secret.commit[:12]} by {secret.author} on {secret.date}; {state}"
        message += f": {secret.preview}."
        evidence = secret.to_dict()
        if where:
            evidence["source"] = where
        resource = f"{secret.file}:{secret.line}" if secret.line else secret.file
        items.append(Finding(resource, message, evidence))
    return items


def rules_for(root: Path | None) -> RuleSet:
    """Our rules, or the repository's ``.gitleaks.toml`` when it has one."""
    return load_rules(config_for(root) if root is not None and root.exists() else None)


async def in_thread(work: Callable[[], T]) -> T:
    """Scanning and git are blocking; keep the event loop (and other checks) running."""
    return await asyncio.to_thread(work)

