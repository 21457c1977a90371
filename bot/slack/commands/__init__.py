"""Every ``/launchready`` subcommand, one module each, listed once in :data:`COMMANDS`.

The parser (:func:`parse`), the help text, the app manifest's usage hint and the dispatch in
:mod:`bot.slack.listeners.commands` are all derived from this list: a new subcommand is a
module exporting ``SPEC`` plus one line here.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from bot.slack.commands import (
    assign,
    digest,
    done,
    handover,
    help,
    incidents,
    leaks,
    run,
    signoff,
    status,
    waive,
)
from bot.slack.commands.spec import CommandRequest, CommandSpec, Reply
from bot.slack.parser import Command, ask_help, clip, split_words

__all__ = ["COMMANDS", "CommandRequest", "CommandSpec", "Reply", "names", "parse", "spec_for"]

COMMANDS: tuple[CommandSpec, ...] = (
    run.SPEC,
    status.SPEC,
    assign.SPEC,
    done.SPEC,
    waive.SPEC,
    handover.SPEC,
    digest.SPEC,
    incidents.SPEC,
    leaks.SPEC,
    signoff.SPEC,
    help.SPEC,
)


def names(commands: Sequence[CommandSpec] = COMMANDS) -> tuple[str, ...]:
    return tuple(spec.name for spec in commands)


def spec_for(name: str, commands: Sequence[CommandSpec] = COMMANDS) -> CommandSpec | None:
    return next((spec for spec in commands if spec.name == name), None)


def parse(
    text: str, targets: Collection[str] = (), commands: Sequence[CommandSpec] = COMMANDS
) -> Command:
    """Parse the text after ``/launchready``. ``targets`` are the configured target names,
    so ``run staging auth`` can tell a target from a check."""
    words = split_words(text or "")
    if not words:
        return Command("help")
    name, args = words[0].lower(), words[1:]
    if name in ("-h", "--help", "?"):
        name = "help"
    spec = spec_for(name, commands)
    if spec is None:
        known = names(commands)
        close = [c for c in known if c.startswith(name[:2])] if len(name) >= 2 else []
        hint = f" Did you mean `{close[0]}`?" if close else ""
        return ask_help(f"`{clip(words[0])}` is not a subcommand.{hint}")
    return spec.parse(args, set(targets))
