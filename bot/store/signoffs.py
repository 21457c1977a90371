"""Signed go/no-go records (``lr_signoffs``): the verdict of a run, the waivers in force and
who signed; a later run whose verdict differs marks the newest one broken."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from bot.store.record_tables import SignoffRow
from bot.store.repository import Repository

__all__ = ["Signoff", "SignedWaiver", "Signoffs"]


@dataclass(frozen=True)
class SignedWaiver:
    check_id: str
    reason: str
    by: str | None
    expires: str | None  # ISO date


@dataclass(frozen=True)
class Signoff:
    id: int
    target: str
    run_id: str
    verdict: str
    waivers: tuple[SignedWaiver, ...]
    signed_by: str
    signed_at: datetime
    note: str | None
    channel: str | None
    ts: str | None
    broken_by_run: str | None
    broken_verdict: str | None
    broken_at: datetime | None

    @property
    def holds(self) -> bool:
        return self.broken_by_run is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "target": self.target,
            "run_id": self.run_id,
            "verdict": self.verdict,
            "waivers": [w.__dict__ for w in self.waivers],
            "signed_by": self.signed_by,
            "signed_at": self.signed_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "note": self.note,
            "holds": self.holds,
            "broken_by_run": self.broken_by_run,
            "broken_verdict": self.broken_verdict,
        }


class Signoffs(Repository):
    def record(
        self,
        target: str,
        *,
        run_id: str,
        verdict: str,
        waivers: list[SignedWaiver],
        signed_by: str,
        at: datetime,
        note: str | None = None,
    ) -> Signoff:
        row = SignoffRow(
            target=target,
            run_id=run_id,
            verdict=verdict,
            waivers=json.dumps([w.__dict__ for w in waivers]),
            signed_by=signed_by,
            signed_at=at,
            note=note,
        )
        with self.session() as session:
            session.add(row)
            session.commit()
            return _signoff(row)

    def posted(self, signoff_id: int, channel: str, ts: str) -> None:
        with self.session() as session:
            row = session.get(SignoffRow, signoff_id)
            if row is not None:
                row.channel, row.ts = channel, ts
                session.commit()

    def latest(self, target: str) -> Signoff | None:
        with self.session() as session:
            row = session.exec(
                select(SignoffRow)
                .where(SignoffRow.target == target)
                .order_by(col(SignoffRow.id).desc())
                .limit(1)
            ).first()
            return _signoff(row) if row else None

    def break_(self, signoff_id: int, *, run_id: str, verdict: str, at: datetime) -> Signoff | None:
        """Mark the sign-off broken by ``run_id`` (once: the first run that broke it stays)."""
        with self.session() as session:
            row = session.get(SignoffRow, signoff_id)
            if row is None or row.broken_by_run is not None:
                return None
            row.broken_by_run, row.broken_verdict, row.broken_at = run_id, verdict, at
            session.commit()
            return _signoff(row)


def _signoff(row: SignoffRow) -> Signoff:
    assert row.id is not None
    return Signoff(
        id=row.id,
        target=row.target,
        run_id=row.run_id,
        verdict=row.verdict,
        waivers=tuple(SignedWaiver(**w) for w in json.loads(row.waivers or "[]")),
        signed_by=row.signed_by,
        signed_at=row.signed_at,
        note=row.note,
        channel=row.channel,
        ts=row.ts,
        broken_by_run=row.broken_by_run,
        broken_verdict=row.broken_verdict,
        broken_at=row.broken_at,
    )
