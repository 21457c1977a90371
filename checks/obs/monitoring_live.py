"""obs.monitoring_live: monitors watch the pages that matter, alerts reach a channel, probes are green.

Pure: it sends no request. It reads ``ctx.facts["monitoring"]``, a :class:`MonitoringFacts`
that `launchready serve` hands to every run (the monitors from app.yaml and their latest
probe). Outside the service there is nothing to judge, and the check says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from checks.check import check
from checks.context import CheckContext
from checks.model import Finding, Outcome, Severity
from checks.target import Route, Target

__all__ = ["CHECK", "MonitorFact", "MonitoringFacts"]


@dataclass(frozen=True)
class MonitorFact:
    name: str
    method: str
    url: str
    last_success: bool | None = None  # None: not probed yet
    last_probe_at: datetime | None = None
    last_summary: str | None = None


@dataclass(frozen=True)
class MonitoringFacts:
    monitors: tuple[MonitorFact, ...] = ()
    channel: str | None = None  # where alerts go (slack.channel)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def _path_pattern(route: Route) -> re.Pattern[str]:
    # "{id}" in a route matches one path segment of the monitored URL.
    pieces = re.split(r"(\{[^}]+\})", route.path)
    regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in pieces)
    return re.compile(f"^{regex}/?$")


def _watches(monitor: MonitorFact, route: Route, target: Target) -> bool:
    if monitor.method.upper() != route.method:
        return False
    if _origin(monitor.url)[1:] != _origin(target.base_url)[1:]:
        return False
    return bool(_path_pattern(route).match(urlsplit(monitor.url).path or "/"))


@check(
    id="obs.monitoring_live",
    title="Monitoring is live: key routes watched, alerts reach a channel",
    severity=Severity.HIGH,
    passes_when=(
        "Monitors probe the home page, every health route and every private route of the target, "
        "alerts go to a Slack channel, and the latest probe of each monitor passed."
    ),
    why="After launch the team must hear within a minute that the app is down, slow or failing, before users say so.",
    breaks="An outage or a broken checkout is discovered by customers; nobody is paged and nobody knows since when.",
    remediation=(
        "Add monitors: entries in app.yaml for GET /, the health route and each private route (with the test "
        "user's token in headers:), set slack.channel, and run `launchready serve`."
    ),
    max_requests=0,
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    facts = ctx.facts.get("monitoring")
    if facts is None:
        return Outcome.skipped(
            "Monitoring facts come from the running service: this check runs inside `launchready serve` "
            "with monitors: configured in app.yaml."
        )
    if not isinstance(facts, MonitoringFacts):
        return Outcome.errored(
            f"The monitoring facts handed to this check are a {type(facts).__name__}, not MonitoringFacts; "
            "the service that ran it is out of date."
        )
    wanted: list[Route] = [Route.parse("GET /")]
    wanted += [r for r in target.health_routes if r not in wanted]
    wanted += [p.route for p in target.private_routes if p.route not in wanted]
    findings: list[Finding] = []
    unwatched = [route for route in wanted if not any(_watches(m, route, target) for m in facts.monitors)]
    for route in unwatched:
        findings.append(Finding(str(route), f"No monitor probes {route} on {target.base_url}."))
    if not facts.channel:
        findings.append(Finding("slack.channel", "Alerts reach no channel: slack.channel is not set."))
    red = [m for m in facts.monitors if m.last_success is False]
    for monitor in red:
        findings.append(
            Finding(
                monitor.name,
                f"The latest probe of monitor {monitor.name} ({monitor.method} {monitor.url}) failed: "
                f"{monitor.last_summary or 'no detail recorded'}.",
            )
        )
    if not facts.monitors:
        return Outcome.failed("No monitor is configured: nothing watches the app.", findings)
    if findings:
        parts = []
        if unwatched:
            parts.append(f"{len(unwatched)} of {len(wanted)} key routes are not watched ({', '.join(map(str, unwatched))})")
        if not facts.channel:
            parts.append("alerts reach no channel")
        if red:
            parts.append(f"{len(red)} monitor{'s' if len(red) != 1 else ''} failing ({', '.join(m.name for m in red)})")
        return Outcome.failed("; ".join(parts).capitalize() + ".", findings)
    waiting = [m for m in facts.monitors if m.last_success is None]
    if waiting:
        return Outcome.warned(
            f"Every key route is watched, but {', '.join(m.name for m in waiting)} "
            f"{'has' if len(waiting) == 1 else 'have'} not probed yet.",
            [Finding(m.name, f"Monitor {m.name} has not probed {m.url} yet.") for m in waiting],
        )
    return Outcome.passed(
        f"{len(facts.monitors)} monitors watch all {len(wanted)} key routes, alerts go to {facts.channel}, "
        "and every latest probe passed.",
        [Finding(m.name, f"{m.method} {m.url}: latest probe passed.") for m in facts.monitors],
    )
