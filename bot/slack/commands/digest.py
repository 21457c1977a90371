"""``/launchready digest``: post the launch digest now (once a day per channel)."""

from __future__ import annotations

from bot.app.runtime import Runtime
from bot.digest import post_digest, render_text
from bot.slack.blocks.digest import digest_blocks
from bot.slack.commands.spec import CommandRequest, CommandSpec, Reply
from bot.slack.parser import no_args

__all__ = ["SPEC"]


async def digest(runtime: Runtime, request: CommandRequest) -> Reply:
    assert runtime.notifier is not None
    store = runtime.services.store
    posted = await post_digest(
        runtime.config, store, runtime.notifier, now=runtime.clock(), blocks=digest_blocks
    )
    if posted.outcome == "sent":
        return Reply(f":newspaper: {posted.message}")
    if posted.outcome == "already_sent":
        return Reply(
            f":information_source: {posted.message} Here it is again, for you only.\n\n"
            + render_text(posted.digest, slack=True),
            digest_blocks(posted.digest),
        )
    return Reply(f":warning: {posted.message}", digest_blocks(posted.digest))


SPEC = CommandSpec(
    name="digest",
    usage="digest",
    summary="Post the launch digest now.",
    example="/launchready digest",
    parse=no_args("digest"),
    handle=digest,
)
