"""What an answer is judged against now: the target's HEAD and newest build, and the open
incidents.

A pass whose evidence moved reads stale, one an open incident contradicts reads contradicted,
and a report's verdict counts both. The checklist service (status, App Home, sign-off, the
handover) and the digest both judge through :class:`Present`, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot import freshness, promises
from bot.config import AppConfig
from bot.monitoring.incidents import Incident
from bot.store import ChecklistItem, Store
from checks.model import RunReport

__all__ = ["Present"]


@dataclass(frozen=True)
class Present:
    current: freshness.Current
    contradicted: dict[str, str]  # check id -> "contradicted by incident #N (...)"

    @classmethod
    def of(
        cls, config: AppConfig, target: str, store: Store, incidents: Iterable[Incident]
    ) -> Present:
        """Read once per answer: HEAD is a git call, the build and incidents database reads."""
        return cls(
            freshness.current_of(config, target, store),
            promises.contradictions(config, target, incidents),
        )

    def items(self, items: Iterable[ChecklistItem]) -> list[ChecklistItem]:
        return promises.mark_items(freshness.mark_items(items, self.current), self.contradicted)

    def report(self, report: RunReport) -> RunReport:
        return promises.mark_report(freshness.mark_report(report, self.current), self.contradicted)
