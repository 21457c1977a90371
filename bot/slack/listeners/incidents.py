"""Incident buttons (Acknowledge, Resolve, and on a resolved incident Re-run the checks it
contradicted).

Acknowledging is open to anyone in the channel; resolving by hand is for admins
(``slack.admins``). Both edit the alert message and reply in its thread with who and when
(the incident manager's deliveries); a refusal is told to the clicker alone.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.app.runtime import Runtime
from bot.monitoring.incidents import IncidentError
from bot.slack.blocks.incident import (
    ACTION_ACK,
    ACTION_RERUN_COVERED,
    ACTION_RESOLVE,
    covered_rerun,
)
from bot.slack.commands.incidents import NOT_RUNNING
from bot.slack.reply import Replier
from bot.slack.runflow import RunRequest, run_in_slack
from bot.store import in_thread
from reports.mentions import mentions

__all__ = ["register"]

log = logging.getLogger(__name__)


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.action(ACTION_ACK)
    async def acknowledge(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        runtime.tasks.spawn(change(runtime, body, action, "ack"), name="incident ack")

    @app.action(ACTION_RESOLVE)
    async def resolve(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        runtime.tasks.spawn(change(runtime, body, action, "resolve"), name="incident resolve")

    @app.action(re.compile(rf"^{ACTION_RERUN_COVERED}(:\d+)?$"))
    async def rerun(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        user = (body.get("user") or {}).get("id", "")
        container = body.get("container") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
        wanted = covered_rerun(action.get("value"))
        if wanted is None:
            tell = (
                Replier(runtime.notifier, user, channel, body.get("response_url"))
                if runtime.notifier
                else None
            )
            if tell is not None:
                runtime.tasks.spawn(
                    tell(":grey_question: That button does not name checks to rerun."),
                    name="rerun?",
                )
            return
        target, checks = wanted
        request = RunRequest(
            user=user,
            channel=channel,
            target=target,
            only=checks,
            thread_ts=container.get("message_ts"),
            response_url=body.get("response_url"),
        )
        runtime.tasks.spawn(
            run_in_slack(runtime, request), name=f"rerun after incident ({target})", gated=False
        )


async def change(runtime: Runtime, body: dict[str, Any], action: dict[str, Any], what: str) -> None:
    assert runtime.notifier is not None
    user = (body.get("user") or {}).get("id", "")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    tell = Replier(runtime.notifier, user, channel, body.get("response_url"))
    monitoring = runtime.monitoring
    if monitoring is None:
        await tell(NOT_RUNNING)
        return
    try:
        incident_id = int(str(action.get("value", "")))
    except ValueError:
        await tell(":grey_question: That button does not name an incident.")
        return
    if what == "resolve" and not runtime.config.is_admin(user):
        admins = mentions(runtime.config.slack.admins, none="none are configured (slack.admins)")
        await tell(
            f":no_entry: Only admins may resolve an incident by hand ({admins}). Acknowledge it instead, "
            "or let the monitor resolve it when it recovers."
        )
        return
    try:
        if what == "ack":
            await in_thread(monitoring.incidents.acknowledge, incident_id, actor=user)
        else:
            await in_thread(monitoring.incidents.resolve, incident_id, actor=user)
    except IncidentError as exc:
        await tell(f":information_source: {exc}")
        return
    await monitoring.flush()
