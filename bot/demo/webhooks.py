"""The demo's Stripe-style webhook: POST /webhooks/stripe credits the tenant's billing.

Flawed: no signature check, so unsigned, forged and stale deliveries all count, and a
duplicate event id is credited again. Hardened: Stripe-Signature verified with a 300 s
tolerance and event ids deduplicated (duplicates are acknowledged, not processed).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from aiohttp import web

from bot.demo.state import DemoState

__all__ = ["TOLERANCE_SECONDS", "install", "target_config", "verify_stripe"]

TOLERANCE_SECONDS = 300


def verify_stripe(secret: str, header: str, body: bytes, *, now: float, tolerance: int = TOLERANCE_SECONDS) -> bool:
    items = [part.split("=", 1) for part in header.split(",") if "=" in part]
    timestamps = [v for k, v in items if k.strip() == "t"]
    signatures = [v for k, v in items if k.strip() == "v1"]
    if not timestamps or not signatures or not timestamps[0].isdigit():
        return False
    if abs(now - int(timestamps[0])) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamps[0]}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, s) for s in signatures)


def _process(event: dict[str, Any], state: DemoState) -> None:
    session = (event.get("data") or {}).get("object") or {}
    tenant = str((session.get("metadata") or {}).get("tenant", "acme"))
    billing = state.api.billing_of(tenant)
    billing["payments"] += 1
    billing["credits_cents"] += int(session.get("amount_total") or 0)


def install(app: web.Application, state: DemoState) -> None:
    async def stripe(request: web.Request) -> web.Response:
        body = await request.read()
        if state.hardened:
            signature = request.headers.get("Stripe-Signature", "")
            if not verify_stripe(state.api.webhook_secret, signature, body, now=time.time()):
                return web.json_response({"error": "invalid or stale signature"}, status=400)
            try:
                event = json.loads(body)
            except ValueError:
                return web.json_response({"error": "body must be JSON"}, status=400)
            event_id = str(event.get("id", ""))
            if event_id in state.api.processed_events:
                return web.json_response({"received": True, "duplicate": True})
            state.api.processed_events.add(event_id)
        else:
            event = json.loads(body)
        _process(event, state)
        return web.json_response({"received": True})

    app.router.add_post("/webhooks/stripe", stripe)


def target_config(state: DemoState) -> dict[str, Any]:
    return {
        "webhooks": [
            {
                "route": "POST /webhooks/stripe",
                "scheme": "stripe",
                "secret": state.api.webhook_secret,
                "event": {"type": "checkout.session.completed", "data": {"object": {"amount_total": 1900, "metadata": {"tenant": "acme"}}}},
                "observe": "GET /api/billing",
                "observe_as": "alice",
            }
        ]
    }
