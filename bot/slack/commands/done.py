"""``/launchready done <item> [note]``: mark an item done, or attest a manual one."""

from __future__ import annotations

from bot.app.runtime import Runtime
from bot.checklist import Actor, NotPermitted
from bot.checklist.sentences import chat_done, chat_done_refused
from bot.slack.blocks.words import mention
from bot.slack.commands.spec import CommandRequest, CommandSpec, Reply
from bot.slack.parser import Command, ask_help, item_args
from bot.store import in_thread

__all__ = ["SPEC"]


def parse(args: list[str], targets: set[str]) -> Command:
    target, item, rest, problem = item_args(args, targets, "done")
    if problem:
        return ask_help(problem)
    return Command("done", target=target, item=item, note=" ".join(rest) or None)


async def done(runtime: Runtime, request: CommandRequest) -> Reply:
    command = request.command
    assert command.item
    checklist = runtime.services.checklist
    name = checklist.target(command.target)
    try:
        item = await in_thread(
            checklist.done, name, command.item, note=command.note, actor=Actor(request.user)
        )
    except NotPermitted as refused:
        assert refused.item is not None
        return Reply(chat_done_refused(refused.item, runtime.config.slack.admins, mention))
    return Reply(chat_done(request.user, name, item, command.note, mention), in_channel=True)


SPEC = CommandSpec(
    name="done",
    usage="done <item> [note]",
    summary="Mark an item done, or attest a manual one (its owner or an admin).",
    example="/launchready done manual.keys_rotated rotated on Monday",
    parse=parse,
    handle=done,
    who="an item's owner or an admin",
)
