"""A probe the app rejects as invalid proves nothing about the route.

When every answer of a burst or probe set is a validation error (422, or a 400 that says what
is wrong with the input), the app never got as far as the code the check judges: a limit, an
auth guard, a chat model. The check then reports ``error`` with what the app said and the key
to fix, never ``fail`` or ``pass``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from checks.context import HttpResponse, ProbeError

__all__ = ["rejected_body", "validation_reason"]

REASON_CHARS = 120
# A 400 that names a problem with the input, not with the credentials (a failed login often
# answers 400 "Incorrect username or password": exactly what a rate limit must count).
_INPUT_WORDS = re.compile(
    r"valid|required|missing|field|json|pars|malformed|expected|schema|must be|format|type|decode|body",
    re.I,
)
_CREDENTIAL_WORDS = re.compile(
    r"password|credential|username|unauthori[sz]ed|login|sign.?in|token|signature", re.I
)


def validation_reason(response: HttpResponse) -> str | None:
    """``"422 body.username: field required"`` when the app refused the request's input, else None."""
    if response.status not in (400, 422):
        return None
    reason = _short_reason(response)
    if response.status == 400 and (
        not _INPUT_WORDS.search(reason) or _CREDENTIAL_WORDS.search(reason)
    ):
        return None
    return f"{response.status} {reason}".strip()


def rejected_body(responses: Sequence[HttpResponse], key: str) -> str | None:
    """The sentence for a probe set the app refused as a whole, or None when any answer counts."""
    if not responses:
        return None
    reasons = [validation_reason(r) for r in responses]
    if not all(reasons):
        return None
    return f"the app rejects this body: {reasons[-1]}; fix `{key}`"


def _short_reason(response: HttpResponse) -> str:
    try:
        data = response.json()
    except ProbeError:
        return _clip(" ".join(response.text.split()))
    return _clip(_from_json(data) or " ".join(response.text.split()))


def _from_json(data: Any) -> str:
    if isinstance(data, dict):
        for name in ("detail", "errors", "error", "message", "msg"):
            if name in data:
                return _from_json(data[name])
        return ""
    if isinstance(data, list) and data:
        first = data[0]
        if isinstance(first, dict):
            where = ".".join(str(p) for p in first.get("loc", []) or [])
            what = str(first.get("msg") or first.get("message") or "")
            return f"{where}: {what}" if where and what else what or where
        return str(first)
    return str(data) if isinstance(data, str | int | float) else ""


def _clip(text: str) -> str:
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 1].rsplit(" ", 1)[0] + "…"
