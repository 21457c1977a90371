"""The demo app's in-memory world: tenants, users, tokens, conversations, billing."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["DemoState", "DemoUser"]


@dataclass
class DemoUser:
    name: str
    email: str
    tenant: str
    role: str
    token: str


@dataclass
class DemoState:
    """Shared by every demo module. ``hardened`` flips every planted mistake off."""

    hardened: bool
    workdir: Path  # where the demo writes its config, logs, .env, git repo
    users: dict[str, DemoUser] = field(default_factory=dict)
    # Values modules want in the generated app.yaml's target, merged in module order.
    extra: dict[str, Any] = field(default_factory=dict)
    # The running servers' addresses, filled in by DemoTarget.start().
    base_url: str = ""
    host: str = "127.0.0.1"
    port: int = 0

    @classmethod
    def create(cls, *, hardened: bool, workdir: Path) -> DemoState:
        state = cls(hardened=hardened, workdir=workdir)
        for name, email, tenant, role in (
            ("alice", "alice@acme.test", "acme", "buyer"),
            ("bob", "bob@globex.test", "globex", "buyer"),
            ("root", "root@acme.test", "acme", "admin"),
        ):
            state.users[name] = DemoUser(name, email, tenant, role, "demo_" + secrets.token_urlsafe(18))
        return state

    def user_by_token(self, token: str | None) -> DemoUser | None:
        if not token:
            return None
        return next((u for u in self.users.values() if secrets.compare_digest(u.token, token)), None)
