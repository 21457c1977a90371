"""The checklist's order: what needs someone now comes before what is settled."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.store import ChecklistItem
from checks.model import Status

__all__ = ["STATUS_ORDER", "by_urgency"]

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


def by_urgency(items: Iterable[ChecklistItem], now: datetime) -> list[ChecklistItem]:
    """Checklist items, what needs someone now first: display status, then overdue, then
    severity. (Run results have their own order: :func:`reports.order.worst_first`.)"""

    def key(item: ChecklistItem) -> tuple[int, int, int, str]:
        status = item.display_status(now)
        rank = STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)
        return (rank, 0 if item.overdue(now) else 1, item.severity.rank, item.check_id)

    return sorted(items, key=key)
