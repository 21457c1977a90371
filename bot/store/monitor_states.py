"""Counters per monitor (``lr_monitor_state``), so a restart neither forgets a failing streak
nor alerts twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlmodel import select

from bot.store.ops_tables import MonitorStateRow
from bot.store.repository import Repository

__all__ = ["MonitorStates"]

T = TypeVar("T")


class MonitorStates(Repository):
    def get(self, name: str) -> MonitorStateRow:
        """The monitor's counters, or fresh ones for a monitor never probed."""
        with self.session() as session:
            return session.get(MonitorStateRow, name) or MonitorStateRow(name=name)

    def change(self, name: str, apply: Callable[[MonitorStateRow], T]) -> T:
        """Read, change with ``apply`` and write the counters in one transaction."""
        with self.session() as session:
            row = session.get(MonitorStateRow, name) or MonitorStateRow(name=name)
            answer = apply(row)
            session.add(row)
            session.commit()
            return answer

    def all(self) -> dict[str, MonitorStateRow]:
        with self.session() as session:
            return {row.name: row for row in session.exec(select(MonitorStateRow))}
