"""``/launchready incidents``: the open incidents."""

from __future__ import annotations

from bot.app.runtime import Runtime
from bot.slack.blocks.incident import incidents_list
from bot.slack.commands.spec import CommandRequest, CommandSpec, Reply
from bot.slack.parser import no_args
from bot.store import in_thread

__all__ = ["NOT_RUNNING", "SPEC"]

NOT_RUNNING = ":electric_plug: Incident monitoring is not running in this service."


async def incidents(runtime: Runtime, request: CommandRequest) -> Reply:
    monitoring = runtime.monitoring
    if monitoring is None:
        return Reply(NOT_RUNNING)
    open_ones = await in_thread(monitoring.incidents.open_incidents)
    text, blocks = incidents_list(open_ones, runtime.clock())
    return Reply(text, blocks)


SPEC = CommandSpec(
    name="incidents",
    usage="incidents",
    summary="List open incidents.",
    example="/launchready incidents",
    parse=no_args("incidents"),
    handle=incidents,
)
