"""Evidence-bound results: is a pass still about what is deployed now? (issue 17, part 1)"""

from __future__ import annotations

from bot.freshness.judge import Current, mark_items, mark_report, stale_reason
from bot.freshness.observe import current_of, observe_build

__all__ = ["Current", "current_of", "mark_items", "mark_report", "observe_build", "stale_reason"]
