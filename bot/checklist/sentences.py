"""The launch checklist as people use it: order it worst first, parse what they type, and
say in one sentence what changed.

The CLI and the Slack app both call these, so a change reads the same in a terminal and in
a channel. Storage is :mod:`bot.store`; this module holds no state.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from bot.store import ChecklistError, ChecklistItem
from checks.model import Status

__all__ = [
    "STATUS_ORDER",
    "done_sentence",
    "assign_sentence",
    "parse_due",
    "summary_sentence",
    "waive_sentence",
    "worst_first",
]

# Display statuses, worst first: what needs someone now comes before what is settled.
STATUS_ORDER = (
    str(Status.FAIL),
    str(Status.ERROR),
    "stale",
    str(Status.WARN),
    str(Status.MANUAL),
    "open",
    str(Status.WAIVED),
    str(Status.SKIPPED),
    "done",
    "attested",
    str(Status.PASS),
)


def worst_first(items: Iterable[ChecklistItem], now: datetime) -> list[ChecklistItem]:
    def key(item: ChecklistItem) -> tuple[int, int, int, str]:
        status = item.display_status(now)
        rank = STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)
        return (rank, 0 if item.overdue(now) else 1, item.severity.rank, item.check_id)

    return sorted(items, key=key)


def parse_due(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ChecklistError(f'"{text}" is not a date (use YYYY-MM-DD, e.g. 2026-12-10).') from None


def summary_sentence(items: Iterable[ChecklistItem], now: datetime) -> str:
    items = list(items)
    counts: dict[str, int] = {}
    for item in items:
        status = item.display_status(now)
        counts[status] = counts.get(status, 0) + 1
    overdue = sum(1 for i in items if i.overdue(now))
    parts = [f"{counts[s]} {s}" for s in STATUS_ORDER if counts.get(s)]
    if overdue:
        parts.append(f"{overdue} overdue")
    return f"{len(items)} items: " + (", ".join(parts) if parts else "none yet") + "."


def assign_sentence(before: ChecklistItem, after: ChecklistItem) -> str:
    due = f", due {after.due.isoformat()}" if after.due else ""
    if (before.owner, before.due) == (after.owner, after.due):
        return f"{after.check_id} already belongs to {after.owner}{due}; nothing changed."
    was = f" (was {before.owner})" if before.owner and before.owner != after.owner else ""
    return f"{after.check_id} on {after.target} now belongs to {after.owner}{was}{due}."


def done_sentence(item: ChecklistItem, now: datetime) -> str:
    note = f' ("{item.attestation_note}")' if item.is_manual and item.attestation_note else ""
    if item.is_manual:
        until = (
            f"; it goes stale on {(item.attested_at + item.attest_every).date().isoformat()}"
            if item.attested_at and item.attest_every
            else ""
        )
        return f"{item.check_id} on {item.target} attested by {item.attested_by}{note}{until}."
    return f"{item.check_id} on {item.target} marked done; the next run confirms it or reopens it."


def waive_sentence(item: ChecklistItem) -> str:
    until = item.waiver_expires.date().isoformat() if item.waiver_expires else "?"
    return (
        f'{item.check_id} on {item.target} waived until {until} by {item.waiver_by}: "{item.waiver_reason}". '
        "It reports waived, never pass, and the waiver lapses by itself."
    )
