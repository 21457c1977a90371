"""A webhook receiver for tests: verifies (or not) each scheme, dedups (or not), and counts
processed events at GET /billing, the route the replay check observes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from aiohttp import web

from checks.webhooks.signing import standard_key

__all__ = ["receiver"]


def _valid(scheme: str, secret: str, request_headers, body: bytes, tolerance: int | None, header: str | None) -> bool:
    h = request_headers
    now = time.time()
    if scheme == "stripe":
        parts = dict(p.split("=", 1) for p in h.get("Stripe-Signature", "").split(",") if "=" in p)
        if "t" not in parts or "v1" not in parts:
            return False
        expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
        fresh = tolerance is None or abs(now - int(parts["t"])) <= tolerance
        return hmac.compare_digest(expected, parts["v1"]) and fresh
    if scheme == "standard":
        msg_id, ts = h.get("webhook-id", ""), h.get("webhook-timestamp", "0")
        mac = base64.b64encode(hmac.new(standard_key(secret), f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
        given = [s.split(",", 1)[1] for s in h.get("webhook-signature", "").split() if s.startswith("v1,")]
        fresh = tolerance is None or abs(now - int(ts)) <= tolerance
        return any(hmac.compare_digest(mac, g) for g in given) and fresh
    if scheme == "github":
        mac = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(mac, h.get("X-Hub-Signature-256", ""))
    mac = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, h.get(header or "", ""))


def receiver(scheme: str, secret: str, *, verify: bool, dedup: bool, tolerance: int | None = 300, header: str | None = None, accept: bool = True) -> web.Application:
    processed: list[str] = []
    seen: set[str] = set()
    app = web.Application()

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        if not accept:
            return web.json_response({"error": "disabled"}, status=410)
        if verify and not _valid(scheme, secret, request.headers, body, tolerance, header):
            return web.json_response({"error": "bad signature"}, status=400)
        event = json.loads(body)
        event_id = request.headers.get("webhook-id") or request.headers.get("X-GitHub-Delivery") or event.get("id")
        if dedup and event_id in seen:
            return web.json_response({"duplicate": True})
        seen.add(event_id)
        processed.append(event_id)
        return web.json_response({"received": True})

    async def billing(request: web.Request) -> web.Response:
        return web.json_response({"payments": len(processed)})

    app.router.add_post("/webhooks/in", hook)
    app.router.add_get("/billing", billing)
    return app
