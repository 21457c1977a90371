"""``/launchready assign <item> @person [due YYYY-MM-DD]``: give an item an owner."""

from __future__ import annotations

from datetime import date

from bot.app.runtime import Runtime
from bot.checklist import Actor
from bot.checklist.sentences import chat_assigned
from bot.slack.blocks.words import mention
from bot.slack.commands.spec import CommandRequest, CommandSpec, Reply
from bot.slack.parser import MENTION, Command, ask_help, clip, item_args
from bot.store import in_thread

__all__ = ["SPEC"]


def parse(args: list[str], targets: set[str]) -> Command:
    target, item, rest, problem = item_args(args, targets, "assign")
    if problem:
        return ask_help(problem)
    if not rest:
        return ask_help("`assign` needs a person: `assign auth.private_routes @ann`.")
    person = MENTION.match(rest[0])
    if not person:
        if rest[0].startswith("@"):
            return ask_help(
                f"`{clip(rest[0])}` is not a Slack mention: pick the person from the @ list so Slack can link them."
            )
        return ask_help(f"`{clip(rest[0])}` is not a person: mention them, e.g. `@ann`.")
    due: date | None = None
    tail = rest[1:]
    if tail and tail[0].lower() in ("due", "by"):
        tail = tail[1:]
        if not tail:
            return ask_help("`due` needs a date such as 2026-12-10.")
    if tail:
        try:
            due = date.fromisoformat(tail[0])
        except ValueError:
            return ask_help(f"`{clip(tail[0])}` is not a date: write it as YYYY-MM-DD.")
        if len(tail) > 1:
            return ask_help("`assign` takes an item, a person and an optional `due YYYY-MM-DD`.")
    return Command("assign", target=target, item=item, user=person.group(1), due=due)


async def assign(runtime: Runtime, request: CommandRequest) -> Reply:
    command = request.command
    assert command.item and command.user
    checklist = runtime.services.checklist
    name = checklist.target(command.target)
    change = await in_thread(
        checklist.assign,
        name,
        command.item,
        command.user,
        due=command.due,
        actor=Actor(request.user),
    )
    return Reply(
        chat_assigned(request.user, name, change.before, change.after, mention),
        in_channel=change.changed,
    )


SPEC = CommandSpec(
    name="assign",
    usage="assign <item> @person [due YYYY-MM-DD]",
    summary="Give an item an owner and a due date.",
    example="/launchready assign auth.private_routes @ann due 2026-12-10",
    parse=parse,
    handle=assign,
)
