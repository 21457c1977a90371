"""obs.correlation_id: responses carry a request/correlation id a user can quote in a bug report."""

from __future__ import annotations

import secrets

from checks.check import check
from checks.context import MAX_REDIRECTS, CheckContext, ProbeError
from checks.model import Finding, Outcome, Severity
from checks.target import Target

__all__ = ["CHECK", "ID_HEADERS"]

# Request ids set by apps, frameworks, load balancers, CDNs and tracing (W3C, B3, vendors).
ID_HEADERS = (
    "x-request-id",
    "x-correlation-id",
    "request-id",
    "correlation-id",
    "x-trace-id",
    "traceparent",
    "x-amzn-trace-id",
    "x-amzn-requestid",
    "x-amz-request-id",
    "x-amz-cf-id",
    "cf-ray",
    "x-cloud-trace-context",
    "x-b3-traceid",
    "x-ms-request-id",
    "x-azure-ref",
    "x-vercel-id",
    "fly-request-id",
    "x-railway-request-id",
    "x-github-request-id",
    "x-datadog-trace-id",
)


@check(
    id="obs.correlation_id",
    title="Responses carry a request id",
    severity=Severity.MEDIUM,
    passes_when="A health route, a public route and a 404 all answer with a request/correlation id header (X-Request-Id, traceparent, CF-Ray ...).",
    why="When a stranger reports 'it broke', the request id is what turns their screenshot into the matching log line.",
    breaks="Support cannot find the failing request in the logs; incidents take hours to trace.",
    remediation="Add a middleware (or enable the proxy/CDN feature) that sets X-Request-Id on every response, errors included, and logs it with each line.",
    max_requests=3 * (1 + MAX_REDIRECTS),  # 3 probes, each with its same-origin redirect hops
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    health = target.health_routes[0] if target.health_routes else None
    public = next((r for r in target.public_routes if r != health and not r.has_body and "{" not in r.path), None)
    probes = [(str(r), r.method, r.path) for r in (health, public) if r is not None]
    missing_path = f"/launchready-missing-{secrets.token_hex(4)}"
    probes.append((f"GET {missing_path} (a 404)", "GET", missing_path))

    with_id: list[Finding] = []
    without: list[Finding] = []
    unreachable: list[Finding] = []
    for label, method, path in probes:
        try:
            response = await ctx.http.request(method, path)
        except ProbeError as exc:
            unreachable.append(Finding(label, str(exc)))
            continue
        found = next((h for h in ID_HEADERS if h in response.headers), None)
        if found:
            with_id.append(Finding(label, f"{label} answered {response.status} with {found}: {response.headers[found][:80]}.", {"header": found}))
        else:
            seen = sorted(response.headers.keys())
            without.append(Finding(label, f"{label} answered {response.status} without a request id header.", {"status": response.status, "headers": seen}))

    if without:
        names = ", ".join(f.resource for f in without)
        return Outcome.failed(f"{len(without)} of {len(probes)} responses carry no request id header: {names}.", without + unreachable + with_id)
    if unreachable:
        return Outcome.errored(f"{len(unreachable)} of {len(probes)} probes got no answer: {unreachable[0].message}", unreachable + with_id)
    headers = sorted({f.evidence["header"] for f in with_id})
    return Outcome.passed(f"All {len(probes)} responses carry a request id ({', '.join(headers)}).", with_id)
