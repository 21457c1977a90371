"""The demo app's in-memory world: tenants, users, tokens, conversations, billing."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.demo.api_state import ApiState

__all__ = ["DEMO_PASSWORD", "DemoState", "DemoUser", "demo_token"]

# Every demo user signs in with this password; the demo holds no real data.
DEMO_PASSWORD = "launch-ready-demo"


def demo_token(name: str, *, deterministic: bool) -> str:
    """A user's bearer token: random per run, or fixed (so a shipped app.yaml can name it)."""
    if deterministic:
        return (
            f"demo_{name}_" + hashlib.sha256(f"launchready-demo:{name}".encode()).hexdigest()[:24]
        )
    return "demo_" + secrets.token_urlsafe(18)


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
    # id -> {id, tenant, owner, title, messages}; shared by the API and conversation modules.
    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Chat canary, webhook secret, files, billing and rate-limit windows (bot/demo/api_state.py).
    api: ApiState = field(default_factory=ApiState.create)
    # Values modules want in the generated app.yaml's target, merged in module order.
    extra: dict[str, Any] = field(default_factory=dict)
    # Builds the whole demo app (every module's routes); DemoTarget sets it, and the edge serves
    # it again over plain HTTP without importing the server (which lists the edge).
    whole_app: Callable[[], Any] | None = None
    # The running servers' addresses, filled in by DemoTarget.start().
    base_url: str = ""
    host: str = "127.0.0.1"
    port: int = 0

    @classmethod
    def create(cls, *, hardened: bool, workdir: Path, deterministic: bool = False) -> DemoState:
        state = cls(
            hardened=hardened, workdir=workdir, api=ApiState.create(deterministic=deterministic)
        )
        for name, email, tenant, role in (
            ("alice", "alice@acme.test", "acme", "buyer"),
            ("bob", "bob@globex.test", "globex", "buyer"),
            ("root", "root@acme.test", "acme", "admin"),
        ):
            state.users[name] = DemoUser(
                name, email, tenant, role, demo_token(name, deterministic=deterministic)
            )
        state.conversations = {
            "c_1001": {
                "id": "c_1001",
                "tenant": "acme",
                "owner": "alice",
                "title": "Refund for order 77",
                "messages": [{"role": "user", "content": "Where is my refund for order 77?"}],
            },
            "c_2001": {
                "id": "c_2001",
                "tenant": "globex",
                "owner": "bob",
                "title": "Invoice address",
                "messages": [{"role": "user", "content": "Please change our invoice address."}],
            },
        }
        return state

    def user_by_token(self, token: str | None) -> DemoUser | None:
        if not token:
            return None
        return next(
            (u for u in self.users.values() if secrets.compare_digest(u.token, token)), None
        )
