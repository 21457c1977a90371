"""The store: runs, their results, the launch checklist and its audit log, in one database.

SQLite by default (WAL, a busy timeout, foreign keys), any SQLAlchemy URL otherwise. One
engine per store and a short session per call, so threads and the event loop can share it.
Everything returned is a frozen dataclass from :mod:`bot.store.records`.
"""

from __future__ import annotations

import difflib
import json
import logging
import os
import socket
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, inspect, text
from sqlalchemy.exc import DatabaseError, IntegrityError, SQLAlchemyError
from sqlmodel import Session, SQLModel, col, select

from bot.store.engine import describe_url, make_engine
from bot.store.records import (
    AuditEntry,
    ChecklistError,
    ChecklistItem,
    RunRecord,
    SchemaTooNewError,
    StoreError,
    UnknownItemError,
    UnknownRunError,
)
from bot.store.tables import SCHEMA_VERSION, AuditRow, ChecklistRow, MetaRow, ResultRow, RunRow
from checks.model import CheckResult, Finding, Override, RunReport, Severity, Status, new_run_id
from checks.target import parse_duration

if TYPE_CHECKING:
    from bot.config import ChecklistEntry
    from checks.check import Check

__all__ = ["FILE_ACTOR", "Store"]

log = logging.getLogger(__name__)

FILE_ACTOR = "app.yaml"  # the audit actor of values seeded from the checklist: section
MAX_REASON = 500
MAX_NOTE = 1000
MAX_WAIVER_DAYS = 365
# A run still "running" after this long is dead whoever owns it (checks have timeouts).
STALE_RUN = timedelta(hours=1)

# Runs started by a Store that is still open in this process: another Store opened in the
# same process must not mark them interrupted. Process state, so a module-level set.
_LIVE_RUNS: set[str] = set()


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Store:
    def __init__(self, engine: Engine, *, url: str, clock: Callable[[], datetime] = _utcnow) -> None:
        self.engine = engine
        self.url = url
        self._clock = clock
        self._own_runs: set[str] = set()
        self.interrupted_on_open = 0

    # -- lifecycle --------------------------------------------------------------------

    @classmethod
    def open(cls, url: str, *, clock: Callable[[], datetime] | None = None) -> Store:
        """Open (and create) the database; refuse a newer schema; mark dead runs interrupted."""
        store = cls(make_engine(url), url=url, clock=clock or _utcnow)
        try:
            store._prepare()
        except StoreError:
            store.engine.dispose()
            raise
        except DatabaseError as exc:
            store.engine.dispose()
            raise StoreError(
                f"database {describe_url(url)} cannot be opened: {_first_line(exc)} "
                "(is it a Launch Ready database? point database: elsewhere)"
            ) from None
        except SQLAlchemyError as exc:
            store.engine.dispose()
            raise StoreError(f"database {describe_url(url)} cannot be opened: {_first_line(exc)}") from None
        return store

    def close(self) -> None:
        # Runs this store started and never finished are abandoned: the next open marks them.
        _LIVE_RUNS.difference_update(self._own_runs)
        self._own_runs.clear()
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def now(self) -> datetime:
        return self._clock()

    def create_tables(self) -> None:
        """Create tables of modules imported after :meth:`open` (monitors, incidents ...)."""
        SQLModel.metadata.create_all(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A short session for the store's neighbours (monitors) that keep tables here."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def _prepare(self) -> None:
        found = self._schema_version()
        if found is not None and found > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"database {describe_url(self.url)} was written by a newer Launch Ready "
                f"(schema {found}, this is {SCHEMA_VERSION}); upgrade launchready or point database: elsewhere"
            )
        SQLModel.metadata.create_all(self.engine)
        if self.engine.dialect.name == "sqlite":
            with self.engine.begin() as conn:
                for verb in ("UPDATE", "DELETE"):
                    conn.execute(
                        text(
                            f"CREATE TRIGGER IF NOT EXISTS lr_audit_no_{verb.lower()} BEFORE {verb} ON lr_audit "
                            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
                        )
                    )
        with self.session() as session:
            meta = session.get(MetaRow, "schema_version")
            if meta is None:
                session.add(MetaRow(key="schema_version", value=str(SCHEMA_VERSION)))
            elif int(meta.value) < SCHEMA_VERSION:
                meta.value = str(SCHEMA_VERSION)  # no migrations needed yet: tables are additive
            session.commit()
        self.interrupted_on_open = self._mark_interrupted()
        if self.interrupted_on_open:
            log.info("marked %d run(s) left running by a stopped process as interrupted", self.interrupted_on_open)

    def _schema_version(self) -> int | None:
        if not inspect(self.engine).has_table(MetaRow.__tablename__):
            return None
        with self.engine.connect() as conn:
            value = conn.execute(text("SELECT value FROM lr_meta WHERE key = 'schema_version'")).scalar()
        try:
            return int(value) if value is not None else None
        except ValueError:
            raise StoreError(
                f"database {describe_url(self.url)} has a schema_version of {value!r}, not a number; "
                "point database: elsewhere"
            ) from None

    def _mark_interrupted(self) -> int:
        now, host = self.now(), socket.gethostname()
        count = 0
        with self.session() as session:
            for row in session.exec(select(RunRow).where(RunRow.state == "running")):
                if row.id in _LIVE_RUNS or (now - row.started_at < STALE_RUN and _owner_alive(row, host)):
                    continue
                row.state = "interrupted"
                row.reason = "the process running it stopped before it finished (found when the store was reopened)"
                count += 1
            session.commit()
        return count

    # -- runs --------------------------------------------------------------------------

    def start_run(
        self,
        *,
        target: str,
        trigger: str,
        who: str | None = None,
        run_id: str | None = None,
        project: str = "",
        base_url: str = "",
    ) -> str:
        run_id = run_id or new_run_id()
        row = RunRow(
            id=run_id,
            target=target,
            project=project,
            base_url=base_url,
            trigger=trigger,
            who=who,
            started_at=self.now(),
            host=socket.gethostname(),
            pid=os.getpid(),
        )
        with self.session() as session:
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                raise StoreError(f"run {run_id} already exists in {describe_url(self.url)}") from None
        self._own_runs.add(run_id)
        _LIVE_RUNS.add(run_id)
        return run_id

    def save_result(self, run_id: str, result: CheckResult) -> None:
        """Record one result as it lands (a second save of the same check replaces it)."""
        with self.session() as session:
            self._run_row(session, run_id)
            existing = session.exec(
                select(ResultRow).where(ResultRow.run_id == run_id, ResultRow.check_id == result.check_id)
            ).first()
            if existing is None:
                position = session.exec(
                    select(func.count()).select_from(ResultRow).where(ResultRow.run_id == run_id)
                ).one()
                session.add(_result_row(run_id, position, result, self.now()))
            else:
                _fill_result(existing, result, self.now())
            session.commit()

    def finish_run(self, run_id: str, report: RunReport) -> None:
        """Store the final report (its results replace those saved as they landed) and bring
        each checklist item's last result and status up to date."""
        now = self.now()
        with self.session() as session:
            row = self._run_row(session, run_id)
            row.state = "done"
            row.reason = None
            row.started_at = report.started_at  # the runner's clock: the report round-trips
            row.finished_at = report.finished_at
            row.verdict = str(report.verdict)
            row.requests = report.requests
            row.summary = json.dumps(report.summary)
            row.project = row.project or report.project
            row.base_url = row.base_url or report.base_url
            existing = {
                r.check_id: r for r in session.exec(select(ResultRow).where(ResultRow.run_id == run_id))
            }
            keep = {r.check_id for r in report.results}
            for check_id, stale in existing.items():
                if check_id not in keep:
                    session.delete(stale)
            for position, result in enumerate(report.results):
                current = existing.get(result.check_id)
                if current is None:
                    session.add(_result_row(run_id, position, result, now))
                else:
                    _fill_result(current, result, now)
                    current.position = position
            self._apply_results(session, row.target, run_id, report.results, now)
            session.commit()
        self._forget(run_id)

    def fail_run(self, run_id: str, reason: str) -> None:
        with self.session() as session:
            row = self._run_row(session, run_id)
            row.state = "interrupted"
            row.reason = reason
            row.finished_at = self.now()
            session.commit()
        self._forget(run_id)

    def record_report(self, report: RunReport, *, trigger: str, who: str | None = None) -> str:
        """Start and finish a run in one go, for a report made elsewhere (a CI job's JSON)."""
        self.start_run(
            target=report.target,
            trigger=trigger,
            who=who,
            run_id=report.run_id,
            project=report.project,
            base_url=report.base_url,
        )
        self.finish_run(report.run_id, report)
        return report.run_id

    def get_report(self, run_id: str) -> RunReport | None:
        """The run rebuilt from its rows (results in stored order); partial if it never finished."""
        with self.session() as session:
            row = session.get(RunRow, run_id)
            if row is None:
                return None
            rows = list(
                session.exec(
                    select(ResultRow).where(ResultRow.run_id == run_id).order_by(col(ResultRow.position), col(ResultRow.id))
                )
            )
        results = tuple(_to_result(r) for r in rows)
        finished = row.finished_at or max((r.recorded_at for r in rows), default=row.started_at)
        requests = row.requests if row.state == "done" else sum(r.requests for r in results)
        return RunReport(
            run_id=row.id,
            project=row.project,
            target=row.target,
            base_url=row.base_url,
            started_at=row.started_at,
            finished_at=finished,
            requests=requests,
            results=results,
        )

    def latest_report(self, target: str, *, before: datetime | None = None) -> RunReport | None:
        """The newest finished run of ``target`` (started before ``before`` when given)."""
        query = select(RunRow.id).where(RunRow.target == target, RunRow.state == "done")
        if before is not None:
            query = query.where(RunRow.started_at < before)
        with self.session() as session:
            run_id = session.exec(query.order_by(col(RunRow.started_at).desc()).limit(1)).first()
        return self.get_report(run_id) if run_id else None

    def list_runs(self, target: str | None = None, limit: int = 20) -> list[RunRecord]:
        query = select(RunRow)
        if target is not None:
            query = query.where(RunRow.target == target)
        with self.session() as session:
            rows = session.exec(query.order_by(col(RunRow.started_at).desc()).limit(max(1, limit))).all()
        return [_to_run(r) for r in rows]

    def get_run(self, run_id: str) -> RunRecord | None:
        with self.session() as session:
            row = session.get(RunRow, run_id)
        return _to_run(row) if row else None

    def running_run(self, target: str) -> RunRecord | None:
        with self.session() as session:
            row = session.exec(
                select(RunRow)
                .where(RunRow.target == target, RunRow.state == "running")
                .order_by(col(RunRow.started_at).desc())
                .limit(1)
            ).first()
        return _to_run(row) if row else None

    def _run_row(self, session: Session, run_id: str) -> RunRow:
        row = session.get(RunRow, run_id)
        if row is None:
            raise UnknownRunError(f"run {run_id} was never started in {describe_url(self.url)}")
        return row

    def _forget(self, run_id: str) -> None:
        self._own_runs.discard(run_id)
        _LIVE_RUNS.discard(run_id)

    def _apply_results(
        self, session: Session, target: str, run_id: str, results: Iterable[CheckResult], now: datetime
    ) -> None:
        rows = {r.check_id: r for r in session.exec(select(ChecklistRow).where(ChecklistRow.target == target))}
        for result in results:
            item = rows.get(result.check_id)
            if item is None:
                item = ChecklistRow(
                    target=target,
                    check_id=result.check_id,
                    title=result.title,
                    severity=str(result.severity),
                    mode="manual" if result.status is Status.MANUAL else "automated",
                    created_at=now,
                    updated_at=now,
                )
                session.add(item)
                rows[result.check_id] = item
            # A waiver belongs to the item, not the result: keep what the check really said.
            status = str(result.waived_status or result.status)
            if item.status != status:
                session.add(_audit(now, target, result.check_id, f"run:{run_id}", "status", item.status, status))
                item.status = status
            item.last_run_id = run_id
            item.last_summary = result.summary
            item.last_result_at = now
            item.updated_at = now

    # -- checklist ---------------------------------------------------------------------

    def sync_checklist(
        self, target: str, checks: Iterable[Check], entries: Mapping[str, ChecklistEntry]
    ) -> list[str]:
        """Create missing items from the catalog and app.yaml; seed owner/due/attest_every.

        A value the file seeds is written unless someone changed that field since (its last
        audit entry's actor is not ``app.yaml``): then the store owns it. Returns a sentence
        for each ``checklist:`` key that names no check.
        """
        now = self.now()
        warnings: list[str] = []
        catalog = {c.id: c for c in checks}
        with self.session() as session:
            rows = {r.check_id: r for r in session.exec(select(ChecklistRow).where(ChecklistRow.target == target))}
            for item in catalog.values():
                row = rows.get(item.id)
                if row is None:
                    row = ChecklistRow(
                        target=target,
                        check_id=item.id,
                        title=item.title,
                        severity=str(item.severity),
                        mode=item.mode,
                        attest_every_s=_seconds(item.attest_every) if item.mode == "manual" else None,
                        created_at=now,
                        updated_at=now,
                    )
                    session.add(row)
                    rows[item.id] = row
                elif (row.title, row.severity, row.mode) != (item.title, str(item.severity), item.mode):
                    row.title, row.severity, row.mode = item.title, str(item.severity), item.mode
                    row.updated_at = now
            for key, entry in entries.items():
                row = rows.get(key)
                if key not in catalog and key.startswith("manual.") and entry.title:
                    severity = _entry_severity(key, entry.severity, warnings)
                    if row is None:
                        row = ChecklistRow(
                            target=target,
                            check_id=key,
                            title=entry.title,
                            severity=severity,
                            mode="manual",
                            attest_every_s=_seconds("30d"),
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

    def _seed(self, session: Session, row: ChecklistRow, entry: ChecklistEntry, now: datetime) -> None:
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
                .where(AuditRow.target == row.target, AuditRow.check_id == row.check_id, AuditRow.field == field)
                .order_by(col(AuditRow.id).desc())
                .limit(1)
            ).first()
            if last is not None and last != FILE_ACTOR:
                continue
            setattr(row, column, value)
            row.updated_at = now
            session.add(
                _audit(now, row.target, row.check_id, FILE_ACTOR, field, _text(field, current), _text(field, value))
            )

    def items(self, target: str) -> list[ChecklistItem]:
        with self.session() as session:
            rows = session.exec(select(ChecklistRow).where(ChecklistRow.target == target)).all()
        items = [_to_item(r) for r in rows]
        return sorted(items, key=lambda i: (i.severity.rank, i.check_id))

    def item(self, target: str, check_id: str) -> ChecklistItem:
        with self.session() as session:
            return _to_item(self._item_row(session, target, check_id))

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
            raise ChecklistError(f"{check_id}: an owner is required (a Slack user id such as U0ALICE, or a name).")
        now = now or self.now()
        with self.session() as session:
            row = self._item_row(session, target, check_id)
            changes = [("owner", "owner", owner)] + ([("due", "due", due)] if due is not None else [])
            for field, column, value in changes:
                current = getattr(row, column)
                if current != value:
                    session.add(_audit(now, target, check_id, actor, field, _text(field, current), _text(field, value)))
                    setattr(row, column, value)
                    row.updated_at = now
            session.commit()
            return _to_item(row)

    def mark_done(
        self, target: str, check_id: str, *, note: str | None = None, actor: str, now: datetime | None = None
    ) -> ChecklistItem:
        """A manual item: an attestation (note, time, who). An automated item: status "done"
        (its owner says it is fixed; the next run confirms or reopens it)."""
        note = (note or "").strip() or None
        if note and len(note) > MAX_NOTE:
            raise ChecklistError(f"{check_id}: the note is {len(note)} characters; keep it under {MAX_NOTE}.")
        now = now or self.now()
        with self.session() as session:
            row = self._item_row(session, target, check_id)
            if row.mode == "manual":
                session.add(
                    _audit(now, target, check_id, actor, "attestation", _text("at", row.attested_at), _text("at", now), note)
                )
                row.attested_at, row.attested_by, row.attestation_note = now, actor, note
            if row.status != "done":
                session.add(_audit(now, target, check_id, actor, "status", row.status, "done", note))
                row.status = "done"
            row.updated_at = now
            session.commit()
            return _to_item(row)

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
            raise ChecklistError(f"{check_id}: a waiver needs a reason (say why it is acceptable to launch without it).")
        if len(reason) > MAX_REASON:
            raise ChecklistError(f"{check_id}: the reason is {len(reason)} characters; keep it under {MAX_REASON}.")
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_WAIVER_DAYS:
            raise ChecklistError(f"{check_id}: a waiver lasts 1 to {MAX_WAIVER_DAYS} days, not {days}.")
        now = now or self.now()
        expires = now + timedelta(days=days)
        with self.session() as session:
            row = self._item_row(session, target, check_id)
            old = _to_item(row).waiver_reason if _to_item(row).waiver_active(now) else None
            session.add(
                _audit(now, target, check_id, actor, "waiver", old, reason, f"{days} days, expires {_text('at', expires)}")
            )
            row.waiver_reason, row.waiver_expires = reason, expires
            row.waiver_by, row.waiver_granted_at = actor, now
            row.updated_at = now
            session.commit()
            return _to_item(row)

    def revoke_waiver(self, target: str, check_id: str, *, actor: str, now: datetime | None = None) -> ChecklistItem:
        now = now or self.now()
        with self.session() as session:
            row = self._item_row(session, target, check_id)
            if row.waiver_reason is not None:
                session.add(_audit(now, target, check_id, actor, "waiver", row.waiver_reason, None, "revoked"))
                row.waiver_reason = row.waiver_expires = row.waiver_by = row.waiver_granted_at = None
                row.updated_at = now
                session.commit()
            return _to_item(row)

    def audit(self, target: str | None = None, check_id: str | None = None, limit: int = 200) -> list[AuditEntry]:
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
            select(ChecklistRow).where(ChecklistRow.target == target, ChecklistRow.check_id == check_id)
        ).first()
        if row is not None:
            return row
        known = list(session.exec(select(ChecklistRow.check_id).where(ChecklistRow.target == target)))
        if not known:
            raise UnknownItemError(f'target "{target}" has no checklist items yet (run `launchready status` once).')
        # "private_routes" for "auth.private_routes" is the likeliest slip: suggest that alone.
        close = [k for k in known if k.endswith("." + check_id)] or difflib.get_close_matches(
            check_id, known, n=3, cutoff=0.5
        )
        hint = f" Did you mean {', '.join(close)}?" if close else " Run `launchready status` for the list."
        raise UnknownItemError(f'"{check_id}" is not a checklist item of {target}.{hint}')


# -- row <-> record ------------------------------------------------------------------------


def _owner_alive(row: RunRow, host: str) -> bool:
    """Is the process that started ``row`` still alive (and not this process)?"""
    if row.host is None or row.pid is None:
        return False
    if row.host != host:
        return True  # another machine: cannot tell, trust it until STALE_RUN
    if row.pid == os.getpid():
        return False  # this process, but no open Store owns it: abandoned
    try:
        os.kill(row.pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _fill_result(row: ResultRow, result: CheckResult, now: datetime) -> None:
    row.title = result.title
    row.category = result.category
    row.severity = str(result.severity)
    row.status = str(result.status)
    row.summary = result.summary
    row.findings = json.dumps([f.to_dict() for f in result.findings], default=str)
    row.remediation = result.remediation
    row.owner = result.owner
    row.duration_ms = result.duration_ms
    row.requests = result.requests
    row.waived_status = str(result.waived_status) if result.waived_status else None
    row.waiver_reason = result.waiver_reason
    row.recorded_at = now


def _result_row(run_id: str, position: int, result: CheckResult, now: datetime) -> ResultRow:
    row = ResultRow(run_id=run_id, position=position, check_id=result.check_id, status=str(result.status), recorded_at=now)
    _fill_result(row, result, now)
    return row


def _to_result(row: ResultRow) -> CheckResult:
    findings = tuple(
        Finding(f.get("resource", ""), f.get("message", ""), dict(f.get("evidence") or {}))
        for f in json.loads(row.findings or "[]")
    )
    return CheckResult(
        check_id=row.check_id,
        title=row.title,
        category=row.category,
        severity=_severity(row.severity),
        status=Status(row.status),
        summary=row.summary,
        findings=findings,
        remediation=row.remediation,
        owner=row.owner,
        duration_ms=row.duration_ms,
        requests=row.requests,
        waived_status=Status(row.waived_status) if row.waived_status else None,
        waiver_reason=row.waiver_reason,
    )


def _to_run(row: RunRow) -> RunRecord:
    return RunRecord(
        run_id=row.id,
        target=row.target,
        project=row.project,
        base_url=row.base_url,
        trigger=row.trigger,
        who=row.who,
        state=row.state,
        reason=row.reason,
        started_at=row.started_at,
        finished_at=row.finished_at,
        verdict=row.verdict,
        requests=row.requests,
        summary=RunRecord.parse_summary(row.summary),
    )


def _to_item(row: ChecklistRow) -> ChecklistItem:
    return ChecklistItem(
        target=row.target,
        check_id=row.check_id,
        title=row.title,
        severity=_severity(row.severity),
        mode=row.mode,
        owner=row.owner,
        due=row.due,
        status=row.status,
        last_run_id=row.last_run_id,
        last_summary=row.last_summary,
        last_result_at=row.last_result_at,
        waiver_reason=row.waiver_reason,
        waiver_expires=row.waiver_expires,
        waiver_by=row.waiver_by,
        waiver_granted_at=row.waiver_granted_at,
        attested_at=row.attested_at,
        attested_by=row.attested_by,
        attestation_note=row.attestation_note,
        attest_every=timedelta(seconds=row.attest_every_s) if row.attest_every_s else None,
    )


def _audit(
    at: datetime,
    target: str,
    check_id: str,
    actor: str,
    field: str,
    old: str | None,
    new: str | None,
    note: str | None = None,
) -> AuditRow:
    return AuditRow(at=at, target=target, check_id=check_id, actor=actor, field=field, old=old, new=new, note=note)


def _text(field: str, value: Any) -> str | None:
    """An audit value as text: dates in ISO, periods as durations."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if field == "attest_every":
        return _duration_text(int(value))
    return str(value)


def _duration_text(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _seconds(duration: str | None) -> int | None:
    return int(parse_duration(duration).total_seconds()) if duration else None


def _severity(value: str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        return Severity.MEDIUM


def _entry_severity(key: str, value: str | None, warnings: list[str]) -> str:
    if value is None:
        return str(Severity.MEDIUM)
    try:
        return str(Severity(value.lower()))
    except ValueError:
        names = ", ".join(str(s) for s in Severity)
        warnings.append(f'checklist.{key}.severity: "{value}" is not a severity (use one of {names}); using medium')
        return str(Severity.MEDIUM)


def _unknown_entry(key: str, catalog: list[str]) -> str:
    close = difflib.get_close_matches(key, catalog, n=1)
    if close:
        return f"checklist.{key}: not a check id (did you mean {close[0]}?)"
    if key.startswith("manual."):
        return f"checklist.{key}: a manual item of your own needs a title: (e.g. title: Backups restored once)"
    return f"checklist.{key}: not a check id (run `launchready catalog` for the list)"


def _first_line(exc: BaseException) -> str:
    text_ = str(getattr(exc, "orig", None) or exc)
    return text_.splitlines()[0] if text_ else type(exc).__name__


