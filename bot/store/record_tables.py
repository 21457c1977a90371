"""The tables of the launch as a living record (issue 17): what each result was measured
against, the builds the app reported, leaked secrets awaiting rotation, and sign-offs.

Created with every other table by :meth:`bot.store.Store.open`; they arrived with schema 2.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.tables import UTCDateTime

__all__ = ["BuildSightingRow", "ResultBasisRow", "RotationRow", "SignoffRow", "TABLES"]


class ResultBasisRow(SQLModel, table=True):
    """What one result was measured against (see :class:`checks.basis.Basis`)."""

    __tablename__ = "lr_result_basis"
    __table_args__ = (UniqueConstraint("run_id", "check_id", name="uq_lr_result_basis_run_check"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="lr_runs.id", ondelete="CASCADE", max_length=64)
    check_id: str = Field(max_length=128)
    config_keys: str = Field(default="[]", sa_type=Text)  # JSON list of targets.<name> keys
    config_hash: str = Field(default="", max_length=64)
    repo_head: str | None = Field(default=None, max_length=64)
    build: str | None = Field(default=None, max_length=128)
    measured_at: datetime = Field(sa_type=UTCDateTime)


class BuildSightingRow(SQLModel, table=True):
    """A build the app reported, and when: the newest is "the app is now at"."""

    __tablename__ = "lr_build_sightings"
    __table_args__ = (Index("ix_lr_build_sightings_target_seen", "target", "seen_at"),)

    id: int | None = Field(default=None, primary_key=True)
    target: str = Field(max_length=128)
    build: str = Field(max_length=128)
    seen_at: datetime = Field(sa_type=UTCDateTime)
    source: str = Field(default="run", max_length=32)  # run | status | digest


class RotationRow(SQLModel, table=True):
    """A leaked secret, by fingerprint: open until it is gone and its rotation is shown."""

    __tablename__ = "lr_rotations"
    __table_args__ = (UniqueConstraint("target", "fingerprint", name="uq_lr_rotations_target_fp"),)

    id: int | None = Field(default=None, primary_key=True)
    target: str = Field(max_length=128)
    fingerprint: str = Field(max_length=128)
    rule_id: str = Field(max_length=128)
    file: str = Field(default="", max_length=1000)
    line: int | None = None
    commit: str | None = Field(default=None, max_length=64)
    owner: str | None = None
    opened_at: datetime = Field(sa_type=UTCDateTime)
    in_tree: bool = True
    in_history: bool = False
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    rotated_by: str | None = None  # who rotated the key, as attested
    rotated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attested_by: str | None = None  # who recorded the attestation
    attested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revocation: str | None = Field(default=None, max_length=16)  # revoked | live | unknown
    revocation_note: str | None = Field(default=None, sa_type=Text)
    revocation_checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SignoffRow(SQLModel, table=True):
    """A signed go/no-go record: the verdict of one run, the waivers in force, who signed."""

    __tablename__ = "lr_signoffs"

    id: int | None = Field(default=None, primary_key=True)
    target: str = Field(max_length=128, index=True)
    run_id: str = Field(max_length=64)
    verdict: str = Field(max_length=32)
    waivers: str = Field(default="[]", sa_type=Text)  # JSON list of {check_id, reason, by, expires}
    signed_by: str
    signed_at: datetime = Field(sa_type=UTCDateTime)
    note: str | None = Field(default=None, sa_type=Text)
    channel: str | None = None
    ts: str | None = None
    broken_by_run: str | None = Field(default=None, max_length=64)  # the run whose verdict differs
    broken_verdict: str | None = Field(default=None, max_length=32)
    broken_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


TABLES = (ResultBasisRow, BuildSightingRow, RotationRow, SignoffRow)
