"""Signing webhook deliveries the way each provider does, so checks can forge good and bad ones.

Schemes (see NOTES.md):

- ``stripe``: ``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``; the
  ``whsec_`` secret is used as-is.
- ``standard`` (Standard Webhooks): ``webhook-id``, ``webhook-timestamp`` and
  ``webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<t>.<body>")>`` where the key is the
  base64 part of a ``whsec_...`` secret.
- ``github``: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>``; no timestamp.
- ``hmac-sha256``: ``<header>: <hex HMAC-SHA256(secret, body)>``; no timestamp.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "Delivery",
    "SigningError",
    "TIMESTAMPED",
    "build_event",
    "make_delivery",
    "sign",
    "standard_key",
]

TIMESTAMPED = frozenset({"stripe", "standard"})


class SigningError(ValueError):
    """The configured secret cannot be used with its scheme; the message says why."""


@dataclass(frozen=True)
class Delivery:
    """One webhook request: the exact bytes and headers, so it can be replayed byte for byte."""

    event_id: str
    timestamp: int
    body: bytes
    headers: dict[str, str]

    def resent(self) -> Delivery:
        return replace(self, headers=dict(self.headers))


def standard_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret: the base64 after ``whsec_``."""
    encoded = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SigningError(
            "a Standard Webhooks secret must be whsec_ followed by base64 (the signing key)"
        ) from exc


def sign(
    scheme: str,
    secret: str,
    body: bytes,
    *,
    timestamp: int,
    msg_id: str,
    header: str | None = None,
) -> dict[str, str]:
    """The signature headers a provider would send with ``body``."""
    if scheme == "stripe":
        mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        return {"Stripe-Signature": f"t={timestamp},v1={mac}"}
    if scheme == "standard":
        signed = f"{msg_id}.{timestamp}.".encode() + body
        mac = base64.b64encode(hmac.new(standard_key(secret), signed, hashlib.sha256).digest()).decode()
        return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": f"v1,{mac}"}
    if scheme == "github":
        mac = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return {"X-Hub-Signature-256": f"sha256={mac}", "X-GitHub-Delivery": msg_id}
    if scheme == "hmac-sha256":
        if not header:
            raise SigningError("scheme hmac-sha256 needs header: (the request header that carries the signature)")
        return {header: hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}
    raise SigningError(f'"{scheme}" is not a webhook scheme (stripe, standard, github, hmac-sha256)')


def new_event_id(scheme: str) -> str:
    prefix = {"stripe": "evt_", "standard": "msg_"}.get(scheme, "")
    return prefix + "launchready_" + secrets.token_hex(8)


def build_event(scheme: str, event: dict[str, Any] | None, *, event_id: str, timestamp: int) -> dict[str, Any]:
    """A provider-shaped test event; the configured ``event`` overrides its fields.

    The id is always ours: every probe needs a fresh one, or a deduplicating app would
    answer a probe as a duplicate and hide what it does with signatures.
    """
    if scheme == "stripe":
        base: dict[str, Any] = {
            "object": "event",
            "type": "checkout.session.completed",
            "created": timestamp,
            "livemode": False,
            "data": {"object": {"object": "checkout.session", "id": "cs_test_launchready", "amount_total": 100}},
        }
    elif scheme == "github":
        base = {"action": "created", "zen": "Launch Ready test delivery", "hook_id": 1}
    else:
        base = {"type": "launchready.test", "timestamp": timestamp, "data": {"source": "launchready"}}
    merged = _merge(base, event or {})
    if scheme != "github":
        merged["id"] = event_id
    return merged


def make_delivery(
    scheme: str,
    secret: str,
    event: dict[str, Any] | None,
    *,
    timestamp: int,
    event_id: str | None = None,
    header: str | None = None,
) -> Delivery:
    """A correctly signed delivery of a fresh (or the given) event id at ``timestamp``."""
    event_id = event_id or new_event_id(scheme)
    body = json.dumps(build_event(scheme, event, event_id=event_id, timestamp=timestamp), separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json"}
    if scheme == "github":
        headers["X-GitHub-Event"] = str((event or {}).get("event", "ping"))
    headers.update(sign(scheme, secret, body, timestamp=timestamp, msg_id=event_id, header=header))
    return Delivery(event_id=event_id, timestamp=timestamp, body=body, headers=headers)


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged
