"""``/launchready handover [target]``: upload the handover document to the channel."""

from __future__ import annotations

from bot.app.runtime import Runtime
from bot.handover_doc import HandoverError, render_handover_for
from bot.slack.commands.spec import CommandRequest, CommandSpec, Reply
from bot.slack.parser import only_target
from bot.store import in_thread

__all__ = ["SPEC"]


async def handover(runtime: Runtime, request: CommandRequest) -> Reply | None:
    try:
        # Rendering reads the store and runs Jinja: keep it off the event loop.
        filename, content, line = await in_thread(
            render_handover_for, runtime.services, request.command.target
        )
    except HandoverError as exc:
        return Reply(f":information_source: {exc}")
    channel = request.channel or runtime.config.slack.channel
    if runtime.notifier is None or not channel:
        return Reply(
            f"{line} There is no channel to upload the document to; run `launchready handover` instead."
        )
    await runtime.notifier.upload_file(
        channel, content, filename=filename, title=f"Launch handover: {filename}", comment=line
    )
    return None


SPEC = CommandSpec(
    name="handover",
    usage="handover [target]",
    summary="Write the handover document for the next owner.",
    example="/launchready handover",
    parse=only_target("handover"),
    handle=handover,
)
