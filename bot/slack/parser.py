"""The words of ``/launchready`` text and the neutral :class:`Command` they become.

Slack sends the text as typed, with mentions escaped (``<@U123|ann>``) when the slash
command is created with ``should_escape`` (the manifest sets it). Anything unclear becomes
``Command("help", problem=...)`` so the user sees the help text with the reason. Each
subcommand's own parser lives with it in :mod:`bot.slack.commands`, built from the pieces here;
:func:`bot.slack.commands.parse` picks the subcommand.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

__all__ = [
    "CHECK_ID",
    "DAYS",
    "MAX_WAIVER_DAYS",
    "MENTION",
    "Command",
    "Parser",
    "ask_help",
    "clip",
    "item_args",
    "no_args",
    "only_target",
    "split_words",
    "take_target",
]

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_LOOSE_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
CHECK_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_*]+)?$")
DAYS = re.compile(r"^(\d{1,4})d?$")
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})
MAX_WAIVER_DAYS = 365


@dataclass(frozen=True)
class Command:
    """One parsed subcommand. Fields not used by a subcommand stay at their defaults."""

    name: str
    target: str | None = None
    checks: tuple[str, ...] = ()
    item: str | None = None
    user: str | None = None
    due: date | None = None
    days: int | None = None
    note: str | None = None  # done's note, waive's reason
    problem: str | None = None  # why the help is shown instead

    @property
    def is_help(self) -> bool:
        return self.name == "help"


# A subcommand's parser: the words after its name and the configured targets -> a Command.
Parser = Callable[[list[str], set[str]], Command]


def ask_help(problem: str) -> Command:
    return Command("help", problem=problem)


def split_words(text: str) -> list[str]:
    """Shell-style words (quotes group); plain words when the quoting is unbalanced."""
    text = text.translate(_SMART_QUOTES).replace("\u00a0", " ")
    # Mentions may carry display names with spaces or quotes: shield them from shlex.
    shielded = _LOOSE_MENTION.sub(lambda m: f" <@{m.group(1)}> ", text)
    try:
        return shlex.split(shielded)
    except ValueError:
        # An apostrophe in a note ("didn't") is not a broken quote: fall back to plain words.
        return shielded.split()


def clip(word: str, limit: int = 40) -> str:
    word = word.replace("`", "'")
    return word if len(word) <= limit else word[: limit - 1] + "…"


def take_target(
    args: list[str], targets: set[str], *, needs_more: bool
) -> tuple[str | None, list[str]]:
    """A leading word that names a configured target (and is followed by something when the
    subcommand needs more) is the target."""
    if args and args[0] in targets and (len(args) > 1 or not needs_more):
        return args[0], args[1:]
    return None, args


def only_target(name: str) -> Parser:
    def parse_one(args: list[str], targets: set[str]) -> Command:
        if not args:
            return Command(name)
        if len(args) == 1 and (args[0] in targets or not targets):
            return Command(name, target=args[0])
        if len(args) == 1:
            return ask_help(
                f"`{clip(args[0])}` is not a target (targets: {', '.join(sorted(targets))})."
            )
        return ask_help(f"`{name}` takes at most a target name.")

    return parse_one


def no_args(name: str) -> Parser:
    def parse_none(args: list[str], targets: set[str]) -> Command:
        if args:
            return ask_help(f"`{name}` takes no arguments.")
        return Command(name)

    return parse_none


def item_args(
    args: list[str], targets: set[str], name: str
) -> tuple[str | None, str | None, list[str], str | None]:
    """(target, item, rest, problem) for the checklist subcommands."""
    target, rest = take_target(args, targets, needs_more=True)
    if not rest:
        return target, None, [], f"`{name}` needs a checklist item, e.g. `auth.private_routes`."
    item = rest[0]
    if not CHECK_ID.match(item) or "." not in item or "*" in item:
        return (
            target,
            None,
            [],
            f"`{clip(item)}` is not a checklist item id such as `auth.private_routes`.",
        )
    return target, item, rest[1:], None
