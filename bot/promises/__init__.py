"""Incidents reopen the promise they broke (issue 17, part 3).

An incident on a monitored route is linked to the checks that promised that route works
(private routes, latency, health, webhooks); while it is open those items read
"contradicted by incident #N", and resolving it offers a rerun of exactly those checks.
"""

from __future__ import annotations

from bot.promises.coverage import Coverage, covering
from bot.promises.mark import contradictions, mark_items, mark_report

__all__ = ["Coverage", "contradictions", "covering", "mark_items", "mark_report"]
