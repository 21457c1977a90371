"""What a ``/launchready`` subcommand is: one :class:`CommandSpec` per module in this package.

A spec carries everything the rest of the app derives from: the name the parser matches, the
usage, summary and example the help and the manifest show, who may call it, its parser, and
its handler (a request in, a :class:`Reply` out, no Slack types).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.slack.parser import Command, Parser

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

__all__ = ["ANYONE", "CommandRequest", "CommandSpec", "Handler", "Reply"]

ANYONE = "anyone"


@dataclass(frozen=True)
class CommandRequest:
    """A subcommand as a handler sees it: no Slack types, just who asked where."""

    command: Command
    user: str
    channel: str | None
    response_url: str | None = None


@dataclass(frozen=True)
class Reply:
    """What a handler answers: text (mrkdwn), optional blocks, and whether everyone sees it."""

    text: str
    blocks: list[dict[str, Any]] | None = None
    in_channel: bool = False


Handler = Callable[["Runtime", CommandRequest], Awaitable["Reply | None"]]


def _always_short(runtime: Runtime, command: Command) -> bool:
    return True


@dataclass(frozen=True)
class CommandSpec:
    name: str
    usage: str  # as the help shows it: "assign <item> @person [due YYYY-MM-DD]"
    summary: str  # one sentence: what it does
    example: str  # a whole line someone can paste
    parse: Parser
    handle: Handler | None  # None: answered in the acknowledgement itself (help)
    who: str = (
        ANYONE  # who may call it, as a person reads it ("admins", "an item's owner or an admin")
    )
    # Short work waits for a background slot; a run that will really start holds none.
    is_short: Callable[[Runtime, Command], bool] = _always_short
