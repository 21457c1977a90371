"""POST /ingest/sentry: Sentry integration webhooks (issue, metric and event alerts).

Verified with ``Sentry-Hook-Signature``: the hex HMAC-SHA256 of the raw body keyed with the
integration's client secret (``ingest.sentry_secret``). ``Sentry-Hook-Resource`` says what
the body is:

- ``issue``: ``created``/``unresolved`` open the incident of that issue, ``resolved``/
  ``ignored``/``archived`` resolve it;
- ``metric_alert``: ``critical``/``warning`` open the incident of that alert rule,
  ``resolved`` resolves it;
- ``event_alert``: ``triggered`` opens the incident of the event's issue.

Other resources (installation, comments) are verified, stored and acknowledged. A delivery
whose fingerprint already has the same status is acknowledged and not processed twice.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.ingest.common import Rejected, answer, link_or_none, parse_json, read_body, rejected
from bot.monitoring.monitoring import Monitoring
from bot.store import in_thread
from bot.store.ops_tables import IngestedEventRow

__all__ = ["handler", "interpret", "sign"]

STALE_AFTER_S = 300
OPENS = {"created", "unresolved", "critical", "warning", "triggered"}
RESOLVES = {"resolved", "ignored", "archived"}


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def interpret(resource: str, payload: Any) -> tuple[str, str, str, str, str | None] | None:
    """``(fingerprint, action, title, summary, link)`` for alert resources, None for others;
    :class:`Rejected` (400) naming the field when an alert body lacks what it needs."""
    if not isinstance(payload, dict):
        raise Rejected(400, "malformed", "The body must be a JSON object (a Sentry webhook).")
    action = payload.get("action")
    data = _dict(payload.get("data"))
    if resource not in ("issue", "metric_alert", "event_alert"):
        return None
    if not isinstance(action, str) or not action:
        raise Rejected(400, "malformed", "action: is required.")
    if resource == "issue":
        issue = data.get("issue")
        if not isinstance(issue, dict) or not issue.get("id"):
            raise Rejected(400, "malformed", "data.issue.id: is required for an issue webhook.")
        title = str(issue.get("title") or issue.get("shortId") or f"issue {issue['id']}")
        culprit = f" in {issue['culprit']}" if issue.get("culprit") else ""
        level = f" ({issue['level']})" if issue.get("level") else ""
        summary = f"Sentry issue {issue.get('shortId') or issue['id']}{level}: {title}{culprit}; action {action}."
        link = issue.get("web_url") or issue.get("permalink")
        return f"sentry:issue:{issue['id']}", action, title, summary, link
    if resource == "metric_alert":
        alert = _dict(data.get("metric_alert"))
        rule = _dict(alert.get("alert_rule"))
        key = alert.get("id") or rule.get("id")
        if not key:
            raise Rejected(
                400, "malformed", "data.metric_alert.id: is required for a metric alert webhook."
            )
        title = str(data.get("description_title") or rule.get("name") or f"metric alert {key}")
        text = data.get("description_text") or ""
        summary = f"Sentry metric alert {title} is {action}" + (f": {text}" if text else ".")
        return f"sentry:metric:{key}", action, title, summary, data.get("web_url")
    event = _dict(data.get("event"))
    key = event.get("issue_id") or event.get("event_id")
    if not key:
        raise Rejected(
            400, "malformed", "data.event.issue_id: is required for an event alert webhook."
        )
    rule = data.get("triggered_rule") or "an alert rule"
    title = str(event.get("title") or f"event {key}")
    summary = f"Sentry alert rule {rule} triggered on {title}."
    return f"sentry:issue:{key}", action, title, summary, event.get("web_url")


def handler(
    monitoring: Monitoring, *, clock: Callable[[], datetime]
) -> Callable[[web.Request], Any]:
    async def ingest_sentry(request: web.Request) -> web.Response:
        config = monitoring.config.ingest
        if config.sentry_secret is None:
            return rejected(
                monitoring,
                "sentry",
                Rejected(
                    503,
                    "not_configured",
                    "Sentry ingest is off: set ingest.sentry_secret in app.yaml (the integration's client secret).",
                ),
            )
        try:
            body = await read_body(request, config.max_body)
            signature = request.headers.get("Sentry-Hook-Signature", "")
            if not signature:
                raise Rejected(401, "unsigned", "The Sentry-Hook-Signature header is missing.")
            if not hmac.compare_digest(
                signature.strip().lower(), sign(config.sentry_secret.get_secret_value(), body)
            ):
                raise Rejected(
                    401,
                    "signature",
                    "Sentry-Hook-Signature does not match the body (another client secret, or altered).",
                )
            stamp = request.headers.get("Sentry-Hook-Timestamp", "")
            if stamp:
                # Not covered by the signature, so no defence against a forger; it does stop a
                # delivery captured and replayed later with its headers intact.
                try:
                    skew = abs(clock().timestamp() - float(stamp))
                except ValueError:
                    raise Rejected(
                        401,
                        "timestamp",
                        f"Sentry-Hook-Timestamp {stamp[:20]!r} is not Unix seconds.",
                    ) from None
                if skew > STALE_AFTER_S:
                    raise Rejected(
                        401,
                        "stale",
                        f"Sentry-Hook-Timestamp is {skew:.0f}s away from now; the tolerance is 5 minutes.",
                    )
            resource = request.headers.get("Sentry-Hook-Resource", "")
            if not resource:
                raise Rejected(
                    400,
                    "malformed",
                    "The Sentry-Hook-Resource header is missing (issue, metric_alert, event_alert, ...).",
                )
            payload = parse_json(body)
            meaning = interpret(resource, payload)
        except Rejected as problem:
            return rejected(monitoring, "sentry", problem)
        now = clock()
        if meaning is None:
            await in_thread(
                monitoring.store_event,
                IngestedEventRow(
                    source="sentry",
                    type=f"sentry.{resource}"[:64],
                    received_at=now,
                    occurred_at=now,
                    payload=body.decode("utf-8", "replace"),
                ),
            )
            return answer(200, status="accepted", processed=False)
        fingerprint, action, title, summary, link = meaning
        if await in_thread(monitoring.last_status, fingerprint) == action:
            return answer(200, status="duplicate")
        await in_thread(
            monitoring.store_event,
            IngestedEventRow(
                source="sentry",
                type=f"sentry.{resource}",
                fingerprint=fingerprint,
                status=action,
                received_at=now,
                occurred_at=now,
                payload=body.decode("utf-8", "replace"),
            ),
        )
        if action in OPENS:
            await in_thread(
                monitoring.incidents.open,
                fingerprint=fingerprint,
                kind="sentry",
                title=title[:300],
                summary=summary[:2000],
                source="sentry",
                link=link_or_none(link),
                now=now,
            )
        elif action in RESOLVES:
            await in_thread(
                monitoring.incidents.resolve_fingerprint,
                fingerprint,
                actor="Sentry",
                reason=f"Sentry reports it {action}.",
                now=now,
            )
        monitoring.flush_soon()
        return answer(200, status="accepted", processed=True)

    return ingest_sentry
