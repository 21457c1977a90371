"""How a person is named in a channel: one rule for every message the bot writes.

A Slack user id (``U0ALICE``, ``W123``) becomes ``<@U0ALICE>`` so Slack links and notifies the
person; anything else (a name typed in app.yaml, ``cli:ann``, ``monitor api-health``) is shown
as written, escaped by the caller's escaper. Nobody at all reads as ``nobody`` (or the
caller's word for it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

__all__ = ["is_user_id", "mention", "mentions"]

_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def is_user_id(person: str | None) -> bool:
    return bool(person and _SLACK_ID.match(person))


def mention(
    person: str | None, *, nobody: str = "someone", escape: Callable[[str], str] = str
) -> str:
    if not person:
        return nobody
    return f"<@{person}>" if is_user_id(person) else escape(person)


def mentions(people: Iterable[str], *, none: str, escape: Callable[[str], str] = str) -> str:
    """``<@U1>, <@U2>``, or ``none`` when there is nobody."""
    named = [mention(p, escape=escape) for p in people]
    return ", ".join(named) if named else none
