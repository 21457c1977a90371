"""Render a :class:`~handover.model.HandoverInput` with Jinja2: Markdown, HTML, or a user's template.

The Markdown is CommonMark with GitHub tables: every value in a table cell goes through
:func:`md_cell` (pipes and newlines cannot break a row), every value in running text through
:func:`md_text`. HTML templates are autoescaped. After rendering, the whole document is
scrubbed once more for the configuration's secrets and token-shaped strings.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import jinja2

from handover.model import HandoverInput
from handover.view import build_view
from reports.sanitize import Sanitizer

__all__ = ["FORMATS", "HandoverError", "md_cell", "md_code", "md_text", "render_handover"]

Format = Literal["markdown", "html"]
FORMATS: dict[str, str] = {"markdown": "handover.md.j2", "html": "handover.html.j2"}
TEMPLATES = Path(__file__).parent / "templates"


class HandoverError(Exception):
    """The document cannot be rendered: a sentence saying why (bad template, unknown format)."""


# Punctuation that starts inline Markdown constructs. Backslash-escaping any ASCII punctuation
# is valid CommonMark and renders as the character itself.
_INLINE = re.compile(r"[\\`*\[\]<>~|&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_NEWLINES = re.compile(r"\s*(?:\r\n|\r|\n)\s*")


def md_text(value: object) -> str:
    """Plain text made safe inside a Markdown paragraph or list item (one line)."""
    text = "" if value is None else str(value)
    # A literal backslash becomes an entity, so no backslash can pair with an escape
    # (GitHub and markdown-it disagree on how ``\\|`` splits a table row).
    text = _INLINE.sub(lambda m: "&#92;" if m.group(0) == "\\" else "\\" + m.group(0), text)
    return _NEWLINES.sub("<br>", text.strip())


def md_cell(value: object) -> str:
    """Plain text made safe inside a GitHub table cell: :func:`md_text`; an empty cell shows a dash."""
    text = md_text(value)
    return text if text else "-"


def md_code(value: object) -> str:
    """An inline code span that survives any backticks inside (one line)."""
    text = _NEWLINES.sub(" ", "" if value is None else str(value)).strip()
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_fence(value: object) -> str:
    """A fence for a code block longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", str(value))), default=0)
    return "`" * max(3, longest + 1)


@lru_cache(maxsize=16)
def _environment(fmt: str, template: Path | None) -> jinja2.Environment:
    """One environment per format and user directory; Jinja reloads a template whose file changed."""
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(str(TEMPLATES))]
    if template is not None:
        # The user's directory first, so their file wins and may {% extends "handover.md.j2" %}.
        loaders.insert(0, jinja2.FileSystemLoader(str(template.parent)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=fmt == "html",
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(md=md_text, cell=md_cell, code=md_code, fence=md_fence)
    return env


def render_handover(
    data: HandoverInput,
    *,
    fmt: str = "markdown",
    template: Path | str | None = None,
) -> str:
    """The handover document as text. Same input, same output, byte for byte."""
    if fmt not in FORMATS:
        raise HandoverError(f'"{fmt}" is not a handover format (use {" or ".join(FORMATS)}).')
    path = Path(template) if template is not None else None
    if path is not None and not path.is_file():
        raise HandoverError(f"{path}: no such template file.")
    clean = Sanitizer(data.known_secrets)
    env = _environment(fmt, path)
    name = path.name if path is not None else FORMATS[fmt]
    try:
        text = env.get_template(name).render(doc=build_view(data, clean=clean), input=data)
    except jinja2.TemplateSyntaxError as exc:
        raise HandoverError(f"{exc.filename or name}, line {exc.lineno}: template syntax error: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise HandoverError(f"{name}: the template uses something the document does not have: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise HandoverError(f"{name}: the template cannot be rendered: {exc}") from None
    return clean.clean(text)
