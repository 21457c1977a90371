"""auth.role_boundaries: a route limited to roles rejects every user without the role."""

from __future__ import annotations

from checks.check import check
from checks.context import CheckContext, ProbeError
from checks.model import Finding, Outcome, Severity
from checks.target import PrivateRoute, Target

__all__ = ["CHECK"]

REJECTED = (401, 403, 404)


def _probes(target: Target) -> list[tuple[PrivateRoute, str]]:
    """(route, user) for every role-limited route and every user without one of its roles.

    Write routes are left out on safe targets: a missing check would let the probe write.
    """
    return [
        (route, name)
        for route in target.private_routes
        if route.roles and (not target.is_safe or route.route.method in ("GET", "HEAD", "OPTIONS"))
        for name, user in target.users.items()
        if user.role not in route.roles
    ]


@check(
    id="auth.role_boundaries",
    title="Role-limited routes reject users without the role",
    severity=Severity.CRITICAL,
    passes_when="Every private route with roles answers 401, 403 or 404 to each configured user who lacks those roles.",
    why="Admin and staff routes guarded only by 'is logged in' hand every customer the admin console.",
    breaks="Any signed-up user can list users, change plans or read other tenants' data through admin routes.",
    remediation="Check the caller's role on the server for every role-limited route (a decorator or middleware per route group), and answer 403.",
    max_requests=200,  # one per (role-limited route, user without the role)
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    limited = [r for r in target.private_routes if r.roles]
    if not limited:
        return Outcome.skipped("No private route is limited to roles: set targets.<name>.private_routes[].roles (e.g. {route: GET /admin/users, roles: [admin]}).")
    probes = _probes(target)
    if not probes:
        return Outcome.skipped("No configured user lacks the roles of the limited routes: add a user with another role to targets.<name>.users.")
    if len(probes) > ctx.http.max_requests:
        return Outcome.errored(f"{len(probes)} (route, user) pairs exceed this check's bound of {ctx.http.max_requests} requests.")
    reached: list[Finding] = []
    unclear: list[Finding] = []
    rejected: list[Finding] = []
    unreachable = 0
    for route, name in probes:
        user = target.users[name]
        resource = str(route.route)
        kwargs = {"json": route.body if route.body is not None else {}} if route.route.has_body else {}
        try:
            path = await _path(route, target, ctx)
            response = await ctx.http.request(route.route.method, path, as_user=name, **kwargs)
        except ProbeError as exc:
            unreachable += 1
            unclear.append(Finding(resource, f"{name} (role {user.role}): {exc}"))
            continue
        evidence = response.evidence()
        who = f"{name} (role {user.role}; route needs {', '.join(route.roles)})"
        if 200 <= response.status < 300:
            reached.append(Finding(resource, f"{who} reached {resource}: {response.status}.", evidence))
        elif response.status in REJECTED or 300 <= response.status < 400:
            rejected.append(Finding(resource, f"{who} was rejected with {response.status}.", evidence))
        else:
            unclear.append(Finding(resource, f"{who} got {response.status}, not a clear 401/403.", evidence))
    if unreachable == len(probes):
        return Outcome.errored(f"No role-limited route could be reached: {unclear[0].message}", unclear)
    if reached:
        return Outcome.failed(f"{len(reached)} of {len(probes)} requests by users without the role reached a role-limited route.", reached + unclear + rejected)
    if unclear:
        return Outcome.warned(f"{len(unclear)} of {len(probes)} requests got neither access nor a 401/403.", unclear + rejected)
    return Outcome.passed(f"All {len(probes)} requests by users without the role were rejected on {len(limited)} routes.", rejected)


async def _path(route: PrivateRoute, target: Target, ctx: CheckContext) -> str:
    """The route's path, its ``{placeholder}`` filled from an owned object on the same path
    (named, discovered or created: ``checks.owned``)."""
    if "{" not in route.route.path:
        return route.route.path
    for index, obj in enumerate(target.objects):
        if obj.route.path == route.route.path:
            return (await ctx.owned_object(index)).path_for(route.route)
    raise ProbeError(f"{route.route} has a placeholder and no objects entry gives it a value (add one with route: {route.route.method} {route.route.path}).")

