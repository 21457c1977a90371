"""Events API: App Home. Events are acknowledged by Bolt before the listener runs."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.app.runtime import IncidentLine, Runtime
from bot.monitoring.monitoring import Monitoring
from bot.slack.blocks.home import TargetVerdict, home_view
from bot.slack.commands.checklist_lines import checklist_lines
from bot.slack.notifier import PostFailed
from bot.store import ChecklistItem, StoreError, in_thread
from checks.model import RunReport, Status

__all__ = ["publish_home", "register"]

log = logging.getLogger(__name__)


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.event("app_home_opened")
    async def home_opened(event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        runtime.tasks.spawn(publish_home(runtime, event["user"]), name="app home")


def incident_lines(monitoring: Monitoring) -> list[IncidentLine]:
    return [
        IncidentLine(
            title=f"#{i.id} [{i.kind}] {i.title}",
            severity="high",
            since=i.started_at,
            acknowledged_by=i.acknowledged_by,
        )
        for i in monitoring.incidents.open_incidents()
    ]


def _gather(runtime: Runtime, user: str) -> tuple[list[TargetVerdict], list[ChecklistItem]]:
    verdicts: list[TargetVerdict] = []
    mine: list[ChecklistItem] = []
    for name in runtime.config.targets:
        # Through the checklist service: items and the verdict account for stale passes.
        status = runtime.services.checklist.status(name)
        report: RunReport | None = status.latest
        failing = (
            sum(1 for r in report.results if r.status in (Status.FAIL, Status.ERROR))
            if report
            else 0
        )
        verdicts.append(
            TargetVerdict(
                name,
                report.verdict if report else None,
                report.finished_at if report else None,
                failing,
            )
        )
        mine += [i for i in status.items if i.owner == user]
    return verdicts, mine


async def publish_home(runtime: Runtime, user: str) -> None:
    assert runtime.notifier is not None
    try:
        verdicts, mine = await in_thread(_gather, runtime, user)
    except StoreError as exc:
        log.error("App Home could not read the store: %s", exc)
        verdicts, mine = [], []
    incidents: list[IncidentLine] | None = None
    if runtime.monitoring is not None:
        try:
            incidents = await in_thread(incident_lines, runtime.monitoring)
        except Exception:
            log.exception("listing open incidents for App Home failed")
    view = home_view(
        project=runtime.config.project,
        launch_date=runtime.config.launch_date,
        today=runtime.clock().date(),
        user=user,
        verdicts=verdicts,
        my_items=checklist_lines(mine, runtime.clock()),
        incidents=incidents,
    )
    try:
        await runtime.notifier.publish_home(user, view)
    except PostFailed as exc:
        log.warning("App Home for %s not published: %s", user, exc)
