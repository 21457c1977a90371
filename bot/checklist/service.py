"""The one home of checklist actions: read the status, assign, mark done (attest), waive.

The CLI, the Slack command handlers, the scorecard buttons and the Waive modal all call
:class:`ChecklistService`; the catalog and app.yaml are synced into the store once per target
before the first read or change, and :class:`~bot.checklist.policy.ChecklistPolicy` decides
who may change what. Methods are synchronous (SQLite); async callers hand them to a thread
with :func:`bot.store.in_thread`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from bot.checklist.order import by_urgency
from bot.checklist.policy import Actor, ChecklistPolicy, NotPermitted
from bot.checklist.present import Present
from bot.monitoring.incidents import Incident
from bot.store import ChecklistItem, Store
from checks.model import RunReport

if TYPE_CHECKING:
    from bot.config import AppConfig
    from checks.registry import Registry

__all__ = ["Assignment", "ChecklistService", "ChecklistStatus"]


@dataclass(frozen=True)
class Assignment:
    before: ChecklistItem
    after: ChecklistItem

    @property
    def changed(self) -> bool:
        return (self.before.owner, self.before.due) != (self.after.owner, self.after.due)


@dataclass(frozen=True)
class ChecklistStatus:
    target: str
    items: list[ChecklistItem]  # worst first
    now: datetime
    latest: RunReport | None = None


@dataclass
class ChecklistService:
    config: AppConfig
    store: Store
    registry: Registry
    policy: ChecklistPolicy = field(default_factory=ChecklistPolicy)
    _synced: set[str] = field(default_factory=set, repr=False)

    @classmethod
    def for_config(cls, config: AppConfig, store: Store, registry: Registry) -> ChecklistService:
        return cls(config, store, registry, ChecklistPolicy(admins=tuple(config.slack.admins)))

    def target(self, name: str | None) -> str:
        """The configured target's name (the first one for None); ConfigError otherwise."""
        return self.config.target(name)[0]

    def sync(self, target: str) -> list[str]:
        """Create the target's items from the catalog and app.yaml, once per service;
        returns the sentences for checklist keys that name no check."""
        if target in self._synced:
            return []
        warnings = self.store.sync_checklist(target, list(self.registry), self.config.checklist)
        self._synced.add(target)
        return warnings

    def items(self, target: str) -> list[ChecklistItem]:
        """Every item, worst first, each marked stale when its evidence no longer holds and
        contradicted while an open incident shows its promise broken."""
        return self._items(target, self._present(target))

    def item(self, target: str, check_id: str) -> ChecklistItem:
        self.sync(target)
        return self._present(target).items([self.store.item(target, check_id)])[0]

    def judged(self, target: str, report: RunReport) -> RunReport:
        """``report`` as it reads now: a pass whose evidence moved is stale, one an open
        incident contradicts is contradicted, and its verdict counts both."""
        return self._present(target).report(report)

    def _present(self, target: str) -> Present:
        incidents = [Incident.from_row(row) for row in self.store.incidents.unresolved()]
        return Present.of(self.config, target, self.store, incidents)

    def _items(self, target: str, present: Present) -> list[ChecklistItem]:
        self.sync(target)
        return by_urgency(present.items(self.store.items(target)), self.store.now())

    def stale(self, target: str) -> list[str]:
        """The ids of the items whose last pass (or warning) no longer holds."""
        return sorted(i.check_id for i in self.items(target) if i.stale)

    def status(self, target: str, *, with_report: bool = True) -> ChecklistStatus:
        present = self._present(target)
        items = self._items(target, present)
        latest = self.store.latest_report(target) if with_report else None
        if latest is not None:  # its verdict then counts stale or contradicted critical passes
            latest = present.report(latest)
        return ChecklistStatus(target=target, items=items, now=self.store.now(), latest=latest)

    def assign(
        self, target: str, check_id: str, owner: str, *, actor: Actor, due: date | None = None
    ) -> Assignment:
        before = self.item(target, check_id)
        after = self.store.assign(target, check_id, owner, due=due, actor=actor.id)
        return Assignment(before, after)

    def done(
        self, target: str, check_id: str, *, actor: Actor, note: str | None = None
    ) -> ChecklistItem:
        """Mark an automated item done, or attest a manual one: its owner or an admin."""
        item = self.item(target, check_id)
        if not self.policy.may_mark_done(actor, item):
            raise NotPermitted("done", item)
        return self.store.mark_done(target, check_id, note=note, actor=actor.id)

    def waive(
        self, target: str, check_id: str, *, actor: Actor, days: int, reason: str
    ) -> ChecklistItem:
        if not self.policy.may_waive(actor):
            raise NotPermitted("waive")
        self.sync(target)
        return self.store.waive(target, check_id, days=days, reason=reason, actor=actor.id)
