"""The demo's per-run data for chat, files, billing, webhooks and rate limits (issue 4)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ApiState"]


def _seeded(label: str, size: int, deterministic: bool) -> bytes:
    if deterministic:
        return hashlib.sha256(f"launchready-demo:{label}".encode()).digest()[:size]
    return secrets.token_bytes(size)


@dataclass
class ApiState:
    canary: str  # planted in the chat bot's system prompt
    webhook_secret: str  # the Stripe-style endpoint secret (whsec_...)
    files: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # user name -> uploads
    billing: dict[str, dict[str, int]] = field(default_factory=dict)  # tenant -> counters
    processed_events: set[str] = field(default_factory=set)
    hits: dict[str, list[float]] = field(default_factory=dict)  # rate-limit key -> request times

    @classmethod
    def create(cls, *, deterministic: bool = False) -> ApiState:
        canary = "LR-CANARY-" + _seeded("canary", 8, deterministic).hex()
        secret = "whsec_" + base64.b64encode(_seeded("stripe", 24, deterministic)).decode()
        return cls(canary=canary, webhook_secret=secret)

    def billing_of(self, tenant: str) -> dict[str, int]:
        return self.billing.setdefault(tenant, {"payments": 0, "credits_cents": 0})
