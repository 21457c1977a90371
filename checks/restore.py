"""Putting a shared object back: probes that write to an object nobody marked disposable read
it first and, if the probes changed it, write the original back and prove it held."""

from __future__ import annotations

from typing import Any

from checks.context import CheckContext
from checks.model import Finding
from checks.owned import ResolvedObject

__all__ = ["restore", "snapshot"]


async def snapshot(obj: ResolvedObject, ctx: CheckContext) -> Any:
    """The object as its owner sees it now (JSON), or None when it cannot be read."""
    response = await ctx.http.request("GET", obj.path, as_user=obj.spec.owner)
    if not 200 <= response.status < 300:
        return None
    return response.json_or_none()


async def restore(
    obj: ResolvedObject, before: Any, method: str, ctx: CheckContext
) -> Finding | None:
    """Write ``before`` back with ``method`` as the owner if the object changed; a finding when
    the object stays changed (None when it is as it was)."""
    now = await snapshot(obj, ctx)
    if before is None or now == before:
        return None
    # First only the fields that changed (an app that lets few fields be written refuses its
    # whole representation), then the whole representation.
    bodies = [before]
    if isinstance(before, dict) and isinstance(now, dict):
        changed = {k: v for k, v in before.items() if now.get(k) != v}
        bodies.insert(0, changed)
    for body in bodies:
        await ctx.http.request(method, obj.path, as_user=obj.spec.owner, json=body)
        if await snapshot(obj, ctx) == before:
            return None
    return Finding(
        str(obj.spec.route),
        f"The probes changed object {obj.label} and writing its original back did not restore it; "
        "check it by hand, and mark objects made for testing disposable: true.",
    )
