"""api.cors: hostile, null and look-alike origins are not allowed; no wildcard with credentials.

An allowed origin is exact (``https://app.acme.com``) or a pattern with one leading wildcard
label (``https://*.acme.com``, any sub-domain). Look-alikes are derived from each: for a
pattern, the ones a careless suffix regex or an unescaped dot would also let in.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from checks.check import check
from checks.context import CheckContext, HttpResponse, ProbeError
from checks.model import Finding, Outcome, Severity
from checks.target import Route, Target

__all__ = ["CHECK", "allowed_by", "hostile_origins", "sample_origin"]

ATTACKER = "launchready-attacker.example"
SAMPLE_LABEL = "launchready"  # the sub-domain label used to stand for a pattern's "*"
SHOWN = ("access-control-allow-origin", "access-control-allow-credentials", "access-control-allow-methods", "vary")


def _pattern(allowed: str) -> re.Pattern[str]:
    """``https://*.acme.com`` -> one or more sub-domain labels of acme.com, same scheme and port."""
    scheme, _, rest = allowed.partition("://*.")
    return re.compile(re.escape(f"{scheme}://") + r"(?:[a-z0-9-]+\.)+" + re.escape(rest.lower()), re.I)


def allowed_by(origin: str, allowed: list[str]) -> bool:
    """Does the policy allow ``origin``: equal to an exact entry, or matching a pattern entry?"""
    for entry in allowed:
        if "*" in entry:
            if _pattern(entry).fullmatch(origin):
                return True
        elif origin == entry:
            return True
    return False


def sample_origin(allowed: str) -> str:
    """An origin the entry allows: itself, or the pattern with ``*`` filled in."""
    return allowed.replace("*", SAMPLE_LABEL, 1)


def _pattern_lookalikes(pattern: str) -> list[tuple[str, str]]:
    scheme, _, rest = pattern.partition("://*.")
    domain, _, port = rest.partition(":")
    port = f":{port}" if port else ""
    labels = domain.split(".")
    unescaped = ".".join(labels[:-1]) + "x" + labels[-1]  # what "*.acme.com" as an unescaped regex also takes
    origins = [
        (f"{scheme}://{domain}.{ATTACKER}{port}", f"a suffix look-alike of {pattern}"),
        (f"{scheme}://{SAMPLE_LABEL}.{domain}.{ATTACKER}{port}", f"a sub-domain of {pattern} under another site"),
        (f"{scheme}://evil{domain}{port}", f"a prefix look-alike of {pattern}"),
        (f"{scheme}://{SAMPLE_LABEL}.{unescaped}{port}", f"a look-alike of {pattern} with the dot replaced (an unescaped regex)"),
    ]
    if scheme == "https":
        origins.append((f"http://{SAMPLE_LABEL}.{domain}{port}", f"{pattern} over plain http://"))
    return origins


def hostile_origins(allowed: list[str]) -> list[tuple[str, str]]:
    """(origin, why it is hostile): an unrelated site, ``null``, and look-alikes of each allowed
    origin or pattern; none of them allowed by the policy itself."""
    origins = [(f"https://{ATTACKER}", "an unrelated site"), ("null", "the null origin (sandboxed iframes, file://)")]
    for origin in allowed:
        if "*" in origin:
            origins += _pattern_lookalikes(origin)
            continue
        parts = urlsplit(origin)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        registrable = ".".join(host.split(".")[-2:])
        origins += [
            (f"{parts.scheme}://{host}.{ATTACKER}{port}", f"a suffix look-alike of {origin}"),
            (f"{parts.scheme}://evil{host}{port}", f"a prefix look-alike of {origin}"),
            (f"{parts.scheme}://evil{registrable}{port}", f"a look-alike of the domain {registrable}"),
            (f"{parts.scheme}://evil.{host}{port}", f"a sub-domain of {origin}"),
        ]
        if parts.scheme == "https":
            origins.append((f"http://{host}{port}", f"{origin} over plain http://"))
    seen: set[str] = set()
    return [(o, why) for o, why in origins if not allowed_by(o, allowed) and not (o in seen or seen.add(o))]


def _routes(target: Target) -> list[Route]:
    assert target.cors is not None
    if target.cors.routes:
        return list(target.cors.routes)
    for private in target.private_routes:
        if private.route.method == "GET" and not private.roles and "{" not in private.route.path:
            return [private.route]
    return target.pages[:1] or [Route.parse("GET /")]


def _verdict(response: HttpResponse, origin: str) -> str | None:
    """Why this answer lets ``origin`` read responses, or None when it does not."""
    allow = response.headers.get("access-control-allow-origin", "").strip()
    credentials = response.headers.get("access-control-allow-credentials", "").strip().lower() == "true"
    if allow == "*" and credentials:
        return "answers Access-Control-Allow-Origin: * with Allow-Credentials: true"
    if allow and allow == origin:
        worst = " with Allow-Credentials: true (its scripts can read logged-in users' data)" if credentials else ""
        return f"reflects Origin {origin}{worst}"
    return None


@check(
    id="api.cors",
    title="CORS allows only the app's own origins",
    severity=Severity.HIGH,
    passes_when="Preflight and simple requests from an unrelated site, null and look-alikes of each allowed origin get no Access-Control-Allow-Origin for them, and * never comes with credentials.",
    why="A reflected Origin with credentials lets any web page read the API as the visiting, logged-in user.",
    breaks="A malicious page silently downloads a customer's conversations and files from their browser.",
    remediation="Compare Origin against an exact allowlist (no regex suffix/prefix matching, no null) and only then echo it with Allow-Credentials.",
    max_requests=400,  # 2 per (route, origin): routes x (3 + 5 per allowed origin) origins
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    if target.cors is None or not target.cors.allowed_origins:
        return Outcome.skipped("No CORS policy is configured: set targets.<name>.cors.allowed_origins (e.g. [https://app.acme.test]).")
    user = target.cors.as_user or next(iter(target.users), None)
    if user is not None and user not in target.users:
        return Outcome.errored(f'cors.as: "{user}" is not one of the users ({", ".join(sorted(target.users))}).')
    routes = _routes(target)
    origins = hostile_origins(target.cors.allowed_origins)
    probes = [(o, why, True) for o, why in origins] + [(sample_origin(o), "an allowed origin", False) for o in target.cors.allowed_origins[:1]]
    planned = len(routes) * len(probes) * 2
    if planned > ctx.http.max_requests:
        return Outcome.errored(f"The CORS battery needs {planned} requests, more than this check's bound of {ctx.http.max_requests}.")
    failures: list[Finding] = []
    notes: list[Finding] = []
    errors: list[str] = []
    answered = 0
    for route in routes:
        for origin, why, hostile in probes:
            for kind, response in await _ask(ctx, route, origin, user, errors):
                answered += 1
                problem = _verdict(response, origin)
                evidence = response.evidence(headers=SHOWN, body_bytes=80) | {"sent_origin": origin}
                label = f"{kind} {route} from {origin} ({why})"
                if hostile and problem:
                    failures.append(Finding(str(route), f"{label} {problem}.", evidence))
                elif not hostile and not problem and kind == "preflight":
                    notes.append(Finding(str(route), f"{label} is not echoed back; browsers on the app's own origin may be refused.", evidence))
    if answered == 0:
        return Outcome.errored(f"No CORS probe got an answer: {errors[0] if errors else 'no route to probe'}")
    if failures:
        with_credentials = sum("Credentials" in f.message for f in failures)
        return Outcome.failed(f"{len(failures)} CORS answers let a hostile origin read responses ({with_credentials} with credentials).", failures + notes)
    return Outcome.passed(f"{len(origins)} hostile and look-alike origins were refused on {len(routes)} routes.", notes)


async def _ask(ctx: CheckContext, route: Route, origin: str, user: str | None, errors: list[str]) -> list[tuple[str, HttpResponse]]:
    answers: list[tuple[str, HttpResponse]] = []
    preflight = {
        "Origin": origin,
        "Access-Control-Request-Method": route.method,
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    try:
        answers.append(("preflight", await ctx.http.request("OPTIONS", route.path, headers=preflight)))
        # The simple request is sent only for reads: a write from a hostile origin would write.
        if route.method in ("GET", "HEAD"):
            answers.append(("request", await ctx.http.request(route.method, route.path, as_user=user, headers={"Origin": origin})))
    except ProbeError as exc:
        errors.append(str(exc))
    return answers
