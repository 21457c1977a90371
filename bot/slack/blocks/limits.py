"""Slack's Block Kit limits, and the helpers that keep every payload inside them.

Every builder in :mod:`bot.slack.blocks` goes through these helpers, so no message or view
the bot sends can be rejected for size: long text is truncated with an ellipsis or split at
line breaks, and messages with too many blocks are split into thread replies
(:func:`paginate`). :func:`violations` checks a finished payload against every limit; the
tests use it on the largest reports we can build.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ACTIONS_ELEMENTS",
    "BUTTON_TEXT",
    "BUTTON_VALUE",
    "CONTEXT_ELEMENTS",
    "FIELD_TEXT",
    "HEADER_TEXT",
    "ID_LENGTH",
    "MESSAGE_BLOCKS",
    "MESSAGE_TEXT",
    "Message",
    "OPTION_TEXT",
    "PLACEHOLDER_TEXT",
    "PRIVATE_METADATA",
    "SECTION_FIELDS",
    "SECTION_TEXT",
    "VIEW_BLOCKS",
    "VIEW_BYTES",
    "VIEW_TITLE",
    "actions",
    "button",
    "context",
    "divider",
    "escape",
    "fallback_text",
    "header",
    "mrkdwn",
    "paginate",
    "plain",
    "section",
    "split_text",
    "truncate",
    "violations",
]

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100  # modals and App Home
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
BUTTON_URL = 3000
OPTION_TEXT = 75
PLACEHOLDER_TEXT = 150
CONTEXT_ELEMENTS = 10
CONTEXT_TEXT = 2000  # per element; Slack documents no lower figure
ACTIONS_ELEMENTS = 25
ID_LENGTH = 255  # block_id and action_id
VIEW_TITLE = 24  # modal title, submit and close labels
LABEL_TEXT = 2000
PRIVATE_METADATA = 3000
VIEW_BYTES = 250_000
MESSAGE_TEXT = 40_000  # Slack truncates above this; we stay far below (see fallback_text)
FALLBACK_TEXT = 3000  # the notification text: long enough to read, short enough to skim

ELLIPSIS = "…"


@dataclass
class Message:
    """A message ready to post: fallback ``text``, at most 50 ``blocks``, ``thread`` replies
    for whatever did not fit (each a Message of its own), and ``files`` (name, content) to
    upload into the thread when even that would be too long to read."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread: list[Message] = field(default_factory=list)
    files: list[tuple[str, str]] = field(default_factory=list)


# -- text ------------------------------------------------------------------------------------


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + ELLIPSIS


def escape(text: str) -> str:
    """Escape the three characters mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def split_text(text: str, limit: int = SECTION_TEXT) -> list[str]:
    """Split at line breaks into chunks of at most ``limit`` characters; a single line longer
    than the limit is cut hard (nothing is dropped)."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current or not chunks:
        chunks.append(current)
    return chunks


def fallback_text(text: str) -> str:
    """The plain ``text`` of a message (notifications, screen readers): never empty."""
    return truncate(text.strip() or "Launch Ready", FALLBACK_TEXT)


# -- blocks ----------------------------------------------------------------------------------


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text or " ", limit), "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": truncate(text or " ", limit)}


def _block_id(block_id: str | None) -> dict[str, str]:
    return {"block_id": block_id[:ID_LENGTH]} if block_id else {}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": plain(text, HEADER_TEXT)}


def section(
    text: str,
    *,
    accessory: dict[str, Any] | None = None,
    fields: Sequence[str] = (),
    block_id: str | None = None,
) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": mrkdwn(text), **_block_id(block_id)}
    if fields:
        block["fields"] = [mrkdwn(f, FIELD_TEXT) for f in fields[:SECTION_FIELDS]]
    if accessory:
        block["accessory"] = accessory
    return block


def context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(t, CONTEXT_TEXT) for t in texts[:CONTEXT_ELEMENTS]]}


def divider() -> dict[str, Any]:
    return {"type": "divider"}


def button(
    text: str,
    action_id: str,
    value: str = "",
    *,
    style: str | None = None,
    url: str | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": plain(text, BUTTON_TEXT), "action_id": action_id[:ID_LENGTH]}
    if value:
        if len(value) > BUTTON_VALUE:
            raise ValueError(f"button value for {action_id} is {len(value)} characters (Slack allows {BUTTON_VALUE})")
        element["value"] = value
    if style in ("primary", "danger"):
        element["style"] = style
    if url:
        element["url"] = url[:BUTTON_URL]
    return element


def actions(elements: Iterable[dict[str, Any]], *, block_id: str | None = None) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)[:ACTIONS_ELEMENTS], **_block_id(block_id)}


def paginate(blocks: Sequence[dict[str, Any]], limit: int = MESSAGE_BLOCKS) -> list[list[dict[str, Any]]]:
    """Split a block list into pages of at most ``limit`` blocks, never starting a page with
    a divider (it would float alone at the top of a thread reply)."""
    pages: list[list[dict[str, Any]]] = []
    page: list[dict[str, Any]] = []
    for block in blocks:
        if not page and block.get("type") == "divider":
            continue
        page.append(block)
        if len(page) == limit:
            pages.append(page)
            page = []
    if page:
        pages.append(page)
    return pages


# -- validation --------------------------------------------------------------------------------


def violations(payload: dict[str, Any] | Message, *, kind: str = "message") -> list[str]:
    """Every way ``payload`` breaks a Block Kit limit; empty when Slack would accept it.

    ``kind`` is ``message``, ``modal`` or ``home``. A :class:`Message` is checked with its
    thread replies.
    """
    if isinstance(payload, Message):
        problems = violations({"text": payload.text, "blocks": payload.blocks}, kind="message")
        for number, reply in enumerate(payload.thread, 1):
            problems += [f"thread reply {number}: {p}" for p in violations(reply, kind="message")]
        return problems
    problems: list[str] = []
    blocks = payload.get("blocks") or []
    limit = MESSAGE_BLOCKS if kind == "message" else VIEW_BLOCKS
    if len(blocks) > limit:
        problems.append(f"{len(blocks)} blocks (limit {limit})")
    if kind == "message":
        text = payload.get("text") or ""
        if not text.strip():
            problems.append("no plain text fallback")
        if len(text) > MESSAGE_TEXT:
            problems.append(f"text of {len(text)} characters (limit {MESSAGE_TEXT})")
    else:
        if len(json.dumps(payload)) > VIEW_BYTES:
            problems.append(f"view of {len(json.dumps(payload))} bytes (limit {VIEW_BYTES})")
        if len(payload.get("private_metadata", "")) > PRIVATE_METADATA:
            problems.append("private_metadata over 3000 characters")
        for key in ("title", "submit", "close"):
            if key in payload and len(payload[key]["text"]) > VIEW_TITLE:
                problems.append(f"modal {key} over {VIEW_TITLE} characters")
    block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"block {index} ({block.get('type')})"
        block_id = block.get("block_id")
        if block_id is not None:
            if len(block_id) > ID_LENGTH:
                problems.append(f"{where}: block_id over {ID_LENGTH} characters")
            if block_id in block_ids:
                problems.append(f"{where}: duplicate block_id {block_id}")
            block_ids.add(block_id)
        problems += [f"{where}: {p}" for p in _block_violations(block)]
    return problems


def _block_violations(block: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    kind = block.get("type")
    if kind == "header":
        problems += _text_over(block.get("text"), HEADER_TEXT, "header text")
    elif kind == "section":
        if "text" not in block and "fields" not in block:
            problems.append("section without text or fields")
        problems += _text_over(block.get("text"), SECTION_TEXT, "section text")
        fields = block.get("fields") or []
        if len(fields) > SECTION_FIELDS:
            problems.append(f"{len(fields)} fields (limit {SECTION_FIELDS})")
        for item in fields:
            problems += _text_over(item, FIELD_TEXT, "field")
        if block.get("accessory"):
            problems += _element_violations(block["accessory"])
    elif kind == "context":
        elements = block.get("elements") or []
        if not elements or len(elements) > CONTEXT_ELEMENTS:
            problems.append(f"{len(elements)} context elements (1 to {CONTEXT_ELEMENTS})")
        for item in elements:
            problems += _text_over(item, CONTEXT_TEXT, "context text")
    elif kind == "actions":
        elements = block.get("elements") or []
        if not elements or len(elements) > ACTIONS_ELEMENTS:
            problems.append(f"{len(elements)} action elements (1 to {ACTIONS_ELEMENTS})")
        action_ids = [e.get("action_id") for e in elements]
        if len(set(action_ids)) != len(action_ids):
            problems.append("duplicate action_id in one actions block")
        for item in elements:
            problems += _element_violations(item)
    elif kind == "input":
        problems += _text_over(block.get("label"), LABEL_TEXT, "input label")
        problems += _element_violations(block.get("element") or {})
    return problems


def _element_violations(element: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if len(element.get("action_id", "")) > ID_LENGTH:
        problems.append(f"action_id over {ID_LENGTH} characters")
    if element.get("type") == "button":
        problems += _text_over(element.get("text"), BUTTON_TEXT, "button text")
        if len(element.get("value", "")) > BUTTON_VALUE:
            problems.append(f"button value over {BUTTON_VALUE} characters")
        if len(element.get("url", "")) > BUTTON_URL:
            problems.append(f"button url over {BUTTON_URL} characters")
    problems += _text_over(element.get("placeholder"), PLACEHOLDER_TEXT, "placeholder")
    for option in element.get("options") or []:
        problems += _text_over(option.get("text"), OPTION_TEXT, "option text")
    return problems


def _text_over(text: dict[str, Any] | None, limit: int, what: str) -> list[str]:
    if not text:
        return []
    value = text.get("text", "")
    if not value:
        return [f"empty {what}"]
    if len(value) > limit:
        return [f"{what} of {len(value)} characters (limit {limit})"]
    return []
