"""Which checks promised what an incident shows broken.

A monitor's incident carries its route (the monitor's method and URL path); the target is the
monitor's ``target:`` or the one whose host the URL names. The checks that cover a route:

* ``obs.health``: the route is one of ``health_routes``;
* ``auth.private_routes`` (and ``auth.role_boundaries`` when the route has roles): it is one of
  ``private_routes``;
* ``perf.latency_p95``: it is one of ``latency.routes``, or the incident is about latency;
* ``webhooks.signature`` and ``webhooks.replay``: it is one of the ``webhooks`` routes.

An incident with no route (an ingest alert) links to its ``related_check`` on every target.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.config import AppConfig, MonitorConfig
from bot.monitoring.incidents import Incident
from checks.target import Route, Target

__all__ = ["Coverage", "covering"]

_LATENCY = "perf.latency_p95"
_WEBHOOK_CHECKS = ("webhooks.signature", "webhooks.replay")


@dataclass(frozen=True)
class Coverage:
    """The checks of one target that an incident contradicts."""

    target: str
    checks: tuple[str, ...]
    route: str | None = None  # "GET /api/me", when the incident names one


def covering(config: AppConfig, incident: Incident) -> list[Coverage]:
    monitor = _monitor_of(config, incident)
    if monitor is None:
        if not incident.related_check:
            return []
        return [Coverage(name, (incident.related_check,)) for name in config.targets]
    parts = urlsplit(monitor.url)
    method, path = monitor.method.upper(), parts.path or "/"
    found = []
    for name, target in config.targets.items():
        if monitor.target is not None and monitor.target != name:
            continue
        if monitor.target is None and (parts.hostname or "").lower() not in target.hosts:
            continue
        checks = _route_checks(target, method, path, incident.kind)
        if checks:
            found.append(Coverage(name, checks, f"{method} {path}"))
    return found


def _monitor_of(config: AppConfig, incident: Incident) -> MonitorConfig | None:
    name = incident.source or incident.fingerprint.removeprefix("monitor:")
    if not incident.fingerprint.startswith("monitor:"):
        return None
    return next((m for m in config.monitors if m.name == name), None)


def _route_checks(target: Target, method: str, path: str, kind: str) -> tuple[str, ...]:
    checks: list[str] = []
    if any(_matches(r, method, path) for r in target.health_routes):
        checks.append("obs.health")
    private = [p for p in target.private_routes if _matches(p.route, method, path)]
    if private:
        checks.append("auth.private_routes")
        if any(p.roles for p in private):
            checks.append("auth.role_boundaries")
    if target.latency is not None and (
        kind == "latency" or any(_matches(r, method, path) for r in target.latency.routes)
    ):
        checks.append(_LATENCY)
    if any(_matches(w.route, method, path) for w in target.webhooks):
        checks.extend(_WEBHOOK_CHECKS)
    return tuple(checks)


def _matches(route: Route, method: str, path: str) -> bool:
    """``GET /api/items/{id}`` matches ``GET /api/items/42``."""
    if route.method != method:
        return False
    pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(route.path)) + "/?$"
    return re.match(pattern, path) is not None
