"""``/launchready`` text -> a neutral :class:`Command`.

Slack sends the text as typed, with mentions escaped (``<@U123|ann>``) when the slash
command is created with ``should_escape`` (the manifest sets it). Anything unclear becomes
``Command("help", problem=...)`` so the user sees the help text with the reason.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date

__all__ = ["COMMANDS", "Command", "parse"]

COMMANDS = ("run", "status", "assign", "done", "waive", "handover", "digest", "incidents", "help")

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_LOOSE_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHECK_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_*]+)?$")
_DAYS = re.compile(r"^(\d{1,4})d?$")
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


_Parser = Callable[[list[str], set[str]], Command]


def _help(problem: str) -> Command:
    return Command("help", problem=problem)


def _words(text: str) -> list[str]:
    """Shell-style words (quotes group); plain words when the quoting is unbalanced."""
    text = text.translate(_SMART_QUOTES).replace("\u00a0", " ")
    # Mentions may carry display names with spaces or quotes: shield them from shlex.
    shielded = _LOOSE_MENTION.sub(lambda m: f" <@{m.group(1)}> ", text)
    try:
        return shlex.split(shielded)
    except ValueError:
        # An apostrophe in a note ("didn't") is not a broken quote: fall back to plain words.
        return shielded.split()


def parse(text: str, targets: Collection[str] = ()) -> Command:
    """Parse the text after ``/launchready``. ``targets`` are the configured target names,
    so ``run staging auth`` can tell a target from a check."""
    words = _words(text or "")
    if not words:
        return Command("help")
    name, args = words[0].lower(), words[1:]
    if name in ("-h", "--help", "?"):
        name = "help"
    if name not in COMMANDS:
        close = [c for c in COMMANDS if c.startswith(name[:2])] if len(name) >= 2 else []
        hint = f" Did you mean `{close[0]}`?" if close else ""
        return _help(f"`{_clip(words[0])}` is not a subcommand.{hint}")
    return _PARSERS[name](args, set(targets))


def _clip(word: str, limit: int = 40) -> str:
    word = word.replace("`", "'")
    return word if len(word) <= limit else word[: limit - 1] + "…"


def _take_target(args: list[str], targets: set[str], *, needs_more: bool) -> tuple[str | None, list[str]]:
    """A leading word that names a configured target (and is followed by something when the
    subcommand needs more) is the target."""
    if args and args[0] in targets and (len(args) > 1 or not needs_more):
        return args[0], args[1:]
    return None, args


def _run(args: list[str], targets: set[str]) -> Command:
    target, rest = _take_target(args, targets, needs_more=False)
    checks: list[str] = []
    for word in rest:
        for part in word.split(","):
            part = part.strip()
            if not part:
                continue
            if not _CHECK_ID.match(part):
                known = f" (targets: {', '.join(sorted(targets))})" if targets else ""
                return _help(f"`{_clip(part)}` is neither a target{known} nor a check id such as `auth.private_routes`.")
            checks.append(part)
    return Command("run", target=target, checks=tuple(dict.fromkeys(checks)))


def _only_target(name: str) -> _Parser:
    def parse_one(args: list[str], targets: set[str]) -> Command:
        if not args:
            return Command(name)
        if len(args) == 1 and (args[0] in targets or not targets):
            return Command(name, target=args[0])
        if len(args) == 1:
            return _help(f"`{_clip(args[0])}` is not a target (targets: {', '.join(sorted(targets))}).")
        return _help(f"`{name}` takes at most a target name.")

    return parse_one


def _no_args(name: str) -> _Parser:
    def parse_none(args: list[str], targets: set[str]) -> Command:
        if args:
            return _help(f"`{name}` takes no arguments.")
        return Command(name)

    return parse_none


def _item(args: list[str], targets: set[str], name: str) -> tuple[str | None, str | None, list[str], str | None]:
    """(target, item, rest, problem) for the checklist subcommands."""
    target, rest = _take_target(args, targets, needs_more=True)
    if not rest:
        return target, None, [], f"`{name}` needs a checklist item, e.g. `auth.private_routes`."
    item = rest[0]
    if not _CHECK_ID.match(item) or "." not in item or "*" in item:
        return target, None, [], f"`{_clip(item)}` is not a checklist item id such as `auth.private_routes`."
    return target, item, rest[1:], None


def _assign(args: list[str], targets: set[str]) -> Command:
    target, item, rest, problem = _item(args, targets, "assign")
    if problem:
        return _help(problem)
    if not rest:
        return _help("`assign` needs a person: `assign auth.private_routes @ann`.")
    mention = _MENTION.match(rest[0])
    if not mention:
        if rest[0].startswith("@"):
            return _help(f"`{_clip(rest[0])}` is not a Slack mention: pick the person from the @ list so Slack can link them.")
        return _help(f"`{_clip(rest[0])}` is not a person: mention them, e.g. `@ann`.")
    due: date | None = None
    tail = rest[1:]
    if tail and tail[0].lower() in ("due", "by"):
        tail = tail[1:]
        if not tail:
            return _help("`due` needs a date such as 2026-12-10.")
    if tail:
        try:
            due = date.fromisoformat(tail[0])
        except ValueError:
            return _help(f"`{_clip(tail[0])}` is not a date: write it as YYYY-MM-DD.")
        if len(tail) > 1:
            return _help("`assign` takes an item, a person and an optional `due YYYY-MM-DD`.")
    return Command("assign", target=target, item=item, user=mention.group(1), due=due)


def _done(args: list[str], targets: set[str]) -> Command:
    target, item, rest, problem = _item(args, targets, "done")
    if problem:
        return _help(problem)
    return Command("done", target=target, item=item, note=" ".join(rest) or None)


def _waive(args: list[str], targets: set[str]) -> Command:
    target, item, rest, problem = _item(args, targets, "waive")
    if problem:
        return _help(problem)
    if not rest:
        return _help("`waive` needs a number of days and a reason: `waive tls.protocols 14 legacy client until Jan`.")
    days = _DAYS.match(rest[0].lower())
    if not days:
        return _help(f"`{_clip(rest[0])}` is not a number of days.")
    count = int(days.group(1))
    if not 1 <= count <= MAX_WAIVER_DAYS:
        return _help(f"A waiver lasts 1 to {MAX_WAIVER_DAYS} days, not {count}.")
    reason = " ".join(rest[1:]).strip()
    if not reason:
        return _help("`waive` needs a reason after the days, so the next person knows why.")
    return Command("waive", target=target, item=item, days=count, note=reason)


_PARSERS = {
    "run": _run,
    "status": _only_target("status"),
    "handover": _only_target("handover"),
    "assign": _assign,
    "done": _done,
    "waive": _waive,
    "digest": _no_args("digest"),
    "incidents": _no_args("incidents"),
    "help": lambda args, targets: Command("help"),
}
