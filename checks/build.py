"""Ask the app which build it is, as ``targets.<name>.version`` says (one request)."""

from __future__ import annotations

import re
from typing import Any

from checks.context import ProbeError, ScopedHttp
from checks.target import Target

__all__ = ["json_path", "observe_build"]

_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[['\"]([^'\"]+)['\"]\]")


def json_path(document: Any, path: str) -> Any:
    """The value at a simple JSONPath (``$.a.b``, ``$.items[0]``, ``$['a-b']``), or None."""
    rest, value = path[1:], document
    while rest:
        match = _STEP.match(rest)
        if match is None:
            return None
        name, index, quoted = match.groups()
        if index is not None:
            value = (
                value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
            )
        else:
            value = value.get(name or quoted) if isinstance(value, dict) else None
        if value is None:
            return None
        rest = rest[match.end() :]
    return value


async def observe_build(target: Target, http: ScopedHttp) -> str:
    """The build the app reports; :class:`ProbeError` with a sentence when it does not say."""
    spec = target.version
    if spec is None:
        raise ProbeError("targets.*.version is not configured.")
    response = await http.send(
        spec.route.method, spec.route.path, count=lambda: None, body_cap=64 * 1024
    )
    if response.status >= 400:
        raise ProbeError(f"{spec.route} answered {response.status}; the app's build is unknown.")
    if spec.header:
        value = response.headers.get(spec.header)
        if not value:
            raise ProbeError(
                f"{spec.route} answered without a {spec.header} header; the app's build is unknown."
            )
        return value.strip()[:128]
    value = json_path(response.json(), spec.json_path or "$")
    if value is None or isinstance(value, dict | list):
        raise ProbeError(
            f"{spec.route} has no value at {spec.json_path}; the app's build is unknown."
        )
    return str(value)[:128]
