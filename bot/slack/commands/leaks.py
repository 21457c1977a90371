"""``/launchready leaks [target]``: leaked secrets and their rotation state;
``/launchready leaks rotated <key> @person YYYY-MM-DD``: attest who rotated a key and when."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.app.runtime import Runtime
from bot.checklist import Actor, NotPermitted
from bot.slack.blocks.words import mention
from bot.slack.commands.spec import CommandRequest, CommandSpec, Reply
from bot.slack.parser import MENTION, Command, ask_help, clip, take_target
from bot.store import in_thread

__all__ = ["SPEC"]

_ROTATED = "rotated"
_USAGE = "`leaks rotated <key> @person YYYY-MM-DD` (the key as `leaks` lists it)"


def parse(args: list[str], targets: set[str]) -> Command:
    target, rest = take_target(args, targets, needs_more=False)
    if not rest:
        return Command("leaks", target=target)
    if rest[0].lower() != _ROTATED:
        return ask_help(f"`{clip(rest[0])}` is not a target; {_USAGE} attests a rotation.")
    if len(rest) != 4:
        return ask_help(f"Write it as {_USAGE}.")
    person = MENTION.match(rest[2])
    if not person:
        return ask_help(
            f"`{clip(rest[2])}` is not a person: mention who rotated the key, e.g. `@ann`."
        )
    try:
        day = date.fromisoformat(rest[3])
    except ValueError:
        return ask_help(f"`{clip(rest[3])}` is not a date: write it as YYYY-MM-DD.")
    return Command(
        "leaks", target=target, item=rest[1], user=person.group(1), due=day, note=_ROTATED
    )


async def leaks(runtime: Runtime, request: CommandRequest) -> Reply:
    command = request.command
    rotations = runtime.services.rotations
    name = runtime.services.checklist.target(command.target)
    if command.note == _ROTATED:
        assert command.item and command.user and command.due
        when = datetime(command.due.year, command.due.month, command.due.day, tzinfo=UTC)
        try:
            item = await in_thread(
                rotations.attest,
                name,
                command.item,
                rotated_by=command.user,
                rotated_at=when,
                actor=Actor(request.user),
            )
        except NotPermitted:
            admins = ", ".join(mention(a) for a in runtime.config.slack.admins) or "none configured"
            return Reply(
                f":no_entry: Only the leak's owner or an admin ({admins}) may attest its rotation."
            )
        return Reply(
            f"{mention(request.user)} attested that `{item.key}` was rotated by {mention(command.user)} on "
            f"{command.due.isoformat()}. Now {item.state}.",
            in_channel=True,
        )
    items = await in_thread(rotations.items, name)
    if not items:
        return Reply(f":white_check_mark: No leaked secret has been found in {name}'s repository.")
    open_count = sum(1 for i in items if not i.closed)
    lines = [f"*Leaked secrets of {name}*: {open_count} of {len(items)} still open."]
    for item in items[:40]:
        mark = ":white_check_mark:" if item.closed else ":key:"
        lines.append(f"{mark} `{item.key}` · {mention(item.owner)} · {item.state}")
    if len(items) > 40:
        lines.append(f"… and {len(items) - 40} more: `launchready leaks` lists them all.")
    return Reply("\n".join(lines))


SPEC = CommandSpec(
    name="leaks",
    usage="leaks [target] | leaks rotated <key> @person YYYY-MM-DD",
    summary="Leaked secrets and whether each key is shown dead; attest who rotated one and when.",
    example="/launchready leaks rotated config.py:github-pat:2 @ann 2026-12-01",
    parse=parse,
    handle=leaks,
    who="anyone lists; a leak's owner or an admin attests",
)
