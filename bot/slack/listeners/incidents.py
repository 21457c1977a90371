"""Incident buttons (Acknowledge, Resolve) and the ``digest`` / ``incidents`` subcommands.

Acknowledging is open to anyone in the channel; resolving by hand is for admins
(``slack.admins``). Both edit the alert message and reply in its thread with who and when
(the incident manager's deliveries); a refusal is told to the clicker alone.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.app.runtime import CommandRequest, IncidentLine, Reply, Runtime
from bot.digest import post_digest, render_text
from bot.monitoring.incidents import IncidentError
from bot.slack.blocks.digest import digest_blocks
from bot.slack.blocks.incident import ACTION_ACK, ACTION_RESOLVE, incidents_list
from bot.slack.reply import Replier

__all__ = ["digest_command", "incident_lines", "incidents_command", "register"]

log = logging.getLogger(__name__)

NOT_RUNNING = ":electric_plug: Incident monitoring is not running in this service."


def _monitoring(runtime: Runtime) -> Any:
    return getattr(runtime, "monitoring", None)


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.action(ACTION_ACK)
    async def acknowledge(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        runtime.tasks.spawn(change(runtime, body, action, "ack"), name="incident ack")

    @app.action(ACTION_RESOLVE)
    async def resolve(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        runtime.tasks.spawn(change(runtime, body, action, "resolve"), name="incident resolve")


async def change(runtime: Runtime, body: dict[str, Any], action: dict[str, Any], what: str) -> None:
    assert runtime.notifier is not None
    user = (body.get("user") or {}).get("id", "")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    tell = Replier(runtime.notifier, user, channel, body.get("response_url"))
    monitoring = _monitoring(runtime)
    if monitoring is None:
        await tell(NOT_RUNNING)
        return
    try:
        incident_id = int(str(action.get("value", "")))
    except ValueError:
        await tell(":grey_question: That button does not name an incident.")
        return
    if what == "resolve" and not runtime.config.is_admin(user):
        admins = ", ".join(f"<@{a}>" for a in runtime.config.slack.admins) or "none are configured (slack.admins)"
        await tell(f":no_entry: Only admins may resolve an incident by hand ({admins}). Acknowledge it instead, "
                   "or let the monitor resolve it when it recovers.")
        return
    try:
        if what == "ack":
            await asyncio.to_thread(monitoring.incidents.acknowledge, incident_id, actor=user)
        else:
            await asyncio.to_thread(monitoring.incidents.resolve, incident_id, actor=user)
    except IncidentError as exc:
        await tell(f":information_source: {exc}")
        return
    await monitoring.flush()


async def incidents_command(runtime: Runtime, request: CommandRequest) -> Reply:
    monitoring = _monitoring(runtime)
    if monitoring is None:
        return Reply(NOT_RUNNING)
    open_ones = await asyncio.to_thread(monitoring.incidents.open_incidents)
    text, blocks = incidents_list(open_ones, runtime.clock())
    return Reply(text, blocks)


async def digest_command(runtime: Runtime, request: CommandRequest) -> Reply:
    assert runtime.notifier is not None
    store = runtime.services.store
    posted = await post_digest(runtime.config, store, store.engine, runtime.notifier, now=runtime.clock(), blocks=digest_blocks)
    if posted.outcome == "sent":
        return Reply(f":newspaper: {posted.message}")
    if posted.outcome == "already_sent":
        return Reply(f":information_source: {posted.message} Here it is again, for you only.\n\n"
                     + render_text(posted.digest, slack=True), digest_blocks(posted.digest))
    return Reply(f":warning: {posted.message}", digest_blocks(posted.digest))


def incident_lines(monitoring: Any) -> list[IncidentLine]:
    return [
        IncidentLine(title=f"#{i.id} [{i.kind}] {i.title}", severity="high", since=i.started_at, acknowledged_by=i.acknowledged_by)
        for i in monitoring.incidents.open_incidents()
    ]
