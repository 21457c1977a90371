"""Request-body handling for the demo's API modules: naive when flawed, strict when hardened.

Flawed mode parses the body and trusts it, so bad input raises and becomes a 500 (with a
traceback, see guards.py). Hardened mode answers 400/413/422 with a plain JSON sentence.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

__all__ = ["BadBody", "naive_json", "strict_object"]


class BadBody(Exception):
    """A hardened-mode rejection; ``response`` is what the client gets."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.response = web.json_response({"error": message}, status=status)


async def naive_json(request: web.Request) -> Any:
    return json.loads(await request.text())


async def strict_object(request: web.Request, *, fields: dict[str, int], required: tuple[str, ...]) -> dict[str, str]:
    """A JSON object whose keys are all in ``fields`` (name -> max length), string values only."""
    raw = await request.read()
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise BadBody(400, "the body must be valid JSON") from None
    if not isinstance(body, dict):
        raise BadBody(422, "the body must be a JSON object")
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise BadBody(422, f"not writable: {', '.join(unknown)}")
    for name in required:
        if name not in body:
            raise BadBody(422, f"{name} is required")
    for name, value in body.items():
        if not isinstance(value, str):
            raise BadBody(422, f"{name} must be a string")
        if len(value) > fields[name]:
            raise BadBody(413, f"{name} is longer than {fields[name]} characters")
    return body
