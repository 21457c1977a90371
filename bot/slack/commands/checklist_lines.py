"""Checklist items as the Slack blocks list them (status, App Home)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.checklist import by_urgency
from bot.slack.blocks.run import ChecklistLine
from bot.store import ChecklistItem

__all__ = ["checklist_lines"]


def checklist_lines(items: Sequence[ChecklistItem], now: datetime) -> list[ChecklistLine]:
    return [
        ChecklistLine(
            check_id=i.check_id,
            title=i.title,
            severity=i.severity,
            status=i.display_status(now),
            owner=i.owner,
            due=i.due.isoformat() if i.due else None,
            overdue=i.overdue(now),
            summary=i.contradicted or i.stale or i.last_summary,
        )
        for i in by_urgency(items, now)
    ]
