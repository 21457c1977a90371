"""Crontab expressions to APScheduler 3 triggers, with crontab's weekday numbers.

APScheduler 3 numbers weekdays from Monday = 0, while crontab (and Gatus, and every user)
numbers them from Sunday = 0 (7 is Sunday too): ``CronTrigger.from_crontab("0 9 * * 1-5")``
would fire Tuesday to Saturday. :func:`crontab_trigger` rewrites the weekday field into
names first, so ``1-5`` means Monday to Friday as written.
"""

from __future__ import annotations

from datetime import tzinfo
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

__all__ = ["crontab_trigger", "weekday_names"]

_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekday_names(field: str) -> str:
    """``1-5`` -> ``mon,tue,wed,thu,fri``; names and ``*`` pass through."""
    parts = []
    for item in field.split(","):
        body, _, step_text = item.partition("/")
        step = int(step_text) if step_text.isdigit() else 1
        if body == "*":
            if step == 1:
                parts.append("*")
                continue
            body = "0-6"
        start, _, end = body.partition("-")
        if not start.isdigit() or (end and not end.isdigit()):
            parts.append(item)  # names (mon-fri) mean the same in both conventions
            continue
        first = int(start)
        last = int(end) if end else (6 if step_text else first)
        if not (0 <= first <= 7 and 0 <= last <= 7):
            raise ValueError(f"weekday {item!r} is out of range (0-7, Sunday is 0 or 7)")
        parts.extend(_NAMES[day] for day in range(first, last + 1, step))
    return ",".join(dict.fromkeys(parts))


def crontab_trigger(expression: str, timezone: str | tzinfo = "UTC") -> CronTrigger:
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f'"{expression}" is not a cron expression (five fields: minute hour day month weekday)')
    minute, hour, day, month, weekday = fields
    zone = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
    return CronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=weekday_names(weekday), timezone=zone
    )
