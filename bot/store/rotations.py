"""Leaked secrets awaiting rotation (``lr_rotations``), one row per target and leak key.

The store keeps the facts (where the leak was seen, whether the last scans still saw it in
the tree and in history, the rotation attestation, the last revocation verdict); whether an
item is closed is :meth:`bot.store.records.Rotation.closed`, computed from those facts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from bot.store.record_tables import RotationRow
from bot.store.records import ChecklistError, Rotation, UnknownItemError
from bot.store.repository import Repository

__all__ = ["LeakSighting", "Rotations"]


@dataclass(frozen=True)
class LeakSighting:
    """One secret finding of a scan, as the rotation item needs it."""

    key: str  # the directory-scan fingerprint (file:rule:line): the same for tree and history
    rule_id: str
    file: str
    line: int | None
    commit: str | None


class Rotations(Repository):
    def observe(
        self,
        target: str,
        *,
        tree: Iterable[LeakSighting] | None,
        history: Iterable[LeakSighting] | None,
        owner: str | None,
        now: datetime,
    ) -> list[Rotation]:
        """Record what one run's scans saw. ``None`` for a scan that did not run (or errored):
        what it would have said stays as it was. Returns the items that changed."""
        tree_seen = {s.key: s for s in tree} if tree is not None else None
        history_seen = {s.key: s for s in history} if history is not None else None
        changed: list[Rotation] = []
        with self.session() as session:
            rows = {
                r.fingerprint: r
                for r in session.exec(select(RotationRow).where(RotationRow.target == target))
            }
            for sighting in [*(tree_seen or {}).values(), *(history_seen or {}).values()]:
                if sighting.key not in rows:
                    row = RotationRow(
                        target=target,
                        fingerprint=sighting.key,
                        rule_id=sighting.rule_id,
                        file=sighting.file,
                        line=sighting.line,
                        commit=sighting.commit,
                        owner=owner,
                        opened_at=now,
                        in_tree=False,
                        in_history=False,
                        last_seen_at=now,
                    )
                    session.add(row)
                    rows[sighting.key] = row
            for key, row in rows.items():
                before = (row.in_tree, row.in_history, row.closed_at)
                if tree_seen is not None:
                    row.in_tree = key in tree_seen
                if history_seen is not None:
                    row.in_history = key in history_seen
                    if key in history_seen and history_seen[key].commit:
                        row.commit = row.commit or history_seen[key].commit
                if row.in_tree or row.in_history:
                    row.last_seen_at = now
                if row.owner is None:
                    row.owner = owner
                _settle(row, now)
                if (row.in_tree, row.in_history, row.closed_at) != before:
                    changed.append(_record(row))
            session.commit()
        return changed

    def attest(
        self,
        target: str,
        key: str,
        *,
        rotated_by: str,
        rotated_at: datetime,
        actor: str,
        now: datetime,
    ) -> Rotation:
        """Someone says the key was rotated, by whom and when: history then no longer holds it open."""
        rotated_by = rotated_by.strip()
        if not rotated_by:
            raise ChecklistError("say who rotated the key (a Slack user or a name).")
        if rotated_at > now:
            raise ChecklistError(f"the rotation date {rotated_at.date()} is in the future.")
        with self.session() as session:
            row = self._row(session, target, key)
            row.rotated_by, row.rotated_at = rotated_by, rotated_at
            row.attested_by, row.attested_at = actor, now
            _settle(row, now)
            session.commit()
            return _record(row)

    def record_revocation(
        self, target: str, key: str, *, verdict: str, note: str, now: datetime
    ) -> Rotation:
        with self.session() as session:
            row = self._row(session, target, key)
            row.revocation, row.revocation_note, row.revocation_checked_at = verdict, note, now
            _settle(row, now)
            session.commit()
            return _record(row)

    def require_verification(self, target: str, keys: Iterable[str], now: datetime) -> None:
        """Mark items whose provider has an enabled verifier: they close only once it confirms."""
        keys = set(keys)
        with self.session() as session:
            for row in session.exec(select(RotationRow).where(RotationRow.target == target)):
                if row.fingerprint in keys and row.revocation is None:
                    row.revocation = "unknown"
                    _settle(row, now)
            session.commit()

    def all(self, target: str) -> list[Rotation]:
        with self.session() as session:
            rows = session.exec(
                select(RotationRow)
                .where(RotationRow.target == target)
                .order_by(col(RotationRow.opened_at), col(RotationRow.id))
            ).all()
            return [_record(r) for r in rows]

    def get(self, target: str, key: str) -> Rotation:
        with self.session() as session:
            return _record(self._row(session, target, key))

    def _row(self, session, target: str, key: str) -> RotationRow:  # type: ignore[no-untyped-def]
        rows = list(session.exec(select(RotationRow).where(RotationRow.target == target)))
        exact = [r for r in rows if r.fingerprint == key]
        # People paste a prefix of the key, or the file:line part: accept one unambiguous match.
        matches = exact or [
            r for r in rows if r.fingerprint.startswith(key) or key in r.fingerprint
        ]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(r.fingerprint for r in rows) or "none"
        which = "matches several" if matches else "is not"
        raise UnknownItemError(f'"{key}" {which} leak key(s) of {target} (known: {known}).')


def _settle(row: RotationRow, now: datetime) -> None:
    closed = _record(row).closed
    if closed and row.closed_at is None:
        row.closed_at = now
    elif not closed:
        row.closed_at = None


def _record(row: RotationRow) -> Rotation:
    return Rotation(
        target=row.target,
        key=row.fingerprint,
        rule_id=row.rule_id,
        file=row.file,
        line=row.line,
        commit=row.commit,
        owner=row.owner,
        opened_at=row.opened_at,
        in_tree=row.in_tree,
        in_history=row.in_history,
        last_seen_at=row.last_seen_at,
        rotated_by=row.rotated_by,
        rotated_at=row.rotated_at,
        attested_by=row.attested_by,
        attested_at=row.attested_at,
        revocation=row.revocation,
        revocation_note=row.revocation_note,
        revocation_checked_at=row.revocation_checked_at,
        closed_at=row.closed_at,
    )
