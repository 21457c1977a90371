"""obs.error_disclosure: error responses leak no stack trace, SQL error or internal path, and no
response of the run carries a version banner.

Stack traces and SQL errors are an error-path matter: the check provokes errors (fresh
connections, so an app that drops the connection after a 500 cannot blame the next probe).
Banners are judged on every response the run has seen (``ScopedHttp.remembered``), a 200
health route included; the check runs after the other probes so it sees them all.
"""

from __future__ import annotations

import secrets

from checks.check import check
from checks.context import CheckContext, HttpResponse, ProbeError
from checks.model import Finding, Outcome, Severity
from checks.obs.disclosure import find_disclosures, version_banner
from checks.target import Target

__all__ = ["CHECK"]

MALFORMED_JSON = b'{"message": "launchready", '


def _probes(target: Target) -> list[tuple[str, str, str, dict]]:
    """(label, method, path, request kwargs) of requests that make apps produce error pages."""
    probe = "/launchready-missing-" + secrets.token_hex(4)
    probes: list[tuple[str, str, str, dict]] = [
        ("an unknown route", "GET", probe, {}),
        ("an unknown API route", "GET", "/api" + probe, {}),
    ]
    health = target.health_routes[0] if target.health_routes else None
    if health is not None:
        probes.append(("a wrong method", "DELETE" if health.method != "DELETE" else "PUT", health.path, {}))
    body_routes = [r for r in target.private_routes if r.route.has_body and "{" not in r.route.path]
    user = next(iter(target.users), None)
    for private in body_routes[:2]:
        route = private.route
        headers = {"Content-Type": "application/json"}
        probes.append(("a malformed JSON body", route.method, route.path, {"content": MALFORMED_JSON, "headers": headers, "as_user": user}))
    for obj in target.objects[:1]:
        path = obj.route.fill("1'\"><launchready")
        probes.append(("an id with quotes (SQL)", "GET", path, {"as_user": obj.owner}))
    return probes


def _ordinary_path(target: Target) -> str | None:
    """A route that answers normally, so a check run on its own still sees a success answer."""
    for route in (*target.health_routes, *target.pages):
        if route.method == "GET" and "{" not in route.path:
            return route.path
    return None


def _banner_findings(ctx: CheckContext) -> list[Finding]:
    findings = []
    for (header, value), where in sorted(ctx.resources.http.remembered.items()):
        if version_banner(header, value):
            evidence = {"header": header, "value": value, "seen_on": where}
            findings.append(Finding(f"{header}: {value}", f"{header}: {value} names the software and its version (seen on {where}).", evidence))
    return findings


@check(
    id="obs.error_disclosure",
    title="Error responses leak no stack trace, banner or internal path",
    severity=Severity.MEDIUM,
    passes_when="Unknown routes, wrong methods, malformed bodies and odd ids get errors without stack traces, debugger pages, versioned Server/X-Powered-By banners, SQL errors or internal file paths.",
    why="Stack traces and version banners tell an attacker which framework, versions, files and queries to aim at.",
    breaks="Known CVEs of the exact version are one search away; SQL errors guide injection step by step.",
    remediation="Turn debug mode off in production, return a generic JSON error body, log the trace server-side with a request id, and strip versions from Server and X-Powered-By.",
    max_requests=12,  # at most 7 error probes and 1 ordinary route, with redirect hops on the latter
    after_probes=True,  # banners: judged on every response the run saw
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    probes = _probes(target)
    failures: list[Finding] = []
    clean: list[Finding] = []
    errors: list[str] = []
    ordinary = _ordinary_path(target)
    if ordinary is not None:
        try:
            await ctx.http.request("GET", ordinary)  # only its headers matter, via remembered
        except ProbeError as exc:
            errors.append(str(exc))
    for label, method, path, kwargs in probes:
        try:
            # The error answer itself is judged, so its redirects are not followed.
            response: HttpResponse = await ctx.http.request(method, path, fresh=True, follow_redirects=False, **kwargs)
        except ProbeError as exc:
            errors.append(str(exc))
            continue
        found = find_disclosures(response, banners=False)
        resource = f"{method} {path}"
        if found:
            evidence = response.evidence(headers=("server", "x-powered-by", "content-type"), body_bytes=300)
            evidence["disclosures"] = [f"{d.kind}: {d.sample}" for d in found]
            kinds = ", ".join(sorted({d.kind for d in found}))
            failures.append(Finding(resource, f"{label} ({resource}) answered {response.status} showing {kinds}.", evidence))
        else:
            clean.append(Finding(resource, f"{label} answered {response.status} with nothing revealing."))
    if not failures and not clean:
        return Outcome.errored(f"No error probe got an answer: {errors[0]}")
    banners = _banner_findings(ctx)
    if failures or banners:
        parts = []
        if failures:
            parts.append(f"{len(failures)} of {len(failures) + len(clean)} error responses disclose internals")
        if banners:
            parts.append(f"{len(banners)} version banner{'s' if len(banners) != 1 else ''} on the run's responses ({', '.join(f.resource for f in banners[:3])})")
        return Outcome.failed("; ".join(parts) + ".", failures + banners + clean)
    return Outcome.passed(f"{len(clean)} error responses disclose nothing about the stack, and no response of the run carries a version banner.", clean)
