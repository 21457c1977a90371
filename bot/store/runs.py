"""Runs and their results: started, saved as each result lands, finished or interrupted."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, col, select

from bot.store.base import StoreCore
from bot.store.engine import describe_url
from bot.store.record_tables import ResultBasisRow
from bot.store.records import RunRecord, StoreError, UnknownRunError
from bot.store.rows import (
    audit_row,
    fill_basis,
    fill_result,
    result_row,
    to_basis,
    to_result,
    to_run,
)
from bot.store.tables import ChecklistRow, ResultRow, RunRow
from checks.basis import Basis
from checks.model import CheckResult, RunReport, Status, new_run_id

__all__ = ["RunStore", "STALE_RUN", "bases_of"]

# A run still "running" after this long is dead whoever owns it (checks have timeouts).
STALE_RUN = timedelta(hours=1)



class RunStore(StoreCore):
    _own_runs: set[str]

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
                session.add(result_row(run_id, position, result, self.now()))
            else:
                fill_result(existing, result, self.now())
            _put_basis(session, run_id, result)
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
                    session.add(result_row(run_id, position, result, now))
                else:
                    fill_result(current, result, now)
                    current.position = position
                _put_basis(session, run_id, result)
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
            bases = {
                b.check_id: to_basis(b)
                for b in session.exec(select(ResultBasisRow).where(ResultBasisRow.run_id == run_id))
            }
        results = tuple(replace(to_result(r), basis=bases.get(r.check_id)) for r in rows)
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
        return [to_run(r) for r in rows]

    def get_run(self, run_id: str) -> RunRecord | None:
        with self.session() as session:
            row = session.get(RunRow, run_id)
        return to_run(row) if row else None

    def running_run(self, target: str) -> RunRecord | None:
        with self.session() as session:
            row = session.exec(
                select(RunRow)
                .where(RunRow.target == target, RunRow.state == "running")
                .order_by(col(RunRow.started_at).desc())
                .limit(1)
            ).first()
        return to_run(row) if row else None

    def _run_row(self, session: Session, run_id: str) -> RunRow:
        row = session.get(RunRow, run_id)
        if row is None:
            raise UnknownRunError(f"run {run_id} was never started in {describe_url(self.url)}")
        return row

    def _forget(self, run_id: str) -> None:
        self._own_runs.discard(run_id)

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
                session.add(audit_row(now, target, result.check_id, f"run:{run_id}", "status", item.status, status))
                item.status = status
            item.last_run_id = run_id
            item.last_summary = result.summary
            item.last_result_at = now
            item.updated_at = now

    def _mark_interrupted(self) -> int:
        """Mark runs left "running" by a process that is gone as interrupted; how many."""
        now, host = self.now(), socket.gethostname()
        count = 0
        with self.session() as session:
            for row in session.exec(select(RunRow).where(RunRow.state == "running")):
                if now - row.started_at < STALE_RUN and _owner_alive(row, host):
                    continue
                row.state = "interrupted"
                row.reason = "the process running it stopped before it finished (found when the store was reopened)"
                count += 1
            session.commit()
        return count

    def _abandon_runs(self) -> None:
        """On close: runs this store started and never finished are abandoned. Their owner is
        cleared in the database, so the next open marks them interrupted even in this process
        (whose pid otherwise says "a Store here still owns it")."""
        if self._own_runs:
            try:
                with self.session() as session:
                    rows = session.exec(select(RunRow).where(col(RunRow.id).in_(self._own_runs)))
                    for row in rows:
                        if row.state == "running":
                            row.pid = None
                    session.commit()
            except SQLAlchemyError:
                pass  # the database is gone: the runs' age (STALE_RUN) marks them later
        self._own_runs.clear()


def _put_basis(session: Session, run_id: str, result: CheckResult) -> None:
    if result.basis is None:
        return
    row = session.exec(
        select(ResultBasisRow).where(
            ResultBasisRow.run_id == run_id, ResultBasisRow.check_id == result.check_id
        )
    ).first()
    if row is None:
        row = ResultBasisRow(
            run_id=run_id, check_id=result.check_id, measured_at=result.basis.measured_at
        )
        session.add(row)
    fill_basis(row, result.basis)


def bases_of(session: Session, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Basis]:
    """The basis of each (run id, check id) pair that has one."""
    pairs = list(pairs)
    run_ids = {run_id for run_id, _ in pairs}
    if not run_ids:
        return {}
    rows = session.exec(select(ResultBasisRow).where(col(ResultBasisRow.run_id).in_(run_ids)))
    wanted = set(pairs)
    return {(r.run_id, r.check_id): to_basis(r) for r in rows if (r.run_id, r.check_id) in wanted}


def _owner_alive(row: RunRow, host: str) -> bool:
    """Is the process that started ``row`` still alive (this one included)?"""
    if row.host is None or row.pid is None:
        return False
    if row.host != host:
        return True  # another machine: cannot tell, trust it until STALE_RUN
    if row.pid == os.getpid():
        return True  # a Store open in this process owns it (a closed one cleared the pid)
    try:
        os.kill(row.pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True
