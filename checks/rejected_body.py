"""When every answer is a validation error, the probe proved nothing about the route.

A 400 or 422 to every request means the app refused the body we sent before it reached the
code under test (a missing field, the wrong encoding). Such a probe set is neither a pass nor
a fail; the check reports ``error`` with this sentence so the team fixes ``body``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from checks.context import HttpResponse

__all__ = ["VALIDATION_STATUSES", "body_rejected"]

VALIDATION_STATUSES = (400, 422)
_SPACES = re.compile(r"\s+")


def body_rejected(responses: Sequence[HttpResponse]) -> str | None:
    """The sentence to report when every response is a 400/422, else ``None``."""
    if not responses or any(r.status not in VALIDATION_STATUSES for r in responses):
        return None
    first = responses[0]
    return f"the app rejects this body: {first.status} {_reason(first)}; fix `body`"


def _reason(response: HttpResponse, limit: int = 120) -> str:
    """A short reason: the validation message if the body has one, else its first words."""
    try:
        data = json.loads(response.body)
    except (ValueError, UnicodeDecodeError):
        data = None
    detail = data.get("detail", data.get("message", data.get("error"))) if isinstance(data, dict) else None
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):  # FastAPI/pydantic
        item = detail[0]
        where = ".".join(str(p) for p in item.get("loc", []))
        detail = f"{where}: {item.get('msg', '')}".strip(": ")
    text = _SPACES.sub(" ", str(detail if detail is not None else response.text)).strip()
    text = text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"
    return f"({text})" if text else "(empty body)"
