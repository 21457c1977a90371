"""A monitor: probe, evaluate the conditions, count, open and resolve its incident.

Gatus semantics with our names: after ``failure_threshold`` failing probes in a row the
monitor's incident opens; after ``success_threshold`` passing probes in a row it resolves
(announced when ``send_on_resolved``). During a maintenance window (a cron expression and a
duration) probes are still recorded but no alert opens, resolves or reminds. Counters and the
last response times live in ``lr_monitor_state``, so a restart picks up where it stopped.

:meth:`Monitor.tick` takes ``now``: the scheduler passes the wall clock, tests pass a clock
they advance, so threshold, reminder and maintenance sequences need no sleeping.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import MaintenanceWindow, MonitorConfig
from bot.monitoring.conditions import Condition, ConditionResult, Observation, parse_conditions
from bot.monitoring.cron import crontab_trigger
from bot.monitoring.incidents import Incident, IncidentManager
from bot.monitoring.probe import Prober
from bot.store import in_thread
from bot.store.monitor_states import MonitorStates
from bot.store.ops_tables import MonitorStateRow
from checks.percentiles import p95

__all__ = ["Maintenance", "Monitor", "TickResult"]

log = logging.getLogger(__name__)

_LATENCY = {"[RESPONSE_TIME]", "[P95_RESPONSE_TIME]"}


class Maintenance:
    """Maintenance windows: each starts when its cron fires and lasts its duration."""

    def __init__(self, windows: list[MaintenanceWindow]) -> None:
        self.windows = [(crontab_trigger(w.cron, w.timezone), w.duration) for w in windows]

    def active(self, now: datetime) -> bool:
        for trigger, duration in self.windows:
            # The first fire time at or after (now - duration): inside the window when it is
            # not after now.
            fire = trigger.get_next_fire_time(None, now - duration)
            if fire is not None and fire <= now:
                return True
        return False


@dataclass(frozen=True)
class TickResult:
    monitor: str
    success: bool
    results: tuple[ConditionResult, ...]
    consecutive_failures: int
    consecutive_successes: int
    in_maintenance: bool
    opened: Incident | None = None
    resolved: Incident | None = None


class Monitor:
    def __init__(
        self,
        config: MonitorConfig,
        *,
        states: MonitorStates,
        incidents: IncidentManager,
        prober: Prober | None = None,
        root: Path | None = None,
        thresholds: Callable[[datetime], tuple[int, int]] | None = None,
    ) -> None:
        self.config = config
        # (failures before an incident, successes before it resolves) at a moment: the
        # config's, or hypercare's tighter profile while its window is open.
        self.thresholds = thresholds or (
            lambda _now: (config.failure_threshold, config.success_threshold)
        )
        self.name = config.name
        self.states = states
        self.incidents = incidents
        self.conditions: list[Condition] = parse_conditions(config.conditions, monitor=config.name)
        self.maintenance = Maintenance(config.maintenance)
        self.p95_samples = config.p95_samples
        ca_file = config.ca_file
        if ca_file is not None and root is not None and not ca_file.is_absolute():
            ca_file = root / ca_file
        self.prober = prober or Prober(timeout=config.timeout.total_seconds(), ca_file=ca_file)
        self.fingerprint = f"monitor:{config.name}"

    async def aclose(self) -> None:
        await self.prober.aclose()

    @property
    def label(self) -> str:
        parts = urlsplit(self.config.url)
        return f"{self.config.method} {parts.path or '/'}" + (
            f"?{parts.query}" if parts.query else ""
        )

    def state(self) -> MonitorStateRow:
        return self.states.get(self.name)

    async def tick(self, now: datetime | None = None) -> TickResult:
        now = now or datetime.now(UTC)
        seen = await self.prober.probe(
            self.config.method,
            self.config.url,
            headers=self.config.headers,
            body=self.config.body,
            now=now,
        )
        return await in_thread(self.record, seen, now)

    def record(self, seen: Observation, now: datetime) -> TickResult:
        """Evaluate one observation and move the counters and the incident."""

        def update(
            row: MonitorStateRow,
        ) -> tuple[Observation, tuple[ConditionResult, ...], bool, int, int]:
            times: list[float] = json.loads(row.response_times or "[]")
            if seen.response_time_ms is not None:
                times = (times + [seen.response_time_ms])[-self.p95_samples :]
            observed = Observation(
                status=seen.status,
                response_time_ms=seen.response_time_ms,
                body=seen.body,
                certificate_expiration=seen.certificate_expiration,
                connected=seen.connected,
                p95_ms=p95(times),
                p95_samples=len(times),
                error=seen.error,
            )
            results = tuple(c.evaluate(observed) for c in self.conditions)
            success = all(r.success for r in results)
            if success:
                row.consecutive_successes += 1
                row.consecutive_failures = 0
            else:
                row.consecutive_failures += 1
                row.consecutive_successes = 0
            row.total_probes += 1
            row.last_probe_at = now
            row.last_success = success
            row.response_times = json.dumps([round(t, 1) for t in times])
            failing = [r for r in results if not r.success]
            row.last_summary = (
                self._failure_text(failing, observed) if failing else "All conditions pass."
            )
            row.in_maintenance = quiet
            return observed, results, success, row.consecutive_failures, row.consecutive_successes

        quiet = self.maintenance.active(now)
        seen, results, success, failures, successes = self.states.change(self.name, update)
        failing = [r for r in results if not r.success]
        opened = resolved = None
        if not quiet:
            if not success and failures >= self.thresholds(now)[0]:
                incident, new = self.incidents.open(
                    fingerprint=self.fingerprint,
                    kind=self._kind(failing),
                    title=f"{self.name}: {self.label} is failing",
                    summary=self._opening(failing, seen, failures),
                    source=self.name,
                    link=self.config.url,
                    reminder_every=self.config.reminder_every,
                    now=now,
                )
                opened = incident if new else None
            elif success and successes >= self.thresholds(now)[1]:
                resolved = self.incidents.resolve_fingerprint(
                    self.fingerprint,
                    actor=f"monitor {self.name}",
                    reason=f"{successes} probes in a row passed every condition.",
                    now=now,
                    notify=self.config.send_on_resolved,
                )
        return TickResult(
            monitor=self.name,
            success=success,
            results=results,
            consecutive_failures=failures,
            consecutive_successes=successes,
            in_maintenance=quiet,
            opened=opened,
            resolved=resolved,
        )

    def _kind(self, failing: list[ConditionResult]) -> str:
        placeholders = {
            p
            for c in self.conditions
            if c.text in {f.condition for f in failing}
            for p in c.placeholders
        }
        return "latency" if placeholders and placeholders <= _LATENCY else "down"

    def _failure_text(self, failing: list[ConditionResult], seen: Observation) -> str:
        parts = []
        for result in failing:
            condition = next(c for c in self.conditions if c.text == result.condition)
            if condition.left.placeholder == "[P95_RESPONSE_TIME]" and seen.p95_ms is not None:
                negated = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}[
                    condition.operator
                ]
                parts.append(
                    f"p95 {seen.p95_ms:.0f} ms {negated} {condition.right.text} ms over the last "
                    f"{seen.p95_samples} probes of {self.label}"
                )
            else:
                parts.append(f"{result.description} failed")
        text = "; ".join(parts)
        if seen.error and seen.status is None:
            text += f" ({seen.error})"
        return text

    def _opening(self, failing: list[ConditionResult], seen: Observation, failures: int) -> str:
        return (
            f"{self._failure_text(failing, seen)} — {failures} failing probe"
            f"{'s' if failures != 1 else ''} in a row of {self.config.method} {self.config.url}."
        )
