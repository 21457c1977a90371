"""Ingest's group commit: concurrent events share transactions, every 2xx is a stored row,
duplicates are acknowledged once, and a batch the database refuses acknowledges nothing.
On SQLite and on PostgreSQL (the ``ingest`` fixture runs on both)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from bot.store.group_commit import GroupCommit, NotStored
from tests.ingest.test_events import event, post, signed


async def test_concurrent_events_share_transactions_and_all_are_stored(ingest):
    bodies = [
        (f"msg_batch_{i}", event(route="GET /api/chat", status=200, latency_ms=10 + i))
        for i in range(120)
    ]
    answers = await asyncio.gather(
        *(post(ingest, body, signed(body, msg_id=msg)) for msg, body in bodies)
    )
    assert [a.status_code for a in answers] == [202] * 120
    assert ingest.monitoring.count_events("events") == 120
    writer = ingest.monitoring.event_writer
    assert writer.rows == 120
    assert writer.batches < 120  # some requests waited on a shared commit


async def test_the_same_delivery_sent_at_once_is_stored_once(ingest):
    body = event()
    answers = await asyncio.gather(
        *(post(ingest, body, signed(body, msg_id="msg_same")) for _ in range(8))
    )
    statuses = sorted(a.json()["status"] for a in answers)
    assert statuses == ["accepted"] + ["duplicate"] * 7
    assert ingest.monitoring.count_events("events") == 1
    assert ingest.monitoring.accepted["events"] == 1


async def test_a_refused_batch_is_not_acknowledged_and_the_retry_is_stored(ingest):
    engine = ingest.monitoring.store.engine
    with engine.begin() as conn:  # the table goes away: every write fails
        conn.execute(text("ALTER TABLE lr_ingested_events RENAME TO lr_ingested_events_away"))
    body = event()
    answers = await asyncio.gather(
        *(post(ingest, body, signed(body, msg_id=f"msg_r{i}")) for i in range(5))
    )
    assert [a.status_code for a in answers] == [503] * 5
    assert "retry with the same webhook-id" in answers[0].json()["error"]
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE lr_ingested_events_away RENAME TO lr_ingested_events"))
        assert conn.execute(text("SELECT COUNT(*) FROM lr_ingested_events")).scalar() == 0
    retried = await post(ingest, body, signed(body, msg_id="msg_r0"))
    assert retried.status_code == 202
    assert ingest.monitoring.count_events("events") == 1


def test_a_batch_keeps_its_order_and_marks_earlier_deliveries(ingest):
    from datetime import UTC, datetime

    from bot.store.ops_tables import IngestedEventRow

    now = datetime.now(UTC)

    def row(delivery: str | None) -> IngestedEventRow:
        return IngestedEventRow(
            source="events", type="deploy", delivery_id=delivery, received_at=now, occurred_at=now
        )

    events = ingest.monitoring.store.events
    assert not events.add(row("d1")).duplicate
    outcomes = events.add_many([row("d2"), row("d1"), row(None), row("d2"), row("d3")])
    assert [o.duplicate for o in outcomes] == [False, True, False, True, False]
    ids = [o.id for o in outcomes if not o.duplicate]
    assert all(isinstance(i, int) for i in ids) and len(set(ids)) == 3
    assert events.count() == 4


async def test_group_commit_fails_every_waiter_of_a_failed_batch():
    calls: list[list[int]] = []

    def write_many(rows: list[int]) -> list[int]:
        calls.append(rows)
        if 3 in rows:
            raise RuntimeError("database is away\nsecond line")
        return [r * 10 for r in rows]

    writer: GroupCommit[int, int] = GroupCommit(write_many)
    results = await asyncio.gather(*(writer.write(i) for i in range(6)), return_exceptions=True)
    failed = [r for r in results if isinstance(r, NotStored)]
    assert failed and all(str(e) == "database is away" for e in failed)
    batch_with_3 = next(c for c in calls if 3 in c)
    assert [results[i] for i in batch_with_3] == failed  # exactly that batch's waiters failed
    assert all(results[i] == i * 10 for c in calls if 3 not in c for i in c)
    with pytest.raises(NotStored):
        await writer.write(3)
