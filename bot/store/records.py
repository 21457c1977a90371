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
        }
        if now is not None:
            data["display_status"] = self.display_status(now)
            data["overdue"] = self.overdue(now)
            data["waiver_active"] = self.waiver_active(now)
        return data


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
