"""The store: runs, results, the launch checklist and its audit log (SQLModel, SQLite by default).

``from bot.store import Store`` is the entry point; everything it returns is a frozen
dataclass from :mod:`bot.store.records`.
"""

from __future__ import annotations

from bot.store.offload import in_thread
from bot.store.records import (
    AuditEntry,
    ChecklistError,
    ChecklistItem,
    Rotation,
    RunRecord,
    SchemaTooNewError,
    StoreError,
    UnknownItemError,
    UnknownRunError,
)
from bot.store.store import FILE_ACTOR, Store
from bot.store.tables import SCHEMA_VERSION

__all__ = [
    "AuditEntry",
    "ChecklistError",
    "ChecklistItem",
    "FILE_ACTOR",
    "Rotation",
    "RunRecord",
    "SCHEMA_VERSION",
    "SchemaTooNewError",
    "Store",
    "StoreError",
    "UnknownItemError",
    "UnknownRunError",
    "in_thread",
]
