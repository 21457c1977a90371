"""Ordering, parsing and the sentences people read after a checklist change."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.checklist import (
    assign_sentence,
    by_urgency,
    done_sentence,
    parse_due,
    summary_sentence,
    waive_sentence,
)
from bot.store import ChecklistError, ChecklistItem
from checks.model import Severity

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def item(check_id: str, status: str = "open", severity: Severity = Severity.HIGH, **fields) -> ChecklistItem:
    base = ChecklistItem(
        target="staging",
        check_id=check_id,
        title=check_id,
        severity=severity,
        mode="manual" if check_id.startswith("manual.") else "automated",
        owner=None,
        due=None,
        status=status,
        last_run_id=None,
        last_summary=None,
        last_result_at=None,
        waiver_reason=None,
        waiver_expires=None,
        waiver_by=None,
        waiver_granted_at=None,
        attested_at=None,
        attested_by=None,
        attestation_note=None,
        attest_every=timedelta(days=30) if check_id.startswith("manual.") else None,
    )
    return replace(base, **fields)


def test_worst_first_puts_failures_then_overdue_then_severity() -> None:
    items = [
        item("obs.health", "pass"),
        item("api.cors", "warn", Severity.MEDIUM),
        item("tls.protocols", "fail", Severity.MEDIUM),
        item("auth.private_routes", "fail", Severity.CRITICAL),
        item("http.hsts", "fail", Severity.HIGH, due=date(2026, 11, 20)),
        item("manual.keys_rotated", "done", attested_at=NOW - timedelta(days=40)),
        item("secrets.repo", "fail", Severity.CRITICAL, waiver_reason="ok", waiver_expires=NOW + timedelta(days=1)),
        item("manual.edge_rules", "done", attested_at=NOW - timedelta(days=1)),
    ]
    ordered = [i.check_id for i in by_urgency(items, NOW)]
    assert ordered == [
        "http.hsts",  # failing and overdue
        "auth.private_routes",
        "tls.protocols",
        "manual.keys_rotated",  # attestation went stale
        "api.cors",
        "secrets.repo",  # waived
        "manual.edge_rules",  # attested
        "obs.health",
    ]


def test_item_helpers_read_the_clock_they_are_given() -> None:
    waived = item("http.hsts", "fail", waiver_reason="CDN sets it", waiver_expires=NOW + timedelta(days=2))
    assert waived.waiver_active(NOW) and waived.display_status(NOW) == "waived"
    assert not waived.waiver_active(NOW + timedelta(days=2)) and waived.display_status(NOW + timedelta(days=3)) == "fail"

    due = item("obs.health", "fail", due=date(2026, 11, 30))
    assert due.overdue(NOW) and not due.overdue(datetime(2026, 11, 30, 23, tzinfo=UTC))
    assert not replace(due, status="pass").overdue(NOW)
    assert not replace(due, status="done").overdue(NOW)

    manual = item("manual.keys_rotated", "manual", due=date(2026, 11, 1))
    assert manual.overdue(NOW) and manual.display_status(NOW) == "manual"
    attested = replace(manual, attested_at=NOW - timedelta(days=3), status="done")
    assert attested.display_status(NOW) == "attested" and not attested.overdue(NOW)


def test_parse_due_accepts_iso_dates_only() -> None:
    assert parse_due(" 2026-12-10 ") == date(2026, 12, 10)
    for bad in ("12/10/2026", "tomorrow", "2026-13-01", ""):
        with pytest.raises(ChecklistError, match="is not a date \\(use YYYY-MM-DD"):
            parse_due(bad)


def test_sentences_say_what_changed() -> None:
    before = item("auth.private_routes", owner="U0ALICE")
    after = replace(before, owner="U0CAROL", due=date(2026, 12, 10))
    assert assign_sentence(before, after) == (
        "auth.private_routes on staging now belongs to U0CAROL (was U0ALICE), due 2026-12-10."
    )
    assert assign_sentence(after, after) == "auth.private_routes already belongs to U0CAROL, due 2026-12-10; nothing changed."

    attested = item("manual.keys_rotated", "done", attested_at=NOW, attested_by="cli:bob", attestation_note="all five")
    assert done_sentence(attested, NOW) == (
        'manual.keys_rotated on staging attested by cli:bob ("all five"); it goes stale on 2026-12-31.'
    )
    assert "next run confirms it" in done_sentence(item("obs.health", "done"), NOW)

    waived = item("http.hsts", waiver_reason="CDN sets it", waiver_expires=NOW + timedelta(days=7), waiver_by="cli:amy")
    assert waive_sentence(waived).startswith('http.hsts on staging waived until 2026-12-08 by cli:amy: "CDN sets it".')
    assert "never pass" in waive_sentence(waived)


def test_summary_sentence_counts_by_status() -> None:
    items = [item("a.b", "fail", due=date(2026, 11, 1)), item("c.d", "pass"), item("e.f", "fail")]
    assert summary_sentence(items, NOW) == "3 items: 2 fail, 1 pass, 1 overdue."
    assert summary_sentence([], NOW) == "0 items: none yet."
