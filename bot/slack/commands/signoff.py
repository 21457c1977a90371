"""``/launchready signoff [target] [note]``: an admin signs the go/no-go as it stands; the
record is posted in the channel, pinned, and goes into the handover."""

from __future__ import annotations

from bot.app.runtime import Runtime
from bot.checklist import Actor, NotPermitted
from bot.signoff import NothingToSign, signed_text
from bot.slack.blocks.words import mention
from bot.slack.commands.spec import CommandRequest, CommandSpec, Reply
from bot.slack.notifier import PostFailed
from bot.slack.parser import Command, take_target
from bot.store import in_thread

__all__ = ["SPEC"]


def parse(args: list[str], targets: set[str]) -> Command:
    target, rest = take_target(args, targets, needs_more=False)
    return Command("signoff", target=target, note=" ".join(rest) or None)


async def signoff(runtime: Runtime, request: CommandRequest) -> Reply:
    services = runtime.services
    name = services.checklist.target(request.command.target)
    try:
        signed = await in_thread(
            services.signoffs.sign, name, actor=Actor(request.user), note=request.command.note
        )
    except NotPermitted:
        admins = (
            ", ".join(mention(a) for a in runtime.config.slack.admins)
            or "none are configured (slack.admins)"
        )
        return Reply(f":no_entry: Only admins may sign the go/no-go ({admins}).")
    except NothingToSign as exc:
        return Reply(f":information_source: {exc}")
    text = signed_text(signed, mention)
    channel = runtime.config.slack.channel or request.channel
    if runtime.notifier is None or not channel:
        return Reply(text, in_channel=True)
    try:
        ts = await runtime.notifier.post(channel, text)
    except PostFailed as exc:
        return Reply(f":warning: Signed, but the record was not posted: {exc}\n{text}")
    await in_thread(services.store.signoffs.posted, signed.id, channel, ts)
    try:
        await runtime.notifier.pin(channel, ts)
    except PostFailed as exc:  # posted and recorded; only the pin is missing
        return Reply(f":pushpin: Signed and posted, but not pinned: {exc}")
    return Reply(
        f":pushpin: Signed {signed.verdict} for {name}; the record is posted and pinned in <#{channel}>."
    )


SPEC = CommandSpec(
    name="signoff",
    usage="signoff [target] [note]",
    summary="Sign the go/no-go as it stands (verdict, run, waivers in force); posted, pinned, in the handover.",
    example="/launchready signoff staging ship it, CDN waiver agreed",
    parse=parse,
    handle=signoff,
    who="admins",
)
