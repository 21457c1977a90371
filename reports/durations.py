"""How long something took, as people read it: one helper for every report and message.

``elapsed`` is for time that passed (an incident open for ``3h 12m``, a run that took
``41.2s``); a configured period (``30s``, ``5m``, ``1d``) is written back as it is configured
by :func:`checks.target.format_duration`.
"""

from __future__ import annotations

from datetime import timedelta

__all__ = ["elapsed"]


def elapsed(delta: timedelta, *, tenths: bool = False) -> str:
    """``45s``, ``3m 20s``, ``2h 5m``, ``3d 4h``: the two largest units. ``tenths`` shows a
    duration under a minute to a tenth of a second (``41.2s``), for runs and probes."""
    total = delta.total_seconds()
    if tenths and total < 60:
        return f"{total:.1f}s"
    seconds = int(total)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds}s" if seconds else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"
