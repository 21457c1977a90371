"""``/launchready waive <item> <days> <reason>``: waive an item for a while (admins)."""

from __future__ import annotations

from bot.app.runtime import Runtime
from bot.checklist import Actor, NotPermitted
from bot.checklist.sentences import chat_waive_refused, chat_waived
from bot.slack.blocks.words import mention
from bot.slack.commands.spec import CommandRequest, CommandSpec, Reply
from bot.slack.parser import DAYS, MAX_WAIVER_DAYS, Command, ask_help, clip, item_args
from bot.store import in_thread

__all__ = ["SPEC"]


def parse(args: list[str], targets: set[str]) -> Command:
    target, item, rest, problem = item_args(args, targets, "waive")
    if problem:
        return ask_help(problem)
    if not rest:
        return ask_help(
            "`waive` needs a number of days and a reason: `waive tls.protocols 14 legacy client until Jan`."
        )
    days = DAYS.match(rest[0].lower())
    if not days:
        return ask_help(f"`{clip(rest[0])}` is not a number of days.")
    count = int(days.group(1))
    if not 1 <= count <= MAX_WAIVER_DAYS:
        return ask_help(f"A waiver lasts 1 to {MAX_WAIVER_DAYS} days, not {count}.")
    reason = " ".join(rest[1:]).strip()
    if not reason:
        return ask_help("`waive` needs a reason after the days, so the next person knows why.")
    return Command("waive", target=target, item=item, days=count, note=reason)


async def waive(runtime: Runtime, request: CommandRequest) -> Reply:
    command = request.command
    assert command.item and command.days and command.note
    checklist = runtime.services.checklist
    name = checklist.target(command.target)
    try:
        item = await in_thread(
            checklist.waive,
            name,
            command.item,
            days=command.days,
            reason=command.note,
            actor=Actor(request.user),
        )
    except NotPermitted:
        return Reply(chat_waive_refused(runtime.config.slack.admins, mention))
    return Reply(chat_waived(request.user, name, item, mention), in_channel=True)


SPEC = CommandSpec(
    name="waive",
    usage="waive <item> <days> <reason>",
    summary="Waive an item for a while, with the reason (admins).",
    example="/launchready waive tls.protocols 14 legacy partner until January",
    parse=parse,
    handle=waive,
    who="admins",
)
