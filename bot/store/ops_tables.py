"""The tables of the running service: monitor state, incidents, alert deliveries, ingested
events, the digest ledger and one-time notices.

They sit beside the run and checklist tables of :mod:`bot.store.tables`, all named ``lr_*``;
:meth:`bot.store.Store.open` creates every one of them and the schema version covers them.
Only the store's repositories read and write them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from bot.store.tables import UTCDateTime

__all__ = [
    "ONE_UNRESOLVED_INDEX",
    "AlertDeliveryRow",
    "DigestRow",
    "IncidentRow",
    "IngestedEventRow",
    "MonitorStateRow",
    "NoticeRow",
    "TABLES",
]


class MonitorStateRow(SQLModel, table=True):
    """Counters per monitor, so a restart neither forgets a failing streak nor re-alerts."""

    __tablename__ = "lr_monitor_state"

    name: str = Field(primary_key=True, max_length=128)
    consecutive_failures: int = 0
    consecutive_successes: int = 0
    total_probes: int = 0
    last_probe_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_success: bool | None = None
    last_summary: str | None = Field(default=None, sa_type=Text)
    response_times: str = Field(default="[]", sa_type=Text)  # JSON list of the last N, for p95
    in_maintenance: bool = False


# At most one unresolved incident per fingerprint, whichever replica opens it: a partial
# unique index, so two replicas evaluating the same alert at once store one incident.
_UNRESOLVED = text("state != 'resolved'")
ONE_UNRESOLVED_INDEX = "uq_lr_incidents_unresolved_fingerprint"


class IncidentRow(SQLModel, table=True):
    __tablename__ = "lr_incidents"
    __table_args__ = (
        Index("ix_lr_incidents_fingerprint_state", "fingerprint", "state"),
        Index(
            ONE_UNRESOLVED_INDEX,
            "fingerprint",
            unique=True,
            sqlite_where=_UNRESOLVED,
            postgresql_where=_UNRESOLVED,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    fingerprint: str = Field(max_length=255)
    kind: str = Field(max_length=32)  # down | latency | errors | webhooks | alertmanager | sentry
    source: str = Field(default="", max_length=255)  # the monitor's name, the alert's, ...
    title: str = Field(max_length=500)
    summary: str = Field(sa_type=Text)  # the opening message: what failed, the value seen
    related_check: str | None = Field(default=None, max_length=128)
    link: str | None = Field(default=None, max_length=2000)
    state: str = Field(default="open", max_length=16, index=True)  # open | acknowledged | resolved
    started_at: datetime = Field(sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by: str | None = None
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: str | None = None
    resolution: str | None = Field(default=None, sa_type=Text)
    reminder_every_s: int | None = None
    last_reminder_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reopens: int = 0
    channel: str | None = None
    ts: str | None = None  # the alert message in Slack, once Slack accepted it


class AlertDeliveryRow(SQLModel, table=True):
    """One message an incident owes the channel; pending until Slack accepts it."""

    __tablename__ = "lr_alert_deliveries"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="lr_incidents.id", index=True)
    action: str = Field(max_length=16)  # open | reopen | ack | resolve | reminder
    actor: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    state: str = Field(default="pending", max_length=16, index=True)  # pending | sent
    step: int = 0  # edits already done, so a retry does not repeat them
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=Text)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ts: str | None = None


class IngestedEventRow(SQLModel, table=True):
    """Every accepted ingest delivery, written before the 2xx goes out."""

    __tablename__ = "lr_ingested_events"
    __table_args__ = (
        Index("ix_lr_ingested_kind_time", "type", "occurred_at"),
        Index("ix_lr_ingested_fingerprint", "fingerprint", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=32)  # events | alertmanager | sentry
    delivery_id: str | None = Field(default=None, max_length=255, unique=True)  # webhook-id
    type: str = Field(max_length=64)
    fingerprint: str | None = Field(default=None, max_length=255)
    status: str | None = Field(default=None, max_length=32)  # firing/resolved, Sentry's action
    received_at: datetime = Field(sa_type=UTCDateTime)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    route: str | None = Field(default=None, max_length=500)
    status_code: int | None = None
    latency_ms: float | None = None
    provider: str | None = Field(default=None, max_length=64)
    payload: str = Field(default="{}", sa_type=Text)


class DigestRow(SQLModel, table=True):
    """One digest per channel per day; the unique key is what makes it one across restarts."""

    __tablename__ = "lr_digests"
    __table_args__ = (UniqueConstraint("channel", "day", name="uq_lr_digests_channel_day"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=64)
    # YYYY-MM-DD in the digest's time zone; "YYYY-MM-DD pm" for hypercare's second digest
    # (16 since schema 2; bot.store.store migrates a schema-1 PostgreSQL column).
    day: str = Field(max_length=16)
    state: str = Field(default="pending", max_length=16)  # pending | sent | failed
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ts: str | None = None
    snapshot: str = Field(default="{}", sa_type=Text)  # check id -> status, for the next diff
    score: int | None = None
    verdict: str | None = None


class NoticeRow(SQLModel, table=True):
    """A one-time notice already sent (a waiver that expired), keyed so it is sent once."""

    __tablename__ = "lr_notices"

    key: str = Field(primary_key=True, max_length=255)
    created_at: datetime = Field(sa_type=UTCDateTime)


TABLES = (MonitorStateRow, IncidentRow, AlertDeliveryRow, IngestedEventRow, DigestRow, NoticeRow)
