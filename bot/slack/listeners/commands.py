"""``/launchready``: parse, acknowledge, then do the work in a background task.

Help and unreadable text are answered in the ``ack()`` itself (ephemeral, no Web API call);
everything else is acknowledged empty and continues after the acknowledgement, so Slack
always gets its answer well inside 3 seconds.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.app.runtime import CommandRequest, Reply, Runtime
from bot.config import ConfigError
from bot.slack.blocks.help import help_message
from bot.slack.notifier import PostFailed
from bot.slack.parser import Command, parse
from bot.slack.reply import Replier
from bot.slack.runflow import RunRequest, run_in_slack
from bot.store import ChecklistError, StoreError

__all__ = ["COMMAND", "register"]

log = logging.getLogger(__name__)

COMMAND = "/launchready"
PLUGGABLE = {
    "handover": "the handover capability",
    "digest": "the digest capability",
    "incidents": "incident monitoring",
}


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.command(COMMAND)
    async def launchready(ack: AsyncAck, command: dict[str, Any]) -> None:
        targets = list(runtime.config.targets)
        parsed = parse(command.get("text", ""), targets)
        if parsed.is_help:
            message = help_message(parsed.problem, targets=targets)
            await ack(text=message.text, blocks=message.blocks)
            return
        await ack()
        user = command.get("user_id", "")
        channel = command.get("channel_id")
        response_url = command.get("response_url")
        runtime.tasks.spawn(
            dispatch(runtime, parsed, user=user, channel=channel, response_url=response_url),
            name=f"/launchready {parsed.name} by {user}",
            gated=_is_short(runtime, parsed),
        )


def _is_short(runtime: Runtime, parsed: Command) -> bool:
    """Everything but a run that will really start is short work. A run lasts minutes and
    must not hold a background slot; a second run of a busy target is only told where the
    first one is."""
    if parsed.name != "run":
        return True
    try:
        name, _ = runtime.config.target(parsed.target)
    except ConfigError:
        return True
    return name in runtime.active_runs


async def dispatch(
    runtime: Runtime, parsed: Command, *, user: str, channel: str | None, response_url: str | None
) -> None:
    """Run one subcommand and deliver its reply; errors become sentences, never tracebacks."""
    assert runtime.notifier is not None
    tell = Replier(runtime.notifier, user, channel, response_url)
    if parsed.name == "run":
        await run_in_slack(runtime, RunRequest(user=user, channel=channel, target=parsed.target,
                                               only=parsed.checks, response_url=response_url))
        return
    handler = runtime.commands.get(parsed.name)
    if handler is None:
        what = PLUGGABLE.get(parsed.name, parsed.name)
        await tell(f":electric_plug: `{parsed.name}` needs {what}, which is not configured in this service.")
        return
    try:
        reply = await handler(runtime, CommandRequest(parsed, user, channel))
    except (ConfigError, ChecklistError) as exc:
        reply = Reply(f":warning: {exc}")
    except StoreError as exc:
        log.error("store failed for %s: %s", parsed.name, exc)
        reply = Reply(f":warning: The checklist database could not be used: {exc}")
    except PostFailed as exc:
        reply = Reply(f":warning: {exc}")
    except Exception:
        log.exception("/launchready %s failed", parsed.name)
        reply = Reply(f":boom: `{parsed.name}` failed unexpectedly; the details are in the service log.")
    if reply is not None:
        await tell(reply.text, reply.blocks, in_channel=reply.in_channel)
