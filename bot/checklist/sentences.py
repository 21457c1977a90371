"""What the checklist says: one sentence per change, for a terminal and for a channel.

The terminal names people as they were typed; a channel names them through ``who`` (Slack's
mention, so they are notified). Refusals name who may do it instead. Pure functions: storage
is :mod:`bot.store`, decisions are :mod:`bot.checklist.policy`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime

from bot.checklist.order import STATUS_ORDER
from bot.store import ChecklistError, ChecklistItem

__all__ = [
    "Names",
    "assign_sentence",
    "chat_assigned",
    "chat_done",
    "chat_done_refused",
    "chat_waive_refused",
    "chat_waived",
    "done_sentence",
    "parse_due",
    "summary_sentence",
    "waive_sentence",
]

# How a channel names a person: Slack's mention for a user id, the name otherwise.
Names = Callable[[str | None], str]


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


# -- in a channel ------------------------------------------------------------------------------


def admins_phrase(admins: Sequence[str], who: Names) -> str:
    return (
        ", ".join(who(a) for a in admins)
        if admins
        else "nobody yet (list them under slack.admins in app.yaml)"
    )


def chat_assigned(
    actor: str, target: str, before: ChecklistItem, after: ChecklistItem, who: Names
) -> str:
    due = f", due {after.due.isoformat()}" if after.due else ""
    if (before.owner, before.due) == (after.owner, after.due):
        return f"`{after.check_id}` on {target} already belongs to {who(after.owner)}{due}; nothing changed."
    was = f" (was {who(before.owner)})" if before.owner and before.owner != after.owner else ""
    return f":bust_in_silhouette: {who(actor)} assigned `{after.check_id}` on *{target}* to {who(after.owner)}{was}{due}."


def chat_done(actor: str, target: str, item: ChecklistItem, note: str | None, who: Names) -> str:
    quoted = f' ("{note}")' if note else ""
    if item.is_manual:
        return f":ballot_box_with_check: {who(actor)} attested `{item.check_id}` on *{target}*{quoted}."
    return (
        f":ballot_box_with_check: {who(actor)} marked `{item.check_id}` on *{target}* done{quoted}; "
        "the next run confirms it or reopens it."
    )


def chat_done_refused(item: ChecklistItem, admins: Sequence[str], who: Names) -> str:
    owner = (
        f"its owner ({who(item.owner)})"
        if item.owner
        else "its owner (it has none yet: assign it first)"
    )
    return f":no_entry: Only {owner} or an admin ({admins_phrase(admins, who)}) may mark `{item.check_id}` done."


def chat_waive_refused(admins: Sequence[str], who: Names) -> str:
    return f":no_entry: Only admins ({admins_phrase(admins, who)}) may waive checks."


def chat_waived(actor: str, target: str, item: ChecklistItem, who: Names) -> str:
    until = item.waiver_expires.date().isoformat() if item.waiver_expires else "?"
    return (
        f":zipper_mouth_face: {who(actor)} waived `{item.check_id}` on *{target}* until {until}: "
        f'"{item.waiver_reason}". It reports *waived*, never pass, and the waiver lapses by itself.'
    )
