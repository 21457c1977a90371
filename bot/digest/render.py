"""The digest as text through a Jinja2 template (``templates/digest.txt.j2``)."""

from __future__ import annotations

from pathlib import Path

import jinja2

from bot.digest.model import Digest
from reports.mentions import is_user_id, mention

__all__ = ["render_text"]

TEMPLATES = Path(__file__).parent / "templates"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=False,  # plain text / mrkdwn, never HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        undefined=jinja2.StrictUndefined,
    )
    return env


def render_text(digest: Digest, *, slack: bool = False) -> str:
    """The digest as text: ``slack`` mentions owners as ``<@U…>``, else ``@U…``."""

    def named(owner: str | None) -> str:
        if slack or not is_user_id(owner):
            return mention(owner, nobody="nobody")
        return f"@{owner}"  # a terminal cannot link a user id; @U0ALICE reads as one

    def signed(value: int | None) -> str:
        return "" if value is None or value == 0 else (f"+{value}" if value > 0 else str(value))

    env = _environment()
    env.filters["mention"] = named
    env.filters["signed"] = signed
    return env.get_template("digest.txt.j2").render(d=digest).strip() + "\n"
