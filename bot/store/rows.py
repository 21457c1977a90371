"""Rows to records and back: the store's tables become frozen dataclasses for callers, and
every audit value is written as text the same way."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.store.record_tables import ResultBasisRow
from bot.store.records import ChecklistItem, RunRecord
from bot.store.tables import AuditRow, ChecklistRow, ResultRow, RunRow
from checks.basis import Basis
from checks.model import CheckResult, Finding, Severity, Status
from checks.target import format_duration, parse_duration

__all__ = [
    "audit_row",
    "audit_text",
    "fill_basis",
    "to_basis",
    "duration_text",
    "fill_result",
    "result_row",
    "seconds_of",
    "severity_of",
    "to_item",
    "to_result",
    "to_run",
]


def fill_result(row: ResultRow, result: CheckResult, now: datetime) -> None:
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


def result_row(run_id: str, position: int, result: CheckResult, now: datetime) -> ResultRow:
    row = ResultRow(
        run_id=run_id,
        position=position,
        check_id=result.check_id,
        status=str(result.status),
        recorded_at=now,
    )
    fill_result(row, result, now)
    return row


def to_result(row: ResultRow) -> CheckResult:
    findings = tuple(
        Finding(f.get("resource", ""), f.get("message", ""), dict(f.get("evidence") or {}))
        for f in json.loads(row.findings or "[]")
    )
    return CheckResult(
        check_id=row.check_id,
        title=row.title,
        category=row.category,
        severity=severity_of(row.severity),
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


def fill_basis(row: ResultBasisRow, basis: Basis) -> None:
    row.config_keys = json.dumps(list(basis.config_keys))
    row.config_hash = basis.config_hash
    row.repo_head = basis.repo_head
    row.build = basis.build
    row.measured_at = basis.measured_at


def to_basis(row: ResultBasisRow) -> Basis:
    return Basis(
        config_keys=tuple(json.loads(row.config_keys or "[]")),
        config_hash=row.config_hash,
        repo_head=row.repo_head,
        build=row.build,
        measured_at=row.measured_at,
    )


def to_run(row: RunRow) -> RunRecord:
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


def to_item(row: ChecklistRow, basis: Basis | None = None) -> ChecklistItem:
    return ChecklistItem(
        basis=basis,
        target=row.target,
        check_id=row.check_id,
        title=row.title,
        severity=severity_of(row.severity),
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


def audit_row(
    at: datetime,
    target: str,
    check_id: str,
    actor: str,
    field: str,
    old: str | None,
    new: str | None,
    note: str | None = None,
) -> AuditRow:
    return AuditRow(
        at=at,
        target=target,
        check_id=check_id,
        actor=actor,
        field=field,
        old=old,
        new=new,
        note=note,
    )


def audit_text(field: str, value: Any) -> str | None:
    """An audit value as text: dates in ISO, periods as durations."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if field == "attest_every":
        return duration_text(int(value))
    return str(value)


def duration_text(seconds: int) -> str:
    return format_duration(timedelta(seconds=seconds))


def seconds_of(duration: str | None) -> int | None:
    return int(parse_duration(duration).total_seconds()) if duration else None


def severity_of(value: str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        return Severity.MEDIUM
