"""http.hsts: Strict-Transport-Security with a max-age of at least six months."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from checks.check import check
from checks.context import MAX_REDIRECTS, CheckContext
from checks.model import Finding, Outcome, Severity
from checks.target import Target

__all__ = ["CHECK", "MIN_MAX_AGE", "Hsts", "parse_hsts"]

MIN_MAX_AGE = 15552000  # 180 days, the Observatory's and hstspreload.org's floor for "long enough"
PRELOAD_MAX_AGE = 31536000


@dataclass(frozen=True)
class Hsts:
    max_age: int | None
    include_subdomains: bool
    preload: bool

    @property
    def preload_ready(self) -> bool:
        return self.preload and self.include_subdomains and (self.max_age or 0) >= PRELOAD_MAX_AGE


def parse_hsts(value: str) -> Hsts:
    """RFC 6797 directives; a missing or unparsable max-age is ``None``."""
    max_age: int | None = None
    flags: set[str] = set()
    for part in value.split(";"):
        name, _, arg = part.strip().partition("=")
        name = name.strip().lower()
        if name == "max-age" and max_age is None:
            arg = arg.strip().strip('"')
            max_age = int(arg) if re.fullmatch(r"\d+", arg) else None
        elif name:
            flags.add(name)
    return Hsts(max_age, "includesubdomains" in flags, "preload" in flags)


def page_path(target: Target) -> str:
    """The first configured GET page, else ``/``: what a visitor loads first."""
    return next((r.path for r in target.pages if r.method == "GET" and "{" not in r.path), "/")


@check(
    id="http.hsts",
    title="Strict-Transport-Security is set for at least six months",
    severity=Severity.MEDIUM,
    passes_when=f"The HTTPS page answers with Strict-Transport-Security max-age >= {MIN_MAX_AGE} (180 days); "
    "includeSubDomains and preload are reported.",
    why="Without HSTS a visitor's first request can be downgraded to plain HTTP and intercepted (SSL stripping).",
    breaks="Session cookies and logins can be captured on hostile Wi-Fi before the redirect to HTTPS happens.",
    remediation="Send Strict-Transport-Security: max-age=31536000; includeSubDomains on every HTTPS response "
    "(add preload once every subdomain serves HTTPS).",
    max_requests=1 + MAX_REDIRECTS,  # the page and any same-origin redirect hops
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    if urlsplit(target.base_url).scheme != "https":
        return Outcome.skipped(
            f"Browsers ignore HSTS over plain HTTP and base_url {target.base_url} is http://: "
            f"set targets.{ctx.target_name}.base_url to the https:// address."
        )
    path = page_path(target)
    response = await ctx.http.request("GET", path)
    evidence = response.evidence(headers=("strict-transport-security",), body_bytes=0)
    value = response.headers.get("strict-transport-security")
    where = f"GET {path}"
    if value is None:
        return Outcome.failed(
            f"GET {response.url} answered {response.status} without Strict-Transport-Security.",
            [Finding(where, f"No Strict-Transport-Security header on {response.url}.", evidence)],
        )
    hsts = parse_hsts(value)
    evidence |= {"max_age": hsts.max_age, "include_subdomains": hsts.include_subdomains, "preload": hsts.preload}
    if hsts.max_age is None:
        return Outcome.failed(
            f"Strict-Transport-Security on {response.url} has no valid max-age: {value!r}.",
            [Finding(where, f"Strict-Transport-Security {value!r} has no valid max-age, so browsers ignore it.", evidence)],
        )
    extras = (
        f"includeSubDomains {'set' if hsts.include_subdomains else 'not set'}, "
        f"preload {'ready' if hsts.preload_ready else 'set' if hsts.preload else 'not set'}"
    )
    if hsts.max_age < MIN_MAX_AGE:
        days = hsts.max_age // 86400
        return Outcome.failed(
            f"Strict-Transport-Security max-age is {hsts.max_age} ({days} days), under {MIN_MAX_AGE} (180 days); {extras}.",
            [Finding(where, f"{response.url} sends Strict-Transport-Security: {value}.", evidence)],
        )
    return Outcome.passed(
        f"Strict-Transport-Security max-age is {hsts.max_age} ({hsts.max_age // 86400} days); {extras}.",
        [Finding(where, f"{response.url} sends Strict-Transport-Security: {value}.", evidence)],
    )
