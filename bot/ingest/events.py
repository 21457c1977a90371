"""POST /ingest/events: our own events, signed per the Standard Webhooks spec.

Headers ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``
(``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``, several may be space-separated),
keyed with the base64 part of the ``whsec_`` secret in ``ingest.secret``. A bad signature or
a timestamp more than 5 minutes off is 401; malformed JSON or an unknown type is 400 naming
the field. The body is ``{"type": ..., "timestamp": ..., "data": {...}}`` with types
``http.request`` (route, status, latency_ms), ``webhook.failure`` (provider, event_id,
reason) and ``deploy`` (version). A delivery is stored before the 2xx (concurrent deliveries
share one transaction: group commit); a second delivery with the same ``webhook-id`` is
acknowledged as a duplicate and not processed again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from bot.ingest.common import Rejected, answer, parse_json, read_body, rejected
from bot.monitoring.monitoring import Monitoring
from bot.store.group_commit import NotStored
from bot.store.ops_tables import IngestedEventRow

__all__ = ["TOLERANCE", "TYPES", "handler", "sign", "signing_key", "validate", "verify"]

TOLERANCE = timedelta(minutes=5)
TYPES = ("http.request", "webhook.failure", "deploy")


def signing_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret; a secret without the prefix is used as-is."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_") :], validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode("utf-8")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for a delivery (tests, the benchmark, senders)."""
    payload = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), payload, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(headers: Mapping[str, str], body: bytes, secret: str, now: datetime) -> str:
    """Check the three headers; returns the ``webhook-id`` or raises :class:`Rejected` (401)."""
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    for name, value in (
        ("webhook-id", msg_id),
        ("webhook-timestamp", stamp),
        ("webhook-signature", signatures),
    ):
        if not value:
            raise Rejected(
                401, "unsigned", f"The {name} header is missing (Standard Webhooks signing)."
            )
    try:
        moment = int(stamp)
        skew = abs(now.timestamp() - moment)  # OverflowError: an integer past a float's range
    except (ValueError, OverflowError):
        raise Rejected(
            401, "timestamp", f"webhook-timestamp {stamp[:20]!r} is not Unix seconds."
        ) from None
    if skew > TOLERANCE.total_seconds():
        raise Rejected(
            401,
            "stale",
            f"webhook-timestamp is {skew:.0f}s away from now; the tolerance is 5 minutes.",
        )
    expected = sign(secret, msg_id, moment, body).split(",", 1)[1]
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return msg_id
    raise Rejected(
        401,
        "signature",
        "webhook-signature does not match the body (signed with another secret, or altered).",
    )


def _field(data: Mapping[str, Any], name: str, kind: type | tuple[type, ...], what: str) -> Any:
    value = data.get(name)
    if value is None:
        raise Rejected(400, "malformed", f"data.{name}: is required ({what}).")
    if isinstance(value, bool) or not isinstance(value, kind):
        raise Rejected(400, "malformed", f"data.{name}: {value!r} is not {what}.")
    return value


def validate(event: Any, received: datetime) -> IngestedEventRow:
    """The event as a row, or :class:`Rejected` (400) naming the field that is wrong."""
    if not isinstance(event, dict):
        raise Rejected(
            400, "malformed", "The body must be a JSON object with type, timestamp and data."
        )
    kind = event.get("type")
    if not isinstance(kind, str) or not kind:
        raise Rejected(400, "malformed", "type: is required (one of " + ", ".join(TYPES) + ").")
    if kind not in TYPES:
        raise Rejected(
            400,
            "unknown_type",
            f"type: {kind[:60]!r} is not a known event type (one of {', '.join(TYPES)}).",
        )
    stamp = event.get("timestamp")
    if not isinstance(stamp, str):
        raise Rejected(
            400,
            "malformed",
            "timestamp: is required (an ISO-8601 time such as 2026-11-30T06:00:00Z).",
        )
    try:
        occurred = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        raise Rejected(
            400, "malformed", f"timestamp: {stamp[:40]!r} is not an ISO-8601 time."
        ) from None
    if occurred.tzinfo is None:
        occurred = occurred.replace(tzinfo=UTC)
    occurred = min(occurred, received)  # a clock ahead of ours must not keep an event in the window
    data = event.get("data")
    if not isinstance(data, dict):
        raise Rejected(400, "malformed", "data: is required (a JSON object).")
    row = IngestedEventRow(
        source="events",
        type=kind,
        received_at=received,
        occurred_at=occurred,
        payload=json.dumps(event),
    )
    if kind == "http.request":
        row.route = str(_field(data, "route", str, 'a route such as "GET /api/chat"'))[:500]
        status = _field(data, "status", int, "an HTTP status code")
        if not 100 <= status <= 599:
            raise Rejected(
                400, "malformed", f"data.status: {status} is not an HTTP status code (100-599)."
            )
        row.status_code = status
        latency = _field(data, "latency_ms", (int, float), "a number of milliseconds")
        if latency < 0:
            raise Rejected(400, "malformed", f"data.latency_ms: {latency} is negative.")
        row.latency_ms = float(latency)
    elif kind == "webhook.failure":
        row.provider = str(_field(data, "provider", str, 'the sender, e.g. "stripe"'))[:64]
        _field(data, "event_id", str, "the provider's event id")
        _field(data, "reason", str, "why it failed")
    else:
        _field(data, "version", str, 'the version deployed, e.g. "1.4.2"')
    return row


def handler(
    monitoring: Monitoring, *, clock: Callable[[], datetime]
) -> Callable[[web.Request], Any]:
    async def ingest_events(request: web.Request) -> web.Response:
        config = monitoring.config.ingest
        if config.secret is None:
            return rejected(
                monitoring,
                "events",
                Rejected(
                    503,
                    "not_configured",
                    "Event ingest is off: set ingest.secret in app.yaml (a whsec_ secret).",
                ),
            )
        try:
            body = await read_body(request, config.max_body)
            now = clock()
            msg_id = verify(request.headers, body, config.secret.get_secret_value(), now)
            row = validate(parse_json(body), now)
        except Rejected as problem:
            return rejected(monitoring, "events", problem)
        row.delivery_id = msg_id[:255]
        try:
            stored = await monitoring.record_event(row)  # committed (with its batch) before the 2xx
        except NotStored:
            # Not acknowledged, so the sender retries; the same webhook-id is still new then.
            return answer(
                503,
                error="The event could not be stored right now; retry with the same webhook-id.",
            )
        if stored.duplicate:
            return answer(200, status="duplicate", id=msg_id)
        if row.type in ("http.request", "webhook.failure"):
            monitoring.evaluate_soon()
        return answer(202, status="accepted", id=msg_id)

    return ingest_events
