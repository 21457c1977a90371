"""http.https_redirect: plain HTTP answers with a permanent redirect to HTTPS on the same host."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from checks.check import check
from checks.context import CheckContext, ProbeError
from checks.model import Finding, Outcome, Severity
from checks.target import Target

__all__ = ["CHECK", "MAX_HOPS"]

MAX_HOPS = 5
PERMANENT = (301, 308)
REDIRECTS = (301, 302, 303, 307, 308)


def _cannot_apply(target: Target, name: str) -> Outcome | None:
    """The outcome when the configuration leaves no plain-HTTP address to test, or None."""
    base = urlsplit(target.base_url)
    if target.http_url is None and base.scheme == "http":
        if target.production:
            message = (
                f"base_url {target.base_url} is served over plain HTTP: a production app must be reached over HTTPS, "
                "with plain HTTP redirecting to it."
            )
            return Outcome.failed(message, [Finding(target.base_url, message, {"base_url": target.base_url})])
        return Outcome.skipped(
            f"base_url {target.base_url} is plain http://, so there is no HTTPS site to redirect to: point "
            f"targets.{name}.base_url at the https:// address to check the redirect."
        )
    if target.http_url is None and base.port not in (None, 443):
        return Outcome.skipped(
            f"base_url {target.base_url} is on port {base.port}, so where plain HTTP listens cannot be guessed: "
            f"set targets.{name}.http_url (e.g. http://{base.hostname}:8080)."
        )
    if urlsplit(target.plain_http_url).scheme != "http":
        return Outcome.skipped(f"http_url {target.plain_http_url} is not an http:// URL: set targets.{name}.http_url.")
    return None


@check(
    id="http.https_redirect",
    title="Plain HTTP redirects permanently to HTTPS",
    severity=Severity.HIGH,
    passes_when=f"GET on the plain-HTTP address answers 301 or 308 to https:// on the same host, and the chain "
    f"ends on an HTTPS page within {MAX_HOPS} hops.",
    why="People type the bare domain and old links use http://; without a redirect they use the site unencrypted.",
    breaks="Logins, cookies and chat content travel in clear text on the first visit; browsers mark the page Not Secure.",
    remediation="Answer every plain-HTTP request with 301 (or 308) to the same host and path on https:// "
    "(nginx: return 301 https://$host$request_uri; most CDNs: 'Always use HTTPS').",
    max_requests=1 + MAX_HOPS,
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    cannot = _cannot_apply(target, ctx.target_name)
    if cannot is not None:
        return cannot
    start = target.plain_http_url
    host = urlsplit(start).hostname
    url = start + "/" if urlsplit(start).path == "" else start
    chain: list[dict[str, object]] = []
    try:
        first = await ctx.http.request("GET", url, follow_redirects=False)  # the redirect is what is judged
    except ProbeError as exc:
        configured = "" if target.http_url else f" (the default; set targets.{ctx.target_name}.http_url if plain HTTP listens elsewhere)"
        return Outcome.errored(f"Plain HTTP at {url}{configured} could not be reached: {exc}")
    evidence = {"request": f"GET {url}", "chain": chain}
    chain.append({"url": url, "status": first.status, "location": first.headers.get("location")})
    location = first.headers.get("location")
    if first.status not in REDIRECTS or not location:
        return Outcome.failed(
            f"GET {url} answered {first.status} over plain HTTP instead of redirecting to HTTPS.",
            [Finding(url, f"GET {url} answered {first.status} with no redirect; the site is usable unencrypted.", evidence)],
        )
    hop = urljoin(url, location)
    parts = urlsplit(hop)
    if first.status not in PERMANENT:
        problem = f"answered {first.status}, a temporary redirect (browsers and crawlers do not remember it; use 301 or 308)"
    elif parts.scheme != "https":
        problem = f"redirected to {hop}, which is not HTTPS"
    elif parts.hostname != host:
        problem = f"redirected to {hop}, another host (redirect to https://{host} first so HSTS can be set for it)"
    else:
        problem = None
    if problem:
        return Outcome.failed(f"GET {url} {problem}.", [Finding(url, f"GET {url} {problem}.", evidence)])

    # Follow the rest by hand to report the chain and confirm it ends on an HTTPS page.
    for _ in range(MAX_HOPS):
        if (urlsplit(hop).hostname or "") not in target.hosts:
            chain.append({"url": hop, "status": None, "note": "not followed: outside the target's hosts"})
            break
        try:
            response = await ctx.http.request("GET", hop, follow_redirects=False)
        except ProbeError as exc:
            return Outcome.errored(f"GET {url} redirects to {hop}, which could not be fetched: {exc}",
                                   [Finding(url, str(exc), evidence)])
        location = response.headers.get("location")
        chain.append({"url": hop, "status": response.status, "location": location})
        if response.status not in REDIRECTS or not location:
            break
        hop = urljoin(hop, location)
    else:
        return Outcome.failed(
            f"GET {url} is still redirecting after {MAX_HOPS} hops.",
            [Finding(url, f"The redirect chain from {url} does not settle within {MAX_HOPS} hops.", evidence)],
        )
    if urlsplit(hop).scheme != "https":
        return Outcome.failed(
            f"The redirect chain from {url} ends on {hop}, which is not HTTPS.",
            [Finding(url, f"The chain from {url} ends on plain HTTP at {hop}.", evidence)],
        )
    hops = " -> ".join(f"{c['url']} ({c['status']})" for c in chain)
    return Outcome.passed(
        f"GET {url} answers {first.status} to {urljoin(url, first.headers['location'])}; the chain ends on HTTPS.",
        [Finding(url, f"Redirect chain: {hops}.", evidence)],
    )
