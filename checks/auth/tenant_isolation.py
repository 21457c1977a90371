"""auth.tenant_isolation: a user of another tenant cannot read or change an owned object.

A leak is judged on bodies, not statuses (Akto's BOLA heuristic, NOTES.md): a 2xx whose body
is at least 90% like the owner's view and carries no error words. Many APIs answer 200 with
an error inside, or with an empty list; neither is a leak.

Objects come with a named id, an id discovered in the owner's list or a freshly created one
(``checks.owned``). A body-addressed object (a write route that names its owner in the body,
``PUT /profile {"username": "{owner}"}``) is written by each other tenant naming the owner,
and the owner's view is read back after each write: a change is the proof.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from checks.check import check
from checks.context import CheckContext, HttpResponse, ProbeError
from checks.model import Finding, Outcome, Severity
from checks.owned import ResolvedObject
from checks.target import OwnedObject, Route, Target, body_kwargs, fill_body

__all__ = ["CHECK", "planned_requests", "same_view"]

WRITE_METHODS = ("PUT", "PATCH", "DELETE")
SIMILARITY = 0.9
_ERROR_WORDS = re.compile(r"unauthori[sz]ed|forbidden|not found|denied|not allowed|permission", re.I)
_COMPARED_CHARS = 4000  # enough to tell two views apart; SequenceMatcher is quadratic


def same_view(owner: HttpResponse, other: HttpResponse) -> float:
    """How much ``other`` looks like the owner's view, 0..1 (1 for equal JSON)."""
    try:
        if json.loads(owner.body) == json.loads(other.body):
            return 1.0
    except (ValueError, UnicodeDecodeError):
        pass
    a, b = owner.text[:_COMPARED_CHARS], other.text[:_COMPARED_CHARS]
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def is_leak(owner: HttpResponse, other: HttpResponse) -> tuple[bool, float]:
    if not 200 <= other.status < 300:
        return False, 0.0
    score = same_view(owner, other)
    return score >= SIMILARITY and not _ERROR_WORDS.search(other.text[:_COMPARED_CHARS]), score


def _writes(obj: OwnedObject, target: Target) -> list[str]:
    """Cross-tenant writes to send; a DELETE only to a disposable or run-created object (it may succeed)."""
    if target.is_safe:
        return []
    return [m for m in obj.methods if m in WRITE_METHODS and (m != "DELETE" or obj.may_destroy)]


def _readable(obj: OwnedObject) -> bool:
    """An object listed only for its writes (``methods: [DELETE]``) has no read to compare; a
    body-addressed object has its own read (``read``)."""
    return obj.body_addressed or (obj.route.method in ("GET", "HEAD") and any(m in ("GET", "HEAD") for m in obj.methods))


def _intruders(obj: OwnedObject, target: Target) -> list[str | None]:
    """Users of other tenants, and no token. Without tenants (each user its own), an admin
    is the platform's staff, who may see every user's objects by design: not an intruder.
    Roles declared in ``cross_tenant_roles`` read every tenant by design: role_boundaries'."""
    tenant = target.tenant_of(obj.owner)
    return [
        name
        for name, user in target.users.items()
        if target.tenant_of(name) != tenant
        and (user.tenant is not None or user.role != "admin")
        and user.role not in target.cross_tenant_roles
    ] + [None]


def planned_requests(target: Target) -> int:
    """Per object: one request to find or create it (unless its id is named), owner read + a
    read per intruder (other-tenant users and no token), then per write method a request per
    intruder, and one owner read to verify the object is intact. A body-addressed object:
    owner read, then per intruder a write and an owner read-back. Logins come on top."""
    total = 0
    for obj in filter(_readable, target.objects):
        intruders = len(_intruders(obj, target))
        if obj.body_addressed:
            total += 0 if target.is_safe else 1 + 2 * intruders
            continue
        writes = len(_writes(obj, target))
        reads = 0 if obj.public else intruders
        total += (obj.id is None) + 1 + reads + writes * intruders + (1 if writes else 0)
    return total


def _logins(target: Target) -> int:
    """Room for each signing-in user's login and one renewal."""
    return 2 * sum(1 for user in target.users.values() if user.login is not None)


def _who(user: str | None, target: Target) -> str:
    if user is None:
        return "no token"
    tenant = target.users[user].tenant
    return f"{user} (tenant {tenant})" if tenant else f"{user} (another user)"


@check(
    id="auth.tenant_isolation",
    title="Other tenants cannot read or change owned objects",
    severity=Severity.CRITICAL,
    passes_when="Every configured owned object answers its owner, and users of other tenants (and no token) get no copy of it and cannot change it.",
    why="Broken object-level authorization (BOLA/IDOR) is the most common API breach: one customer reads another's data by changing an id.",
    breaks="Any customer can read or edit every other customer's conversations, files or invoices.",
    remediation="Scope every object lookup by the caller's tenant (WHERE tenant_id = :caller_tenant) and answer 404 for objects of other tenants.",
    max_requests=300,
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    if not target.objects:
        return Outcome.skipped("No owned object is configured: set targets.<name>.objects (route, owner, and id, discover or create).")
    if not any(map(_readable, target.objects)):
        return Outcome.skipped("No owned object can be read (every objects[] entry lacks GET in methods), so there is no owner's view to compare.")
    planned = planned_requests(target) + _logins(target)
    if planned > ctx.http.max_requests:
        return Outcome.errored(f"The configured objects need {planned} requests, more than this check's bound of {ctx.http.max_requests}; configure fewer objects or users.")
    failures: list[Finding] = []
    notes: list[Finding] = []
    lonely = False
    for index, obj in enumerate(target.objects):
        if not _readable(obj):
            continue
        try:
            resolved = await ctx.owned_object(index)
            if resolved.id is None:
                result = await _probe_body_addressed(resolved, target, ctx)
            else:
                result = await _probe(resolved, target, ctx)
        except ProbeError as exc:
            return Outcome.errored(f"{obj.route} (owner {obj.owner}): {exc}", failures + notes)
        if isinstance(result, Outcome):
            return result
        failures += result[0]
        notes += result[1]
        lonely = lonely or len(_intruders(obj, target)) == 1
    if failures:
        return Outcome.failed(f"{len(failures)} cross-tenant reads or writes succeeded on {sum(map(_readable, target.objects))} owned objects.", failures + notes)
    if lonely:
        return Outcome.warned("Only the no-token probe ran for some objects: add a user of another tenant to targets.<name>.users.", notes)
    return Outcome.passed(f"No other tenant could read or change any of {sum(map(_readable, target.objects))} owned objects.", notes)


async def _probe(resolved: ResolvedObject, target: Target, ctx: CheckContext) -> Outcome | tuple[list[Finding], list[Finding]]:
    obj, path, object_id = resolved.spec, resolved.path, resolved.id
    read = obj.route.method if obj.route.method in ("GET", "HEAD") else "GET"
    resource = f"{read} {path}"
    owner = await ctx.http.request(read, path, as_user=obj.owner)
    if not 200 <= owner.status < 300 or not owner.body:
        return Outcome.errored(
            f"The owner {obj.owner} could not read {resource} (answered {owner.status}; id {resolved.how}), so there is nothing to compare; check objects[] and its owner.",
            [Finding(resource, "The owner's own read failed.", owner.evidence())],
        )
    failures: list[Finding] = []
    notes: list[Finding] = []
    intruders = _intruders(obj, target)
    for user in [] if obj.public else intruders:
        other = await ctx.http.request(read, path, as_user=user)
        leak, score = is_leak(owner, other)
        evidence = other.evidence() | {"similarity_to_owner_view": round(score, 2)}
        if leak:
            failures.append(Finding(resource, f"{_who(user, target)} read {obj.owner}'s object {object_id}: {other.status} with a body {score:.0%} like the owner's.", evidence))
        else:
            notes.append(Finding(resource, f"{_who(user, target)} got {other.status} and no copy of the object.", evidence))
    writes = _writes(obj, target)
    if not writes:
        return failures, notes
    body = _unchanged_body(owner)
    for method in writes:
        for user in intruders:
            answer = await ctx.http.request(method, path, as_user=user, json=None if method == "DELETE" else body)
            evidence = answer.evidence() | {"sent": f"{method} {path} with the owner's own representation" if method != "DELETE" else f"DELETE {path}"}
            if 200 <= answer.status < 300:
                failures.append(Finding(f"{method} {path}", f"{_who(user, target)} was allowed to {method} {obj.owner}'s object {object_id} ({answer.status}).", evidence))
            else:
                notes.append(Finding(f"{method} {path}", f"{_who(user, target)} was refused {method} with {answer.status}.", evidence))
    after = await ctx.http.request(read, path, as_user=obj.owner)
    if not 200 <= after.status < 300 or same_view(owner, after) < SIMILARITY:
        failures.append(Finding(resource, f"The object {object_id} is not intact after the cross-tenant writes: the owner now gets {after.status}.", after.evidence()))
    return failures, notes


async def _probe_body_addressed(resolved: ResolvedObject, target: Target, ctx: CheckContext) -> Outcome | tuple[list[Finding], list[Finding]]:
    """Each other tenant sends the write naming the owner; the owner's view is read back."""
    obj = resolved.spec
    if target.is_safe:
        return [], [Finding(str(obj.route), "Not probed: a body-addressed object is probed with a write, and this target is safe.")]
    identity = target.users[obj.owner].name_in_app
    if identity is None:
        return Outcome.errored(f"{obj.route} names its owner in the body, but how the app names {obj.owner} is unknown: set targets.{ctx.target_name}.users.{obj.owner}.identity (username or e-mail).")
    read = obj.read or Route(method="GET", path=obj.route.path)
    before = await ctx.http.request(read.method, read.path, as_user=obj.owner)
    if not 200 <= before.status < 300 or not before.body:
        return Outcome.errored(f"The owner {obj.owner} could not read {read} (answered {before.status}), so a change cannot be seen; set objects[].read.")
    failures: list[Finding] = []
    notes: list[Finding] = []
    for user in _intruders(obj, target):
        body = fill_body(obj.body, {"owner": identity, "user": user or "anonymous"})
        answer = await ctx.http.request(obj.route.method, obj.route.path, as_user=user, **body_kwargs(body, obj.content_type))
        after = await ctx.http.request(read.method, read.path, as_user=obj.owner)
        changed = _changed(before, after)
        evidence = answer.evidence() | {"sent": f"{obj.route} naming {obj.owner} in the body", "owner_view_changed": changed}
        if 200 <= answer.status < 300 and changed:
            failures.append(Finding(str(obj.route), f"{_who(user, target)} changed {obj.owner}'s object by naming {obj.owner} in the body of {obj.route} ({answer.status}); the owner's {read} now differs.", evidence | {"owner_view_after": after.excerpt(200)}))
        elif 200 <= answer.status < 300:
            notes.append(Finding(str(obj.route), f"{_who(user, target)} got {answer.status} naming {obj.owner}, but the owner's view did not change.", evidence))
        else:
            notes.append(Finding(str(obj.route), f"{_who(user, target)} was refused with {answer.status}.", evidence))
        before = after
    return failures, notes


def _changed(before: HttpResponse, after: HttpResponse) -> bool:
    try:
        return json.loads(before.body) != json.loads(after.body)
    except (ValueError, UnicodeDecodeError):
        return before.body != after.body


def _unchanged_body(owner: HttpResponse) -> Any:
    """The owner's own representation: writing it back changes nothing meaningful."""
    try:
        value = json.loads(owner.body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}
