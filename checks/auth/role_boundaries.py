"""auth.role_boundaries: a route limited to roles rejects every user without the role.

Each role-limited route is sent as every user whose role the route does not admit (users in
name order, so the order of ``users:`` changes nothing). A read is first sent once as a user
the route admits: if even that user is turned away, a rejection proves nothing. A destructive
route (DELETE, or a body that changes a role) is only sent to an object marked
``disposable: true`` (or created by the run); the object is read before and after, so a 404
from an object that is already gone never counts as a rejection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from checks.auth.tenant_isolation import is_leak
from checks.check import check
from checks.context import CheckContext, HttpResponse, ProbeError
from checks.model import Finding, Outcome, Severity
from checks.owned import ResolvedObject
from checks.rejection import rejected_body
from checks.restore import restore, snapshot
from checks.target import OwnedObject, PrivateRoute, Target, body_kwargs

__all__ = ["CHECK", "destructive"]

REJECTED = (401, 403, 404)
READS = ("GET", "HEAD", "OPTIONS")
_ROLE_KEYS = ("role", "roles", "is_admin", "admin", "is_superuser", "is_staff", "permissions")


def destructive(route: PrivateRoute) -> str | None:
    """What the route destroys if the guard is missing ("deletes", "changes a role"), or None."""
    if route.route.method == "DELETE":
        return "deletes"
    keys = {str(k).lower() for k in route.body} if isinstance(route.body, dict) else set()
    if route.route.method in ("POST", "PUT", "PATCH") and (
        keys & set(_ROLE_KEYS) or "/role" in route.route.path.lower()
    ):
        return "changes a role"
    return None


def _outsiders(route: PrivateRoute, target: Target) -> list[str]:
    return sorted(name for name, user in target.users.items() if user.role not in route.roles)


def _insider(route: PrivateRoute, target: Target) -> str | None:
    """A user the route admits, the same one whatever the order of ``users:``."""
    return next(
        (name for name in sorted(target.users) if target.users[name].role in route.roles), None
    )


@dataclass
class _Verdicts:
    reached: list[Finding] = field(default_factory=list)
    rejected: list[Finding] = field(default_factory=list)
    unclear: list[Finding] = field(default_factory=list)
    unjudged: list[Finding] = field(default_factory=list)  # the probe could not prove anything
    untouched: list[Finding] = field(default_factory=list)  # destructive, no disposable object
    sent: int = 0


def _untouched_reason(
    route: PrivateRoute, does: str, obj: OwnedObject | None, target: Target, name: str
) -> str:
    if obj is None:
        return (
            f"Not probed: {route.route} {does}; add an objects entry with route: GET {route.route.path}, "
            f"made by the run (create: POST ...) or marked disposable: true, to targets.{name}.objects."
        )
    index = target.objects.index(obj)
    return (
        f"Not probed: {route.route} {does} and object {obj.id_source} is shared; set "
        f"targets.{name}.objects[{index}].disposable: true, or let the run make one (create: POST ...)."
    )


@check(
    id="auth.role_boundaries",
    title="Role-limited routes reject users without the role",
    severity=Severity.CRITICAL,
    passes_when="Every private route with roles answers 401, 403 or 404 to each configured user who lacks those roles, while a user with the role gets through.",
    why="Admin and staff routes guarded only by 'is logged in' hand every customer the admin console.",
    breaks="Any signed-up user can list users, change plans or read other tenants' data through admin routes.",
    remediation="Check the caller's role on the server for every role-limited route (a decorator or middleware per route group), and answer 403.",
    max_requests=200,
    exclusive=True,  # it writes to objects other checks read: run alone, so neither sees the other's writes  # per route: a control read, then one probe per user without the role (+2 reads if destructive)
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    limited = [r for r in target.private_routes if r.roles]
    if not limited:
        return Outcome.skipped(
            "No private route is limited to roles: set targets.<name>.private_routes[].roles (e.g. {route: GET /admin/users, roles: [admin]})."
        )
    routes = [
        r
        for r in limited
        if _outsiders(r, target) and (not target.is_safe or r.route.method in READS)
    ]
    if not routes:
        return Outcome.skipped(
            "No configured user lacks the roles of the limited routes: add a user with another role to targets.<name>.users."
        )
    planned = sum(
        5 + 3 * len(_outsiders(r, target)) for r in routes
    )  # + a snapshot and restore of a shared object
    if planned > ctx.http.max_requests:
        return Outcome.errored(
            f"{len(routes)} role-limited routes need up to {planned} requests, more than this check's bound of {ctx.http.max_requests}."
        )
    verdicts = _Verdicts()
    for route in routes:
        await _probe_route(route, target, ctx, verdicts)
    return _outcome(verdicts, len(routes))


async def _probe_route(
    route: PrivateRoute, target: Target, ctx: CheckContext, out: _Verdicts
) -> None:
    resource = str(route.route)
    spec = target.object_for(route.route)
    does = destructive(route)
    if does and not (spec and spec.may_destroy):
        out.untouched.append(
            Finding(resource, _untouched_reason(route, does, spec, target, ctx.target_name))
        )
        return
    obj: ResolvedObject | None = None
    if spec is not None:
        index = target.object_index(route.route)
        assert index is not None
        try:
            obj = await ctx.owned_object(index)  # named, discovered or created as its owner
        except ProbeError as exc:
            out.unjudged.append(Finding(resource, f"{resource}: {exc}"))
            return
    path = obj.path_for(route.route) if obj else route.route.path
    if "{" in path:  # validate refuses this; kept so a literal {id} is never sent
        out.untouched.append(
            Finding(resource, f"Not probed: nothing fills the placeholders of {resource}.")
        )
        return
    insider = _insider(route, target)
    control: HttpResponse | None = None
    if route.route.method in READS and insider is not None:
        try:
            control = await ctx.http.request(route.route.method, path, as_user=insider)
        except ProbeError as exc:
            out.unjudged.append(
                Finding(
                    resource,
                    f"{insider} (role {target.users[insider].role}), whom the route admits: {exc}",
                )
            )
            return
        out.sent += 1
        if not 200 <= control.status < 300:
            out.unjudged.append(
                Finding(
                    resource,
                    f"Even {insider} (role {target.users[insider].role}), whom the route admits, got {control.status}: rejections of others prove nothing; check the route.",
                    control.evidence(),
                )
            )
            return
    kwargs = (
        body_kwargs(route.body if route.body is not None else {}, route.content_type)
        if route.route.has_body
        else {}
    )
    shared = obj if obj is not None and not obj.spec.may_destroy and route.route.has_body else None
    before = await snapshot(shared, ctx) if shared else None  # a write that gets through is undone
    answers: list[HttpResponse] = []
    # A destructive probe is judged by reading the object before and after. An object the
    # app offers no read for (a DELETE-only route) is judged by status alone, and then a 404
    # is never taken for a rejection.
    readable = bool(does and obj and await _exists(obj, ctx, out))
    for name in _outsiders(route, target):
        user = target.users[name]
        who = f"{name} (role {user.role}; route needs {', '.join(route.roles)})"
        if readable and obj and answers and not await _exists(obj, ctx, out):
            out.unjudged.append(
                Finding(
                    resource,
                    f"{who}: object {obj.label} no longer exists before the probe (deleted by an earlier probe or by hand), so a 404 would prove nothing; recreate it.",
                )
            )
            continue
        try:
            response = await ctx.http.request(route.route.method, path, as_user=name, **kwargs)
        except ProbeError as exc:
            out.unclear.append(Finding(resource, f"{who}: {exc}"))
            continue
        out.sent += 1
        answers.append(response)
        evidence = response.evidence()
        if (
            200 <= response.status < 300
            and control is not None
            and not is_leak(control, response)[0]
        ):
            # Many apps refuse with a 200 and an error inside; what counts is whether the
            # outsider got the view the admitted user gets.
            out.rejected.append(
                Finding(
                    resource,
                    f"{who} got {response.status} but not the view {insider} gets (an error inside a 2xx).",
                    evidence,
                )
            )
        elif 200 <= response.status < 300:
            out.reached.append(
                Finding(resource, f"{who} reached {resource}: {response.status}.", evidence)
            )
        elif readable and obj and not await _exists(obj, ctx, out):
            out.reached.append(
                Finding(
                    resource,
                    f"{who} got {response.status}, yet object {obj.label} is gone afterwards: the {route.route.method} was applied.",
                    evidence,
                )
            )
        elif does and not readable and response.status == 404:
            out.unclear.append(
                Finding(
                    resource,
                    f"{who} got 404; object {obj.label if obj else ''} cannot be read back, so that may mean it is gone rather than refused.",
                    evidence,
                )
            )
        elif response.status in REJECTED or 300 <= response.status < 400:
            out.rejected.append(
                Finding(resource, f"{who} was rejected with {response.status}.", evidence)
            )
        else:
            out.unclear.append(
                Finding(resource, f"{who} got {response.status}, not a clear 401/403.", evidence)
            )
    if shared is not None:
        unrestored = await restore(shared, before, route.route.method, ctx)
        if unrestored is not None:
            out.reached.append(unrestored)
    sentence = rejected_body(answers, f"private_routes[{target.private_routes.index(route)}].body")
    if sentence:  # every answer a 400/422: those are not rejections by role
        for finding in [f for f in out.unclear if f.resource == resource]:
            out.unclear.remove(finding)
        out.unjudged.append(Finding(resource, f"{resource}: {sentence}.", answers[0].evidence()))


async def _exists(obj: ResolvedObject, ctx: CheckContext, out: _Verdicts) -> bool:
    try:
        response = await ctx.http.request("GET", obj.path, as_user=obj.spec.owner)
    except ProbeError:
        return False
    out.sent += 1
    # Some apps answer 200 with `null` for an object that is gone.
    return 200 <= response.status < 300 and response.body.strip() not in (
        b"",
        b"null",
        b"{}",
        b"[]",
    )


def _outcome(out: _Verdicts, routes: int) -> Outcome:
    untouched = (
        f" {len(out.untouched)} destructive routes were not probed (see the notes for the key to set)."
        if out.untouched
        else ""
    )
    if out.reached:
        return Outcome.failed(
            f"{len(out.reached)} requests by users without the role reached a role-limited route.{untouched}",
            out.reached + out.unclear + out.unjudged + out.untouched + out.rejected,
        )
    if out.unjudged and not out.rejected:
        return Outcome.errored(
            f"No role-limited route could be judged: {out.unjudged[0].message}{untouched}",
            out.unjudged + out.unclear + out.untouched,
        )
    if out.unclear or out.unjudged:
        count = len(out.unclear) + len(out.unjudged)
        return Outcome.warned(
            f"{count} probes got neither access nor a clear 401/403.{untouched}",
            out.unclear + out.unjudged + out.untouched + out.rejected,
        )
    if not out.rejected:
        return Outcome.skipped(out.untouched[0].message)
    return Outcome.passed(
        f"All {len(out.rejected)} requests by users without the role were rejected on {routes - len(out.untouched)} routes.{untouched}",
        out.rejected + out.untouched,
    )
