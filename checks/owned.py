"""Owned objects without pasted ids: the id is named, found in the owner's list, or created.

``objects[].discover: GET /orders`` asks the owner for its list and takes the first id (by
``id_path``, a JSONPath, or the first id-like field); ``objects[].create: POST /orders`` with
``body`` makes a fresh object as the owner and takes its id from the answer. Each object is
resolved once per run and shared by the checks that probe it (one creation, not one per check).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jsonpath_ng import parse as parse_jsonpath

from checks.target import OwnedObject, Route, body_kwargs

if TYPE_CHECKING:
    from checks.context import CheckHttp

__all__ = ["ObjectResolver", "ResolvedObject", "first_id"]

_ID_KEYS = ("id", "uuid", "_id", "slug", "key", "pk")
_LIST_KEYS = ("data", "items", "results", "records", "objects", "rows", "content")


def _id_of(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    for key in _ID_KEYS:
        if isinstance(item.get(key), str | int) and not isinstance(item.get(key), bool):
            return str(item[key])
    for key, value in item.items():
        if (
            (key.endswith("_id") or key.endswith("Id"))
            and isinstance(value, str | int)
            and not isinstance(value, bool)
        ):
            return str(value)
    return None


def first_id(data: Any, id_path: str | None = None) -> str | None:
    """The first id in an answer: at the JSONPath, else the object's own id, else the first
    id of the first list found (top level, or under data/items/results...)."""
    if id_path:
        values = [m.value for m in parse_jsonpath(id_path).find(data)]
        values = [v for v in values if isinstance(v, str | int) and not isinstance(v, bool)]
        return str(values[0]) if values else None
    if isinstance(data, list):
        return next((found for item in data if (found := _id_of(item))), None)
    if not isinstance(data, dict):
        return None
    lists = [data[k] for k in _LIST_KEYS if isinstance(data.get(k), list)]
    lists += [v for v in data.values() if isinstance(v, list) and v not in lists]
    for items in lists:
        found = first_id(items)
        if found:
            return found
    own = _id_of(data)
    if own:
        return own
    nested = [v for v in data.values() if isinstance(v, dict)]
    return next((found for item in nested if (found := _id_of(item))), None)


@dataclass(frozen=True)
class ResolvedObject:
    spec: OwnedObject
    id: str | None  # None for body-addressed objects
    how: str  # "configured", "discovered at GET /orders", "created with POST /orders"

    @property
    def path(self) -> str:
        return self.path_for(self.spec.route)

    @property
    def label(self) -> str:
        return self.id if self.id is not None else f"{self.spec.owner}'s {self.spec.route.path}"

    def path_for(self, route: Route) -> str:
        """``route``'s path with this object's id in its placeholders."""
        return route.fill(self.id) if self.id is not None else route.path


class ObjectResolver:
    """One per run: each object's id, resolved the first time a check asks for it."""

    def __init__(self) -> None:
        self._done: dict[int, ResolvedObject | Exception] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    async def resolve(
        self, index: int, spec: OwnedObject, http: CheckHttp, *, safe: bool = False
    ) -> ResolvedObject:
        """The object's id; a :class:`ProbeError` whose sentence names the owner and route."""
        async with self._locks.setdefault(index, asyncio.Lock()):
            done = self._done.get(index)
            if isinstance(done, Exception):
                raise done
            if done is None:
                try:
                    done = await self._resolve(spec, http, safe)
                except Exception as exc:
                    self._done[index] = exc
                    raise
                self._done[index] = done
            return done

    async def _resolve(self, spec: OwnedObject, http: CheckHttp, safe: bool) -> ResolvedObject:
        from checks.context import ProbeError

        if spec.create is not None and safe:
            raise ProbeError(
                f"objects[].create ({spec.create}) is a write and the target is safe/production: use discover: (the owner's list) or id: instead."
            )

        if spec.id is not None:
            return ResolvedObject(spec, spec.id, "configured")
        if spec.body_addressed:
            return ResolvedObject(spec, None, "addressed in the body")
        route = spec.discover or spec.create
        assert route is not None
        kwargs = (
            body_kwargs(spec.body if spec.body is not None else {}, spec.content_type)
            if spec.create
            else {}
        )
        response = await http.request(route.method, route.path, as_user=spec.owner, **kwargs)
        verb = "list" if spec.discover else "create"
        if not 200 <= response.status < 300:
            raise ProbeError(
                f"{spec.owner} could not {verb} objects at {route} (answered {response.status}: {response.excerpt(100)!r}); check objects[].{'discover' if spec.discover else 'create'} and its body."
            )
        try:
            found = first_id(response.json(), spec.id_path)
        except ValueError as exc:
            raise ProbeError(f"objects[].id_path: {exc}") from None
        if found is None:
            what = (
                f"at {spec.id_path}" if spec.id_path else "(no id, uuid, _id, slug or *_id field)"
            )
            empty = (
                " The list is empty: give the owner an object first, or use create:."
                if spec.discover
                else ""
            )
            raise ProbeError(
                f"{route} answered {spec.owner} {response.status} but no id was found {what}.{empty}"
            )
        how = f"discovered at {route}" if spec.discover else f"created with {route}"
        return ResolvedObject(spec, found, how)
