"""Judge a result's basis against the present: the config, the repository and the build now.

A result is stale when what it was measured against moved: the hash of the config keys it
read differs, the repository's HEAD moved (checks that read ``repo``), or the app reports
another build (checks that sent it requests). Only passes and warnings go stale; a failure
stays a failure until a run says otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from bot.store import ChecklistItem
from checks.basis import Basis, config_hash, short
from checks.model import RunReport, Status
from checks.target import Target

__all__ = ["Current", "mark_items", "mark_report", "stale_reason"]

_JUDGED = (str(Status.PASS), str(Status.WARN))
_VERB = {str(Status.PASS): "passed", str(Status.WARN): "warned"}


@dataclass(frozen=True)
class Current:
    """The present a basis is compared with (None: not known, so never a reason)."""

    target: Target
    repo_head: str | None = None
    build: str | None = None


def stale_reason(status: str, basis: Basis | None, current: Current) -> str | None:
    """Why a result of ``status`` measured on ``basis`` no longer holds, or None."""
    if basis is None or status not in _JUDGED:
        return None
    when = f"{_VERB[status]} on {_day(basis.measured_at)}"
    if basis.build and current.build and basis.build != current.build:
        return (
            f"{when} against build {short(basis.build)}; the app is now at {short(current.build)}"
        )
    if basis.repo_head and current.repo_head and basis.repo_head != current.repo_head:
        return f"{when} at commit {short(basis.repo_head)}; the repository is now at {short(current.repo_head)}"
    if basis.config_hash and config_hash(current.target, basis.config_keys) != basis.config_hash:
        keys = ", ".join(k for k in basis.config_keys if k != "base_url") or "base_url"
        return f"{when}; the config it read ({keys}) has changed since"
    return None


def mark_items(items: Iterable[ChecklistItem], current: Current) -> list[ChecklistItem]:
    return [replace(i, stale=stale_reason(i.status, i.basis, current)) for i in items]


def mark_report(report: RunReport, current: Current) -> RunReport:
    """The report with each result's ``stale`` set; its verdict then counts stale passes."""
    results = tuple(
        replace(r, stale=stale_reason(str(r.waived_status or r.status), r.basis, current))
        for r in report.results
    )
    return replace(report, results=results)


def _day(moment: datetime) -> str:
    return moment.strftime("%m-%d")
