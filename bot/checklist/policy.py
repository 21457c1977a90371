"""Who may change the launch checklist, written once for the CLI and the Slack app.

Anyone may read the checklist and assign items. An item's owner or an admin may mark it done
(attest a manual one). Only admins may waive. A person at the terminal (``cli:$USER``) runs
with the operator's own database and config, so the CLI acts as an operator: it may do all of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.store import ChecklistItem

__all__ = ["Actor", "ChecklistPolicy", "NotPermitted"]


class NotPermitted(PermissionError):
    """The actor may not make this change; ``reason`` says who may."""

    def __init__(self, action: str, item: ChecklistItem | None = None) -> None:
        self.action = action  # "done" | "waive"
        self.item = item
        super().__init__(f"not permitted: {action}" + (f" {item.check_id}" if item else ""))


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a Slack user id, or ``cli:$USER`` for a local operator."""

    id: str
    operator: bool = False  # a person at the terminal with the config and database in hand

    @classmethod
    def cli(cls, user: str) -> Actor:
        return cls(id=user, operator=True)


@dataclass(frozen=True)
class ChecklistPolicy:
    admins: tuple[str, ...] = ()

    def is_admin(self, actor: Actor) -> bool:
        return actor.operator or actor.id in self.admins

    def may_mark_done(self, actor: Actor, item: ChecklistItem) -> bool:
        return actor.id == item.owner or self.is_admin(actor)

    def may_waive(self, actor: Actor) -> bool:
        return self.is_admin(actor)
