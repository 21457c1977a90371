"""The help text: every subcommand with an example, and why it is shown when it was not asked for.

It lists :data:`bot.slack.commands.COMMANDS` (passed in, so blocks do not import handlers).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.slack.blocks.limits import Message, context, escape, header, section

if TYPE_CHECKING:
    from bot.slack.commands.spec import CommandSpec

__all__ = ["help_message"]


def help_message(
    problem: str | None, *, commands: Sequence[CommandSpec], targets: Sequence[str] = ()
) -> Message:
    blocks = []
    if problem:
        blocks.append(section(f":thinking_face: {problem}"))
    blocks.append(header("Launch Ready: /launchready"))
    lines = [f"*{escape(c.usage)}*\n{escape(c.summary)}\n`{escape(c.example)}`" for c in commands]
    blocks.append(section("\n\n".join(lines)))
    if targets:
        blocks.append(
            context(
                f"Targets: {', '.join(f'`{escape(t)}`' for t in targets)} (the first is the default)."
            )
        )
    usage = " | ".join(c.name for c in commands)
    text = (problem + " " if problem else "") + f"Usage: /launchready {usage}"
    return Message(text=text, blocks=blocks)
