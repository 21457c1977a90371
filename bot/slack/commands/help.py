"""``/launchready help``: every subcommand with an example (answered in the acknowledgement)."""

from __future__ import annotations

from bot.slack.commands.spec import CommandSpec
from bot.slack.parser import Command

__all__ = ["SPEC"]

SPEC = CommandSpec(
    name="help",
    usage="help",
    summary="This text.",
    example="/launchready help",
    parse=lambda args, targets: Command("help"),
    handle=None,
)
