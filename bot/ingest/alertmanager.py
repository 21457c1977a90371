"""POST /ingest/alertmanager: Prometheus Alertmanager's webhook (payload version 4).

Authenticated with ``Authorization: Bearer <ingest.alertmanager_token>`` (Alertmanager's
``http_config.authorization``). Each alert of the payload is stored, then a ``firing`` alert
opens the incident keyed by its fingerprint and a ``resolved`` one resolves it. Alertmanager
repeats a firing notification every ``repeat_interval``: an alert whose last stored status
for its fingerprint is the same is acknowledged and not processed again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.ingest.common import Rejected, answer, link_or_none, parse_json, read_body, rejected
from bot.monitoring.monitoring import Monitoring
from bot.store import in_thread
from bot.store.ops_tables import IngestedEventRow

__all__ = ["handler", "parse_alerts"]


def _authorized(header: str, token: str) -> bool:
    scheme, _, value = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode(), token.encode()
    )


def _time(value: Any, fallback: datetime) -> datetime:
    if isinstance(value, str) and not value.startswith("0001-"):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            pass
    return fallback


def parse_alerts(payload: Any) -> list[dict[str, Any]]:
    """The payload's alerts, or :class:`Rejected` (400) naming the field that is wrong."""
    if not isinstance(payload, dict):
        raise Rejected(
            400, "malformed", "The body must be an Alertmanager webhook object (version 4)."
        )
    if str(payload.get("version")) != "4":
        raise Rejected(
            400,
            "malformed",
            f'version: {payload.get("version")!r} is not "4" (Alertmanager webhook payload version).',
        )
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        raise Rejected(400, "malformed", "alerts: is required (a list of alerts).")
    parsed = []
    for index, alert in enumerate(alerts):
        if not isinstance(alert, dict):
            raise Rejected(400, "malformed", f"alerts[{index}]: is not an object.")
        status = alert.get("status")
        if status not in ("firing", "resolved"):
            raise Rejected(
                400, "malformed", f"alerts[{index}].status: {status!r} is not firing or resolved."
            )
        labels = alert.get("labels")
        if not isinstance(labels, dict):
            raise Rejected(400, "malformed", f"alerts[{index}].labels: is required (an object).")
        fingerprint = alert.get("fingerprint")
        if not isinstance(fingerprint, str) or not fingerprint:
            # Older senders omit it; the label set identifies an alert the same way.
            fingerprint = hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[
                :16
            ]
        parsed.append({**alert, "fingerprint": fingerprint})
    return parsed


def handler(
    monitoring: Monitoring, *, clock: Callable[[], datetime]
) -> Callable[[web.Request], Any]:
    async def ingest_alertmanager(request: web.Request) -> web.Response:
        config = monitoring.config.ingest
        if config.alertmanager_token is None:
            return rejected(
                monitoring,
                "alertmanager",
                Rejected(
                    503,
                    "not_configured",
                    "Alertmanager ingest is off: set ingest.alertmanager_token in app.yaml.",
                ),
            )
        if not _authorized(
            request.headers.get("Authorization", ""), config.alertmanager_token.get_secret_value()
        ):
            return rejected(
                monitoring,
                "alertmanager",
                Rejected(
                    401,
                    "unauthorized",
                    "Authorization is not the configured bearer token (ingest.alertmanager_token).",
                ),
            )
        try:
            body = await read_body(request, config.max_body)
            alerts = parse_alerts(parse_json(body))
        except Rejected as problem:
            return rejected(monitoring, "alertmanager", problem)
        now = clock()
        accepted = duplicates = 0
        for alert in alerts:
            fingerprint = f"alertmanager:{alert['fingerprint']}"
            status = alert["status"]
            if await in_thread(monitoring.last_status, fingerprint) == status:
                duplicates += 1
                continue
            labels = {str(k): str(v) for k, v in alert["labels"].items()}
            await in_thread(
                monitoring.store_event,
                IngestedEventRow(
                    source="alertmanager",
                    type=f"alertmanager.{status}",
                    fingerprint=fingerprint,
                    status=status,
                    received_at=now,
                    occurred_at=min(_time(alert.get("startsAt"), now), now),
                    payload=json.dumps(alert)[:64_000],
                ),
            )
            accepted += 1
            name = labels.get("alertname", "alert")
            if status == "firing":
                annotations = (
                    alert.get("annotations") if isinstance(alert.get("annotations"), dict) else {}
                )
                detail = annotations.get("summary") or annotations.get("description") or ""
                shown = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k != "alertname")
                summary = (
                    f"Alertmanager: {name} is firing"
                    + (f": {detail}" if detail else "")
                    + (f" ({shown})." if shown else ".")
                )
                await in_thread(
                    monitoring.incidents.open,
                    fingerprint=fingerprint,
                    kind="alertmanager",
                    title=f"{name}" + (f" ({labels['severity']})" if "severity" in labels else ""),
                    summary=summary,
                    source="alertmanager",
                    related_check=labels.get("launchready_check"),
                    link=link_or_none(alert.get("generatorURL")),
                    now=now,
                )
            else:
                await in_thread(
                    monitoring.incidents.resolve_fingerprint,
                    fingerprint,
                    actor="Alertmanager",
                    reason=f"Alertmanager reports {name} resolved.",
                    now=now,
                )
        monitoring.flush_soon()
        return answer(200, status="accepted", accepted=accepted, duplicates=duplicates)

    return ingest_alertmanager
