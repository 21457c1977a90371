"""The checklist: one item per target and check, seeded from the catalog and app.yaml,
changed by people (assign, done, waive), with every change in the append-only audit log."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.store.base import StoreCore
from bot.store.records import AuditEntry, ChecklistError, ChecklistItem, UnknownItemError
from bot.store.rows import audit_row, audit_text, seconds_of, to_item
from bot.store.runs import bases_of
from bot.store.tables import AuditRow, ChecklistRow
from checks.model import Override, Severity

if TYPE_CHECKING:
    from bot.config import ChecklistEntry
    from checks.check import Check

__all__ = ["ChecklistStore", "FILE_ACTOR", "MAX_NOTE", "MAX_REASON", "MAX_WAIVER_DAYS"]

FILE_ACTOR = "app.yaml"  # the audit actor of values seeded from the checklist: section
MAX_REASON = 500
MAX_NOTE = 1000
MAX_WAIVER_DAYS = 365


class ChecklistStore(StoreCore):
    def sync_checklist(
        self, target: str, checks: Iterable[Check], entries: Mapping[str, ChecklistEntry]
    ) -> list[str]:
        """Create missing items from the catalog and app.yaml; seed owner/due/attest_every.

        A value the file seeds is written unless someone changed that field since (its last
        audit entry's actor is not ``app.yaml``): then the store owns it. Returns a sentence
        for each ``checklist:`` key that names no check.
        """
        catalog = {c.id: c for c in checks}
        try:
            return self._sync(target, catalog, entries)
        except IntegrityError:
            # Another process (the bot and a CLI starting together) created the same items
            # between our read and our write; they exist now, so one more pass settles it.
            return self._sync(target, catalog, entries)

    def _sync(
        self, target: str, catalog: Mapping[str, Check], entries: Mapping[str, ChecklistEntry]
    ) -> list[str]:
        now = self.now()
        warnings: list[str] = []
        with self.session() as session:
            rows = {
                r.check_id: r
                for r in session.exec(select(ChecklistRow).where(ChecklistRow.target == target))
            }
            for item in catalog.values():
                row = rows.get(item.id)
                if row is None:
                    row = ChecklistRow(
                        target=target,
                        check_id=item.id,
                        title=item.title,
                        severity=str(item.severity),
                        mode=item.mode,
                        attest_every_s=seconds_of(item.attest_every)
                        if item.mode == "manual"
                        else None,
                        created_at=now,
                        updated_at=now,
                    )
                    session.add(row)
                    rows[item.id] = row
                elif (row.title, row.severity, row.mode) != (
                    item.title,
                    str(item.severity),
                    item.mode,
                ):
                    row.title, row.severity, row.mode = item.title, str(item.severity), item.mode
                    row.updated_at = now
            for key, entry in entries.items():
                row = rows.get(key)
                if key not in catalog and key.startswith("manual.") and entry.title:
                    severity = str(entry.severity or Severity.MEDIUM)
                    if row is None:
                        row = ChecklistRow(
                            target=target,
                            check_id=key,
                            title=entry.title,
                            severity=severity,
                            mode="manual",
                            attest_every_s=seconds_of("30d"),
                            created_at=now,
                            updated_at=now,
                        )
                        session.add(row)
                        rows[key] = row
                    else:
                        row.title, row.severity, row.mode = entry.title, severity, "manual"
                elif row is None or key not in catalog:
                    warnings.append(_unknown_entry(key, list(catalog)))
                    if row is None:
                        continue
                self._seed(session, row, entry, now)
            session.commit()
        return warnings

    def _seed(
        self, session: Session, row: ChecklistRow, entry: ChecklistEntry, now: datetime
    ) -> None:
        wanted: dict[str, tuple[str, Any]] = {}
        if entry.owner:
            wanted["owner"] = ("owner", entry.owner)
        if entry.due:
            wanted["due"] = ("due", entry.due)
        if entry.attest_every:
            wanted["attest_every"] = ("attest_every_s", int(entry.attest_every.total_seconds()))
        for field, (column, value) in wanted.items():
            current = getattr(row, column)
            if current == value:
                continue
            last = session.exec(
                select(AuditRow.actor)
                .where(
                    AuditRow.target == row.target,
                    AuditRow.check_id == row.check_id,
                    AuditRow.field == field,
                )
                .order_by(col(AuditRow.id).desc())
                .limit(1)
            ).first()
            if last is not None and last != FILE_ACTOR:
                continue
            setattr(row, column, value)
            row.updated_at = now
            session.add(
                audit_row(
                    now,
                    row.target,
                    row.check_id,
                    FILE_ACTOR,
                    field,
                    audit_text(field, current),
                    audit_text(field, value),
                )
            )

    def items(self, target: str) -> list[ChecklistItem]:
        with self.session() as session:
            rows = session.exec(select(ChecklistRow).where(ChecklistRow.target == target)).all()
            bases = bases_of(session, [(r.last_run_id, r.check_id) for r in rows if r.last_run_id])
        items = [to_item(r, bases.get((r.last_run_id or "", r.check_id))) for r in rows]
        return sorted(items, key=lambda i: (i.severity.rank, i.check_id))

    def item(self, target: str, check_id: str) -> ChecklistItem:
        with self.session() as session:
            row = self._item_row(session, target, check_id)
            bases = bases_of(session, [(row.last_run_id, check_id)] if row.last_run_id else [])
            return to_item(row, bases.get((row.last_run_id or "", check_id)))

    def overrides(self, target: str, now: datetime | None = None) -> dict[str, Override]:
        """Owner, live waiver and fresh attestation of every item, for RunReport.with_overrides."""
        now = now or self.now()
        result: dict[str, Override] = {}
        for item in self.items(target):
            active = item.waiver_active(now)
            attested = item.is_manual and item.attestation_fresh(now)
            result[item.check_id] = Override(
                owner=item.owner,
                waiver_reason=item.waiver_reason if active else None,
                attested=attested,
                attestation_note=item.attestation_note if attested else None,
            )
        return result

    def assign(
        self,
        target: str,
        check_id: str,
        owner: str,
        *,
        due: date | None = None,
        actor: str,
        now: datetime | None = None,
    ) -> ChecklistItem:
        owner = owner.strip()
        if not owner:
            raise ChecklistError(
                f"{check_id}: an owner is required (a Slack user id such as U0ALICE, or a name)."
            )
        now = now or self.now()
        with self.session() as session:
            row = self._item_row(session, target, check_id)
            changes = [("owner", "owner", owner)] + (
                [("due", "due", due)] if due is not None else []
            )
            for field, column, value in changes:
                current = getattr(row, column)
                if current != value:
                    session.add(
                        audit_row(
                            now,
                            target,
                            check_id,
                            actor,
                            field,
                            audit_text(field, current),
                            audit_text(field, value),
                        )
                    )
                    setattr(row, column, value)
                    row.updated_at = now
            session.commit()
            return to_item(row)

    def mark_done(
        self,
        target: str,
        check_id: str,
        *,
        note: str | None = None,
        actor: str,
        now: datetime | None = None,
    ) -> ChecklistItem:
        """A manual item: an attestation (note, time, who). An automated item: status "done"
        (its owner says it is fixed; the next run confirms or reopens it)."""
        note = (note or "").strip() or None
        if note and len(note) > MAX_NOTE:
            raise ChecklistError(
                f"{check_id}: the note is {len(note)} characters; keep it under {MAX_NOTE}."
            )
        now = now or self.now()
        with self.session() as session:
            row = self._item_row(session, target, check_id)
            if row.mode == "manual":
                session.add(
                    audit_row(
                        now,
                        target,
                        check_id,
                        actor,
                        "attestation",
                        audit_text("at", row.attested_at),
                        audit_text("at", now),
                        note,
                    )
                )
                row.attested_at, row.attested_by, row.attestation_note = now, actor, note
            if row.status != "done":
                session.add(
                    audit_row(now, target, check_id, actor, "status", row.status, "done", note)
                )
                row.status = "done"
            row.updated_at = now
            session.commit()
            return to_item(row)

    def waive(
        self,
        target: str,
        check_id: str,
        *,
        days: int,
        reason: str,
        actor: str,
        now: datetime | None = None,
    ) -> ChecklistItem:
        """Waive an item for ``days`` (1..365) with a reason; it stops applying by itself."""
        reason = " ".join((reason or "").split())
        if len(reason) < 3:
            raise ChecklistError(
                f"{check_id}: a waiver needs a reason (say why it is acceptable to launch without it)."
            )
        if len(reason) > MAX_REASON:
            raise ChecklistError(
                f"{check_id}: the reason is {len(reason)} characters; keep it under {MAX_REASON}."
            )
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_WAIVER_DAYS:
            raise ChecklistError(
                f"{check_id}: a waiver lasts 1 to {MAX_WAIVER_DAYS} days, not {days}."
            )
        now = now or self.now()
        expires = now + timedelta(days=days)
        with self.session() as session:
            row = self._item_row(session, target, check_id)
            current = to_item(row)
            old = current.waiver_reason if current.waiver_active(now) else None
            session.add(
                audit_row(
                    now,
                    target,
                    check_id,
                    actor,
                    "waiver",
                    old,
                    reason,
                    f"{days} days, expires {audit_text('at', expires)}",
                )
            )
            row.waiver_reason, row.waiver_expires = reason, expires
            row.waiver_by, row.waiver_granted_at = actor, now
            row.updated_at = now
            session.commit()
            return to_item(row)

    def revoke_waiver(
        self, target: str, check_id: str, *, actor: str, now: datetime | None = None
    ) -> ChecklistItem:
        now = now or self.now()
        with self.session() as session:
            row = self._item_row(session, target, check_id)
            if row.waiver_reason is not None:
                session.add(
                    audit_row(
                        now, target, check_id, actor, "waiver", row.waiver_reason, None, "revoked"
                    )
                )
                row.waiver_reason = row.waiver_expires = row.waiver_by = row.waiver_granted_at = (
                    None
                )
                row.updated_at = now
                session.commit()
            return to_item(row)

    def audit(
        self, target: str | None = None, check_id: str | None = None, limit: int = 200
    ) -> list[AuditEntry]:
        """The audit log, newest first."""
        query = select(AuditRow)
        if target is not None:
            query = query.where(AuditRow.target == target)
        if check_id is not None:
            query = query.where(AuditRow.check_id == check_id)
        with self.session() as session:
            rows = session.exec(query.order_by(col(AuditRow.id).desc()).limit(max(1, limit))).all()
        return [
            AuditEntry(
                id=r.id or 0,
                at=r.at,
                target=r.target,
                check_id=r.check_id,
                actor=r.actor,
                field=r.field,
                old=r.old,
                new=r.new,
                note=r.note,
            )
            for r in rows
        ]

    def _item_row(self, session: Session, target: str, check_id: str) -> ChecklistRow:
        row = session.exec(
            select(ChecklistRow).where(
                ChecklistRow.target == target, ChecklistRow.check_id == check_id
            )
        ).first()
        if row is not None:
            return row
        known = list(
            session.exec(select(ChecklistRow.check_id).where(ChecklistRow.target == target))
        )
        if not known:
            raise UnknownItemError(
                f'target "{target}" has no checklist items yet (run `launchready status` once).'
            )
        # "private_routes" for "auth.private_routes" is the likeliest slip: suggest that alone.
        close = [k for k in known if k.endswith("." + check_id)] or difflib.get_close_matches(
            check_id, known, n=3, cutoff=0.5
        )
        hint = (
            f" Did you mean {', '.join(close)}?"
            if close
            else " Run `launchready status` for the list."
        )
        raise UnknownItemError(f'"{check_id}" is not a checklist item of {target}.{hint}')


def _unknown_entry(key: str, catalog: list[str]) -> str:
    close = difflib.get_close_matches(key, catalog, n=1)
    if close:
        return f"checklist.{key}: not a check id (did you mean {close[0]}?)"
    if key.startswith("manual."):
        return f"checklist.{key}: a manual item of your own needs a title: (e.g. title: Backups restored once)"
    return f"checklist.{key}: not a check id (run `launchready catalog` for the list)"
