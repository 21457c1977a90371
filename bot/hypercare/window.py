"""The hypercare window and the profile it applies while it is open."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import AppConfig, MonitorConfig

__all__ = ["Hypercare", "hypercare_for"]


@dataclass(frozen=True)
class Hypercare:
    start: datetime
    end: datetime
    owner: str | None
    monitor_interval: timedelta
    failure_threshold: int
    success_threshold: int
    digest_cron: str

    def active(self, now: datetime) -> bool:
        return self.start <= now < self.end

    def interval(self, monitor: MonitorConfig, now: datetime) -> timedelta:
        """The monitor's probe interval: its own, or tighter during the window."""
        if self.active(now):
            return min(monitor.interval, self.monitor_interval)
        return monitor.interval

    def thresholds(self, monitor: MonitorConfig, now: datetime) -> tuple[int, int]:
        """(failures before an incident, successes before it resolves) at ``now``."""
        if self.active(now):
            return (
                min(monitor.failure_threshold, self.failure_threshold),
                min(monitor.success_threshold, self.success_threshold),
            )
        return monitor.failure_threshold, monitor.success_threshold

    def owner_for(self, moment: datetime) -> str | None:
        """Whom an incident that started at ``moment`` mentions: the launch owner, in the window."""
        return self.owner if self.active(moment) else None

    def describe(
        self, who: Callable[[str | None], str] | None = None, *, with_owner: bool = True
    ) -> str:
        """What the window tightens; ``who`` writes the owner (a Slack mention, or as is)."""
        name = who or (lambda user: user or "nobody")
        owner = f"; every incident mentions {name(self.owner)}" if self.owner and with_owner else ""
        return (
            f"monitors probe at least every {_seconds(self.monitor_interval)} and alert after "
            f"{self.failure_threshold} failure{'s' if self.failure_threshold != 1 else ''}, "
            f"the digest goes out twice a day{owner}"
        )


def hypercare_for(config: AppConfig) -> Hypercare | None:
    """The window of this config, or None without a ``launch_date`` (or with it switched off)."""
    settings = config.hypercare
    if config.launch_date is None or not settings.enabled:
        return None
    zone = ZoneInfo(config.slack.digest.timezone if config.slack.digest else "UTC")
    start = datetime.combine(config.launch_date, time(0, 0), tzinfo=zone)
    owner = settings.owner or (config.slack.admins[0] if config.slack.admins else None)
    return Hypercare(
        start=start,
        end=start + settings.window,
        owner=owner,
        monitor_interval=settings.monitor_interval,
        failure_threshold=settings.failure_threshold,
        success_threshold=settings.success_threshold,
        digest_cron=settings.digest_cron,
    )


def _seconds(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 60} min" if seconds >= 60 and seconds % 60 == 0 else f"{seconds}s"
