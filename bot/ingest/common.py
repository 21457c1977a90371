"""What the ingest endpoints share: the capped body, JSON answers, rejections with a sentence."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.monitoring.monitoring import Monitoring

__all__ = ["Rejected", "answer", "link_or_none", "parse_json", "read_body", "rejected"]


class Rejected(Exception):
    """A delivery we refuse: ``status`` and a sentence that names the field or header."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason  # a short key for the rejection counter


async def read_body(request: web.Request, max_body: int) -> bytes:
    """The raw body, refused past ``max_body`` bytes without reading the rest."""
    if request.content_length is not None and request.content_length > max_body:
        raise Rejected(
            413,
            "too_large",
            f"The body is {request.content_length} bytes; the limit is {max_body} (ingest.max_body).",
        )
    body = await request.content.read(max_body + 1)
    if len(body) > max_body:
        raise Rejected(
            413, "too_large", f"The body is over the limit of {max_body} bytes (ingest.max_body)."
        )
    return body


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Rejected(400, "malformed", f"The body is not JSON: {exc}.") from None
    except RecursionError:  # "[[[[..." nested past the parser's depth
        raise Rejected(
            400, "malformed", "The body is not JSON we accept: it is nested too deeply."
        ) from None


def link_or_none(value: Any) -> str | None:
    """A sender's optional link: text (capped to the column's 2000 characters), else None;
    a JSON object where a URL belongs must not reach the database."""
    return value[:2000] if isinstance(value, str) and value else None


def answer(code: int = 200, /, **data: Any) -> web.Response:
    return web.json_response(data, status=code)


def rejected(monitoring: Monitoring, source: str, problem: Rejected) -> web.Response:
    monitoring.reject(source, problem.reason, str(problem))
    return answer(problem.status, error=str(problem))
