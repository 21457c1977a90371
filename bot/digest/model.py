"""The digest as neutral data: per target the verdict and score and what changed since the
last digest; across targets what is overdue, unowned, stale or about to lapse; open incidents."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.monitoring.incidents import Incident

__all__ = ["Digest", "DigestItem", "TargetDigest"]


@dataclass(frozen=True)
class DigestItem:
    check_id: str
    title: str
    severity: str
    owner: str | None
    note: str  # why it is listed: "due 2026-12-10", "waiver ends 2026-12-03", ...


@dataclass(frozen=True)
class TargetDigest:
    target: str
    verdict: str | None  # None: never run
    score: int | None  # percentage of judged checks that pass
    previous_score: int | None
    run_id: str | None
    run_at: datetime | None
    newly_failing: tuple[DigestItem, ...] = ()
    newly_fixed: tuple[DigestItem, ...] = ()
    statuses: Mapping[str, str] = field(default_factory=dict)

    @property
    def score_change(self) -> int | None:
        if self.score is None or self.previous_score is None:
            return None
        return self.score - self.previous_score


@dataclass(frozen=True)
class Digest:
    project: str
    channel: str | None
    day: str
    generated_at: datetime
    launch_date: date | None
    days_to_launch: int | None
    targets: tuple[TargetDigest, ...]
    overdue: tuple[tuple[str, tuple[DigestItem, ...]], ...]  # (owner, items), owners sorted
    unowned: tuple[DigestItem, ...]
    stale_attestations: tuple[DigestItem, ...]
    expiring_waivers: tuple[DigestItem, ...]
    incidents: tuple[Incident, ...]
    since: datetime | None  # when the previous digest went out
    # Passes measured against a config, commit or build that has moved since (issue 17).
    stale_results: tuple[DigestItem, ...] = ()
    # Leaked keys whose rotation item is still open (issue 17): the key is not shown dead yet.
    open_leaks: tuple[DigestItem, ...] = ()
    # Items an open incident contradicts: "contradicted by incident #N (...)".
    contradicted: tuple[DigestItem, ...] = ()
    hypercare: str | None = None  # while the window is open: until when, and what it tightens
    hypercare_owner: str | None = None  # the launch owner every incident mentions meanwhile

    def snapshot(self) -> dict[str, Any]:
        return {t.target: {"score": t.score, "statuses": dict(t.statuses)} for t in self.targets}

    @property
    def is_quiet(self) -> bool:
        return not (
            self.overdue
            or self.unowned
            or self.stale_attestations
            or self.stale_results
            or self.open_leaks
            or self.contradicted
            or self.expiring_waivers
            or self.incidents
        )
