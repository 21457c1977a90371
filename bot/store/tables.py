"""The run and checklist tables, all named ``lr_*``.

Every table of Launch Ready is defined inside :mod:`bot.store` (these, and the service's in
:mod:`bot.store.ops_tables`) and created by :meth:`bot.store.Store.open`. Adding a table is
additive and needs no schema bump; changing or dropping a column of any of them does (see
:data:`SCHEMA_VERSION`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import DateTime, Index, Text, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = [
    "AuditRow",
    "ChecklistRow",
    "MetaRow",
    "ResultRow",
    "RunRow",
    "SCHEMA_VERSION",
    "UTCDateTime",
]

# Bump when an existing table changes shape (any table in bot/store, ops_tables included); an
# older Launch Ready then refuses the file instead of writing rows it does not understand.
SCHEMA_VERSION = 2  # 2: the living-record tables (bot/store/record_tables.py)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend (SQLite has no zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class MetaRow(SQLModel, table=True):
    __tablename__ = "lr_meta"

    key: str = Field(primary_key=True, max_length=64)
    value: str


class RunRow(SQLModel, table=True):
    __tablename__ = "lr_runs"
    __table_args__ = (Index("ix_lr_runs_target_started", "target", "started_at"),)

    id: str = Field(primary_key=True, max_length=64)
    target: str = Field(max_length=128)
    project: str = ""
    base_url: str = ""
    trigger: str = Field(default="cli", max_length=64)
    who: str | None = None
    state: str = Field(default="running", max_length=16, index=True)  # running | done | interrupted
    reason: str | None = None
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    verdict: str | None = Field(default=None, max_length=32)
    requests: int = 0
    summary: str | None = Field(default=None, sa_type=Text)  # JSON counts per status
    # Which process owns a running run, so another process opening the store does not
    # mark a run that is still in progress as interrupted.
    host: str | None = None
    pid: int | None = None


class ResultRow(SQLModel, table=True):
    __tablename__ = "lr_results"
    __table_args__ = (UniqueConstraint("run_id", "check_id", name="uq_lr_results_run_check"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="lr_runs.id", ondelete="CASCADE", max_length=64)
    position: int = 0
    check_id: str = Field(max_length=128, index=True)
    title: str = ""
    category: str = ""
    severity: str = "info"
    status: str = Field(max_length=16)
    summary: str = Field(default="", sa_type=Text)
    findings: str = Field(default="[]", sa_type=Text)  # JSON list of Finding dicts
    remediation: str = Field(default="", sa_type=Text)
    owner: str | None = None
    duration_ms: int = 0
    requests: int = 0
    waived_status: str | None = None
    waiver_reason: str | None = Field(default=None, sa_type=Text)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class ChecklistRow(SQLModel, table=True):
    __tablename__ = "lr_checklist"
    __table_args__ = (UniqueConstraint("target", "check_id", name="uq_lr_checklist_target_check"),)

    id: int | None = Field(default=None, primary_key=True)
    target: str = Field(max_length=128)
    check_id: str = Field(max_length=128)
    title: str = ""
    severity: str = "medium"
    mode: str = "automated"
    owner: str | None = None
    due: date | None = None
    status: str = "open"
    last_run_id: str | None = None
    last_summary: str | None = Field(default=None, sa_type=Text)
    last_result_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    waiver_reason: str | None = Field(default=None, sa_type=Text)
    waiver_expires: datetime | None = Field(default=None, sa_type=UTCDateTime)
    waiver_by: str | None = None
    waiver_granted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attested_by: str | None = None
    attestation_note: str | None = Field(default=None, sa_type=Text)
    attest_every_s: int | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class AuditRow(SQLModel, table=True):
    """Append-only: rows are inserted, never updated or deleted (SQLite enforces it)."""

    __tablename__ = "lr_audit"
    __table_args__ = (Index("ix_lr_audit_target_check", "target", "check_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)
    target: str = Field(max_length=128)
    check_id: str = Field(max_length=128)
    actor: str
    field: str = Field(max_length=32)
    old: str | None = Field(default=None, sa_type=Text)
    new: str | None = Field(default=None, sa_type=Text)
    note: str | None = Field(default=None, sa_type=Text)
