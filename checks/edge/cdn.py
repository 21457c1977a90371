"""edge.cdn: is the site served through a CDN or reverse proxy, and how can we tell?

Two independent signals: response headers that CDNs add (cf-ray, x-amz-cf-id, ...), and the
host's addresses against the providers' published ranges (a snapshot shipped as
``cdn_ranges.json``). A target on loopback or private addresses cannot show a CDN from
where we stand: the check cannot apply there, so it is ``skipped`` with that sentence
rather than a warning nobody can clear or a fail it cannot earn.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import httpx

from checks.check import check
from checks.context import MAX_REDIRECTS, CheckContext, ProbeError
from checks.model import Finding, Outcome, Severity
from checks.target import Target

__all__ = ["CHECK", "HEADER_SIGNS", "match_address", "match_headers", "load_ranges"]

RANGES_FILE = Path(__file__).with_name("cdn_ranges.json")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _has(name: str) -> Callable[[httpx.Headers], str | None]:
    return lambda h: f"{name}: {h[name]}" if name in h else None


def _contains(name: str, needle: str) -> Callable[[httpx.Headers], str | None]:
    return lambda h: f"{name}: {h[name]}" if needle in h.get(name, "").lower() else None


# (provider, test) pairs; a test returns the header line that told us, or None.
HEADER_SIGNS: tuple[tuple[str, Callable[[httpx.Headers], str | None]], ...] = (
    ("Cloudflare", _has("cf-ray")),
    ("Cloudflare", _contains("server", "cloudflare")),
    ("Amazon CloudFront", _has("x-amz-cf-id")),
    ("Amazon CloudFront", _contains("via", "cloudfront")),
    ("Fastly", _has("x-fastly-request-id")),
    ("Fastly", _contains("x-served-by", "cache-")),
    ("Akamai", _has("akamai-grn")),
    ("Akamai", _has("x-akamai-transformed")),
    ("Akamai", _contains("server", "akamaighost")),
    ("Vercel", _has("x-vercel-id")),
    ("Vercel", _contains("server", "vercel")),
    ("Netlify", _has("x-nf-request-id")),
    ("Azure Front Door", _has("x-azure-ref")),
    ("Google Cloud CDN", _contains("via", "google")),
    ("Bunny CDN", _contains("server", "bunnycdn")),
)


@dataclass(frozen=True)
class Sign:
    provider: str
    how: str


@cache
def load_ranges() -> dict[str, tuple[Network, ...]]:
    data = json.loads(RANGES_FILE.read_text(encoding="utf-8"))
    return {
        name: tuple(ipaddress.ip_network(r) for r in entry["ranges"])
        for name, entry in data["providers"].items()
    }


def match_headers(headers: httpx.Headers) -> list[Sign]:
    return [
        Sign(provider, f"header {line}")
        for provider, test in HEADER_SIGNS
        if (line := test(headers))
    ]


def match_address(address: Address) -> Sign | None:
    for provider, networks in load_ranges().items():
        for network in networks:
            if address.version == network.version and address in network:
                return Sign(
                    provider, f"address {address} is in {provider}'s published range {network}"
                )
    return None


async def _addresses(ctx: CheckContext, host: str) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    found: list[Address] = []
    for rdtype in ("A", "AAAA"):
        found += [ipaddress.ip_address(r.address) for r in await ctx.dns.resolve(host, rdtype)]
    if not found and (host == "localhost" or host.endswith(".localhost")):
        found = [
            ipaddress.ip_address("127.0.0.1")
        ]  # RFC 6761: localhost is loopback whatever DNS says
    return found


@check(
    id="edge.cdn",
    title="Served through a CDN or reverse proxy",
    severity=Severity.MEDIUM,
    passes_when="A response header (cf-ray, x-amz-cf-id, x-served-by, akamai-grn, x-vercel-id ...) or the host's "
    "address (against published ranges of Cloudflare, Fastly, CloudFront, Akamai, Vercel) shows a CDN.",
    why="A CDN absorbs traffic spikes and volumetric attacks, terminates TLS close to users and hides the origin.",
    breaks="A launch-day spike or a cheap flood goes straight to the origin and takes the app down.",
    remediation="Put the site behind a CDN/reverse proxy (Cloudflare, CloudFront, Fastly ...) and firewall the "
    "origin to the CDN's ranges.",
    max_requests=1
    + MAX_REDIRECTS,  # GET / and its same-origin redirect hops; plus 2 DNS queries (A, AAAA) for a host name
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    host = target.host
    evidence: dict[str, object] = {"host": host}
    signs: list[Sign] = []
    http_problem = dns_problem = None
    via = None
    try:
        response = await ctx.http.request("GET", "/")
        signs += match_headers(response.headers)
        via = response.headers.get("via")
        evidence["request"] = f"GET {response.url}"
        evidence["status"] = response.status
    except ProbeError as exc:
        http_problem = str(exc)
    try:
        addresses = await _addresses(ctx, host)
    except ProbeError as exc:
        addresses, dns_problem = [], str(exc)
    evidence["addresses"] = [str(a) for a in addresses]
    signs += [s for a in addresses if (s := match_address(a))]
    if signs:
        providers = sorted({s.provider for s in signs})
        evidence["signals"] = [s.how for s in signs]
        message = (
            f"{host} is served through {', '.join(providers)} (told by "
            + "; ".join(s.how for s in signs)
            + ")."
        )
        return Outcome.passed(message, [Finding(host, message, evidence)])
    if http_problem and (dns_problem or not addresses):
        return Outcome.errored(
            f"Could not tell whether {host} is behind a CDN: {http_problem}",
            [Finding(host, http_problem, evidence)],
        )
    if http_problem:
        return Outcome.errored(
            f"{host} resolves to no known CDN range and its headers could not be read: {http_problem}",
            [Finding(host, http_problem, evidence)],
        )
    if via:
        message = f"{host} answers through a proxy (Via: {via}) that is not a known CDN; check it absorbs floods."
        return Outcome.warned(message, [Finding(host, message, evidence)])
    if addresses and all(not a.is_global for a in addresses):
        message = (
            f"{host} resolves to private or loopback addresses ({', '.join(map(str, addresses))}) and sends no CDN "
            "headers; a CDN in front of the public name cannot be seen from here, so this check cannot apply. "
            "Run it against the public hostname."
        )
        return Outcome.skipped(message)
    shown = ", ".join(map(str, addresses)) or (
        f"none: {dns_problem}" if dns_problem else "none found"
    )
    message = f"No CDN in front of {host}: no CDN response headers, and its addresses ({shown}) are in no published CDN range."
    return Outcome.failed(message, [Finding(host, message, evidence)])
