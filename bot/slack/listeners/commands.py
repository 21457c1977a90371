"""``/launchready``: parse, acknowledge, then do the work in a background task.

Help and unreadable text are answered in the ``ack()`` itself (ephemeral, no Web API call);
everything else is acknowledged empty and continues after the acknowledgement, so Slack
always gets its answer well inside 3 seconds. Which subcommands exist, how each parses and
what handles it come from :data:`bot.slack.commands.COMMANDS`.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.app.runtime import Runtime
from bot.config import ConfigError
from bot.slack.blocks.help import help_message
from bot.slack.commands import COMMANDS, CommandRequest, Reply, parse, spec_for
from bot.slack.notifier import PostFailed
from bot.slack.parser import Command
from bot.slack.reply import Replier
from bot.store import ChecklistError, StoreError

__all__ = ["COMMAND", "register"]

log = logging.getLogger(__name__)

COMMAND = "/launchready"


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.command(COMMAND)
    async def launchready(ack: AsyncAck, command: dict[str, Any]) -> None:
        targets = list(runtime.config.targets)
        parsed = parse(command.get("text", ""), targets, COMMANDS)
        if parsed.is_help:
            message = help_message(parsed.problem, targets=targets, commands=COMMANDS)
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
    spec = spec_for(parsed.name)
    return spec.is_short(runtime, parsed) if spec is not None else True


async def dispatch(
    runtime: Runtime, parsed: Command, *, user: str, channel: str | None, response_url: str | None
) -> None:
    """Run one subcommand and deliver its reply; errors become sentences, never tracebacks."""
    assert runtime.notifier is not None
    tell = Replier(runtime.notifier, user, channel, response_url)
    spec = spec_for(parsed.name)
    if spec is None or spec.handle is None:
        await tell(
            f":grey_question: `{parsed.name}` is answered in the acknowledgement; nothing to do."
        )
        return
    try:
        reply = await spec.handle(runtime, CommandRequest(parsed, user, channel, response_url))
    except (ConfigError, ChecklistError) as exc:
        reply = Reply(f":warning: {exc}")
    except StoreError as exc:
        log.error("store failed for %s: %s", parsed.name, exc)
        reply = Reply(f":warning: The checklist database could not be used: {exc}")
    except PostFailed as exc:
        reply = Reply(f":warning: {exc}")
    except Exception:
        log.exception("/launchready %s failed", parsed.name)
        reply = Reply(
            f":boom: `{parsed.name}` failed unexpectedly; the details are in the service log."
        )
    if reply is not None:
        await tell(reply.text, reply.blocks, in_channel=reply.in_channel)
