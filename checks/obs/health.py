"""obs.health: the health routes answer 2xx."""

from __future__ import annotations

from checks.check import check
from checks.context import CheckContext, ProbeError
from checks.model import Finding, Outcome, Severity
from checks.target import Target

__all__ = ["CHECK"]


@check(
    id="obs.health",
    title="Health routes answer 2xx",
    severity=Severity.HIGH,
    passes_when="Every configured health route answers 2xx without credentials.",
    why="Load balancers, uptime monitors and deploy pipelines decide from the health route whether the app is alive.",
    breaks="Healthy instances are taken out of rotation or dead ones kept in; monitors alert on nothing or stay silent.",
    remediation="Serve each health route (default GET /health) with a 2xx and no authentication; keep it cheap.",
    max_requests=20,
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    routes = target.health_routes
    if not routes:
        return Outcome.skipped("No health route is configured: set targets.<name>.health_routes (e.g. [GET /health]).")
    failures: list[Finding] = []
    passes: list[Finding] = []
    unreachable: list[Finding] = []
    for route in routes:
        try:
            response = await ctx.http.request(route.method, route.path)
        except ProbeError as exc:
            unreachable.append(Finding(str(route), str(exc)))
            continue
        if 200 <= response.status < 300:
            passes.append(Finding(str(route), f"{route} answered {response.status} in {response.elapsed_ms:.0f} ms."))
        else:
            failures.append(
                Finding(str(route), f"{route} answered {response.status}, not 2xx.", response.evidence())
            )
    if unreachable and not failures and not passes:
        return Outcome.errored(f"No health route could be reached: {unreachable[0].message}", unreachable)
    if failures or unreachable:
        failures += unreachable
        return Outcome.failed(f"{len(failures)} of {len(routes)} health routes do not answer 2xx.", failures)
    return Outcome.passed(f"All {len(routes)} health routes answer 2xx.", passes)
