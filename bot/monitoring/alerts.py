"""Thresholds over ingested events (the ``alerts:`` keys of app.yaml).

- latency: the p95 of ``http.request`` latencies in the window is above ``p95_ms``, with at
  least ``min_samples`` requests;
- errors: the share of 5xx answers in the window reaches ``rate``, with at least
  ``min_samples`` requests;
- webhooks: ``webhook.failure`` events in the window reach ``failures``.

Each breach opens one incident (fingerprint ``alert:<name>``); it resolves when the window no
longer breaches. :meth:`AlertEvaluator.evaluate` runs after every ingested batch and on a
scheduler tick, so an incident also resolves when the window slides past the bad events.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.config import AlertsConfig
from bot.monitoring.incidents import Incident, IncidentManager, format_duration
from bot.store.ingested_events import IngestedEvents, RequestSample
from checks.percentiles import p95

__all__ = ["AlertEvaluator", "Breach"]


@dataclass(frozen=True)
class Breach:
    name: str  # latency | errors | webhooks
    breaching: bool
    summary: str
    samples: int


def _window(delta: timedelta) -> str:
    return format_duration(delta)


class AlertEvaluator:
    def __init__(
        self, events: IngestedEvents, config: AlertsConfig, incidents: IncidentManager
    ) -> None:
        self.events = events
        self.config = config
        self.incidents = incidents

    def breaches(self, now: datetime) -> list[Breach]:
        latency, errors = self.config.latency, self.config.errors
        since = now - max(latency.window, errors.window)
        rows = self.events.requests_since(since)
        return [
            self._latency([r for r in rows if r.at >= now - latency.window]),
            self._errors([r for r in rows if r.at >= now - errors.window]),
            self._webhooks(now),
        ]

    def evaluate(self, now: datetime | None = None) -> list[Incident]:
        """Open or resolve the alert incidents; returns those that changed."""
        now = now or datetime.now(UTC)
        changed: list[Incident] = []
        for breach in self.breaches(now):
            fingerprint = f"alert:{breach.name}"
            if breach.breaching:
                incident, new = self.incidents.open(
                    fingerprint=fingerprint,
                    kind=breach.name,
                    title=_TITLES[breach.name],
                    summary=breach.summary,
                    source=fingerprint,
                    now=now,
                )
                if new:
                    changed.append(incident)
            else:
                resolved = self.incidents.resolve_fingerprint(
                    fingerprint,
                    actor="launchready",
                    reason=f"Back within the threshold: {breach.summary}",
                    now=now,
                )
                if resolved:
                    changed.append(resolved)
        return changed

    def _latency(self, requests: list[RequestSample]) -> Breach:
        rule = self.config.latency
        rows = [r for r in requests if r.latency_ms is not None]
        values = [float(r.latency_ms) for r in rows if r.latency_ms is not None]
        overall = p95(values)
        if overall is None or len(values) < rule.min_samples:
            return Breach(
                "latency",
                False,
                f"{len(values)} requests in the last {_window(rule.window)} (fewer than {rule.min_samples} to judge).",
                len(values),
            )
        by_route: dict[str, list[float]] = defaultdict(list)
        for row in rows:
            by_route[row.route].append(float(row.latency_ms or 0))
        worst, worst_p95 = max(
            ((route, p95(v) or 0.0) for route, v in by_route.items()), key=lambda item: item[1]
        )
        over = overall > rule.p95_ms
        sign = ">" if over else "<="
        summary = (
            f"p95 {overall:.0f} ms {sign} {rule.p95_ms} ms over the last {_window(rule.window)} "
            f"({len(values)} requests; slowest route {worst} at p95 {worst_p95:.0f} ms)."
        )
        return Breach("latency", over, summary, len(values))

    def _errors(self, requests: list[RequestSample]) -> Breach:
        rule = self.config.errors
        rows = [r for r in requests if r.status_code is not None]
        total = len(rows)
        failed = [r for r in rows if (r.status_code or 0) >= 500]
        if total < rule.min_samples:
            return Breach(
                "errors",
                False,
                f"{total} requests in the last {_window(rule.window)} (fewer than {rule.min_samples} to judge).",
                total,
            )
        share = len(failed) / total
        over = share >= rule.rate
        top = Counter(r.route for r in failed).most_common(1)
        where = f"; most on {top[0][0]} ({top[0][1]})" if top else ""
        sign = ">=" if over else "<"
        summary = (
            f"5xx rate {share:.1%} {sign} {rule.rate:.0%} over the last {_window(rule.window)} "
            f"({len(failed)} of {total} requests{where})."
        )
        return Breach("errors", over, summary, total)

    def _webhooks(self, now: datetime) -> Breach:
        rule = self.config.webhooks
        rows = self.events.of_type_since("webhook.failure", now - rule.window)
        count = len(rows)
        over = count >= rule.failures
        providers = ", ".join(
            f"{p}: {n}" for p, n in Counter(r.provider or "?" for r in rows).most_common()
        )
        last = ""
        if rows:
            reason = json.loads(rows[-1].payload or "{}").get("data", {}).get("reason")
            last = f"; last reason: {reason}" if reason else ""
        sign = ">=" if over else "<"
        summary = (
            f"{count} webhook failures {sign} {rule.failures} in the last {_window(rule.window)}"
            + (f" ({providers}{last})." if rows else ".")
        )
        return Breach("webhooks", over, summary, count)


_TITLES = {
    "latency": "Requests are slow (p95 over budget)",
    "errors": "5xx answers above the error budget",
    "webhooks": "Webhook deliveries are failing",
}
