"""What the store hands to callers: frozen dataclasses, never live ORM rows, so no caller
needs a session. Also the store's errors, each carrying one sentence."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from checks.basis import Basis
from checks.model import Severity, Status

__all__ = [
    "AuditEntry",
    "ChecklistError",
    "ChecklistItem",
    "Rotation",
    "RunRecord",
    "SchemaTooNewError",
    "StoreError",
    "UnknownItemError",
    "UnknownRunError",
]

# Statuses that mean "nothing left to do" for an item.
_RESOLVED = {str(Status.PASS), "done"}


class StoreError(Exception):
    """The database cannot be used; the message says which and why."""


class SchemaTooNewError(StoreError):
    """The database was written by a newer Launch Ready; we refuse to touch it."""


class ChecklistError(ValueError):
    """A checklist change was refused (bad reason, days out of range ...); one sentence."""


class UnknownItemError(ChecklistError, LookupError):
    """No checklist item with that id for that target (the message suggests close ids)."""


class UnknownRunError(StoreError, LookupError):
    """No run with that id in this database."""


@dataclass(frozen=True)
class ChecklistItem:
    target: str
    check_id: str
    title: str
    severity: Severity
    mode: str  # "automated" | "manual"
    owner: str | None
    due: date | None
    status: str  # the last result's status, "done" (owner says fixed/attested) or "open"
    last_run_id: str | None
    last_summary: str | None
    last_result_at: datetime | None
    waiver_reason: str | None
    waiver_expires: datetime | None
    waiver_by: str | None
    waiver_granted_at: datetime | None
    attested_at: datetime | None
    attested_by: str | None
    attestation_note: str | None
    attest_every: timedelta | None
    # What the last result was measured against; ``stale`` says why it no longer holds
    # (set by bot.freshness when the config, the repository or the build moved).
    basis: Basis | None = None
    stale: str | None = None
    # "contradicted by incident #N (...)" while an open incident shows the promise broken
    # (set by bot.promises).
    contradicted: str | None = None

    @property
    def is_manual(self) -> bool:
        return self.mode == "manual"

    def waiver_active(self, now: datetime) -> bool:
        return bool(self.waiver_reason) and self.waiver_expires is not None and now < self.waiver_expires

    def attestation_fresh(self, now: datetime) -> bool:
        """Attested, and younger than ``attest_every`` (no period: fresh forever)."""
        if self.attested_at is None:
            return False
        return self.attest_every is None or now < self.attested_at + self.attest_every

    def attestation_stale(self, now: datetime) -> bool:
        return self.attested_at is not None and not self.attestation_fresh(now)

    def resolved(self, now: datetime) -> bool:
        """Passing, attested and fresh, marked done, or waived: nothing to chase."""
        if self.waiver_active(now):
            return True
        if self.is_manual:
            return self.attestation_fresh(now)
        return self.status in _RESOLVED

    def overdue(self, now: datetime) -> bool:
        return self.due is not None and self.due < now.date() and not self.resolved(now)

    def display_status(self, now: datetime) -> str:
        """What a person should read: waived, attested, stale (attestation expired) or the status."""
        if self.waiver_active(now):
            return str(Status.WAIVED)
        if self.is_manual:
            if self.attestation_fresh(now):
                return "attested"
            if self.attested_at is not None:
                return "stale"
        if self.contradicted and self.status in (str(Status.PASS), str(Status.WARN), "done"):
            return "contradicted"
        if self.stale and self.status in (str(Status.PASS), str(Status.WARN)):
            return "stale"
        return self.status

    def to_dict(self, now: datetime | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "target": self.target,
            "check_id": self.check_id,
            "title": self.title,
            "severity": str(self.severity),
            "mode": self.mode,
            "owner": self.owner,
            "due": self.due.isoformat() if self.due else None,
            "status": self.status,
            "last_run_id": self.last_run_id,
            "last_summary": self.last_summary,
            "last_result_at": _iso(self.last_result_at),
            "waiver_reason": self.waiver_reason,
            "waiver_expires": _iso(self.waiver_expires),
            "waiver_by": self.waiver_by,
            "attested_at": _iso(self.attested_at),
            "attested_by": self.attested_by,
            "attestation_note": self.attestation_note,
            "attest_every_s": int(self.attest_every.total_seconds()) if self.attest_every else None,
            "basis": self.basis.to_dict() if self.basis else None,
            "stale": self.stale,
            "contradicted": self.contradicted,
        }
        if now is not None:
            data["display_status"] = self.display_status(now)
            data["overdue"] = self.overdue(now)
            data["waiver_active"] = self.waiver_active(now)
        return data


@dataclass(frozen=True)
class Rotation:
    """A leaked secret: open until it is gone from the tree, gone from history or attested
    as rotated (who, when), and, where a verifier for its provider is enabled, confirmed
    revoked (``revocation``: None when no verifier applies, else unknown | live | revoked)."""

    target: str
    key: str
    rule_id: str
    file: str
    line: int | None
    commit: str | None
    owner: str | None
    opened_at: datetime
    in_tree: bool
    in_history: bool
    last_seen_at: datetime
    rotated_by: str | None
    rotated_at: datetime | None
    attested_by: str | None
    attested_at: datetime | None
    revocation: str | None
    revocation_note: str | None
    revocation_checked_at: datetime | None
    closed_at: datetime | None

    @property
    def attested(self) -> bool:
        return self.rotated_by is not None and self.rotated_at is not None

    @property
    def closed(self) -> bool:
        gone = not self.in_tree and (not self.in_history or self.attested)
        if self.revocation == "live":
            return False  # the provider still accepts the key, whatever anyone attested
        dead = self.revocation in (None, "revoked") or (self.revocation == "unknown" and self.attested and not self.in_history)
        return gone and dead

    @property
    def state(self) -> str:
        """One sentence a person reads: why it is open, or how it closed."""
        if self.revocation == "live":
            return f"open: {self.revocation_note or 'the provider still accepts the key'}"
        if self.in_tree:
            return "open: still in the working tree"
        if self.in_history and not self.attested:
            return "open: removed from the tree but still in git history (rewrite history, or attest the rotation)"
        if self.revocation == "unknown" and not self.closed:
            return "open: gone, but its revocation is not confirmed yet (the verifier has not seen the key revoked)"
        how = []
        if self.attested and self.rotated_at is not None:
            how.append(f"rotated by {self.rotated_by} on {self.rotated_at.date().isoformat()}")
        if self.revocation == "revoked":
            how.append("the provider confirmed it revoked")
        if not self.in_history:
            how.append("gone from the tree and from history")
        else:
            how.append("gone from the tree (still in history)")
        return "closed: " + ", ".join(how)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "key": self.key,
            "rule_id": self.rule_id,
            "file": self.file,
            "line": self.line,
            "commit": self.commit,
            "owner": self.owner,
            "opened_at": _iso(self.opened_at),
            "in_tree": self.in_tree,
            "in_history": self.in_history,
            "rotated_by": self.rotated_by,
            "rotated_at": _iso(self.rotated_at),
            "attested_by": self.attested_by,
            "attested_at": _iso(self.attested_at),
            "revocation": self.revocation,
            "revocation_note": self.revocation_note,
            "closed": self.closed,
            "closed_at": _iso(self.closed_at),
            "state": self.state,
        }


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    target: str
    project: str
    base_url: str
    trigger: str
    who: str | None
    state: str  # running | done | interrupted
    reason: str | None
    started_at: datetime
    finished_at: datetime | None
    verdict: str | None
    requests: int
    summary: dict[str, int]

    @property
    def duration(self) -> timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "target": self.target,
            "project": self.project,
            "base_url": self.base_url,
            "trigger": self.trigger,
            "who": self.who,
            "state": self.state,
            "reason": self.reason,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "verdict": self.verdict,
            "requests": self.requests,
            "summary": dict(self.summary),
        }

    @staticmethod
    def parse_summary(text: str | None) -> dict[str, int]:
        return json.loads(text) if text else {}


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    target: str
    check_id: str
    actor: str
    field: str  # status | owner | due | waiver | attestation | attest_every
    old: str | None
    new: str | None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": _iso(self.at),
            "target": self.target,
            "check_id": self.check_id,
            "actor": self.actor,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "note": self.note,
        }


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
