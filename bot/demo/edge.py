"""The demo's edge: HTTPS with a generated CA, a plain-HTTP port, security headers, a DNS zone.

Flawed mode plants the edge mistakes: the certificate expires in 5 days and TLS 1.0 is still
accepted; plain HTTP serves the app instead of redirecting; no HSTS, no CSP, no framing or
sniffing protection and a session cookie without flags; SPF ``+all``, DMARC ``p=none`` and
no DKIM key. Hardened mode fixes each: a one-year certificate on TLS 1.2+, a 301 to HTTPS,
the full header set (CSP with the inline script's hash), SPF ``-all``, DMARC ``p=reject``
and a 2048-bit DKIM key at ``s1._domainkey``.

The demo is served on loopback, so ``edge.cdn`` is skipped in both modes: no CDN can be
seen in front of 127.0.0.1, so the check cannot apply (see docs/edge.md).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.demo.certs import Authority
from bot.demo.dns_server import DnsServer
from bot.demo.state import DemoState

__all__ = ["DOMAIN", "install", "ssl_context", "start", "target_config", "zone"]

DOMAIN = "acme.test"
HOSTNAME = "localhost"  # what the certificate names and base_url uses (with 127.0.0.1 as a SAN)
SESSION_COOKIE = "acme_session"
_INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", re.DOTALL | re.IGNORECASE
)


def _edge(state: DemoState) -> dict[str, Any]:
    return state.extra.setdefault("edge", {})


# -- HTTPS ---------------------------------------------------------------------------------


def ssl_context(state: DemoState) -> ssl.SSLContext:
    edge = _edge(state)
    directory = state.workdir / "edge"
    authority = Authority("Acme demo CA")
    leaf = authority.issue([HOSTNAME, "127.0.0.1"], days=365 if state.hardened else 5)
    edge["ca_file"] = str(authority.write_ca(directory / "ca.pem"))
    state.extra["hostname"] = HOSTNAME
    if state.hardened:
        return leaf.server_context(directory, "server")
    # The flawed edge still speaks TLS 1.0 (at OpenSSL security level 0, as old balancers do).
    return leaf.server_context(
        directory, "server", minimum=ssl.TLSVersion.TLSv1, ciphers="DEFAULT:@SECLEVEL=0"
    )


# -- headers -------------------------------------------------------------------------------


def _script_hashes(html: str) -> list[str]:
    """CSP hash sources for the page's executable inline scripts (JSON data blocks are not run)."""
    hashes = []
    for attrs, body in _INLINE_SCRIPT.findall(html):
        if "application/json" in attrs.lower():
            continue
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        hashes.append(f"'sha256-{digest}'")
    return hashes


def _csp(response: web.StreamResponse) -> str:
    hashes: list[str] = []
    body = getattr(response, "body", None)
    if isinstance(body, bytes) and "html" in (response.content_type or ""):
        hashes = _script_hashes(body.decode("utf-8", errors="replace"))
    script_src = " ".join(["'self'", *hashes])
    return (
        f"default-src 'self'; script-src {script_src}; object-src 'none'; base-uri 'self'; "
        "frame-ancestors 'none'; form-action 'self'"
    )


async def _hardened_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    headers["Content-Security-Policy"] = _csp(response)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    _session_cookie(request, response)
    # Signals run after aiohttp has serialised cookies into headers: harden the header lines.
    cookies = response.headers.getall("Set-Cookie", [])
    response.headers.popall("Set-Cookie", None)
    for line in cookies:
        attributes = {part.strip().split("=", 1)[0].lower() for part in line.split(";")[1:]}
        line += "".join(
            f"; {flag}"
            for flag, key in (
                ("Secure", "secure"),
                ("HttpOnly", "httponly"),
                ("SameSite=Lax", "samesite"),
            )
            if key not in attributes
        )
        response.headers.add("Set-Cookie", line)


async def _flawed_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Referrer-Policy"] = "unsafe-url"
    _session_cookie(request, response)  # no Secure, HttpOnly or SameSite


def _session_cookie(request: web.Request, response: web.StreamResponse) -> None:
    """Pages hand out (and refresh) an anonymous session cookie, as most web apps do."""
    if "html" in (response.content_type or ""):
        value = request.cookies.get(SESSION_COOKIE) or secrets.token_urlsafe(16)
        response.headers.add("Set-Cookie", f"{SESSION_COOKIE}={value}; Path=/")


def install(app: web.Application, state: DemoState) -> None:
    app.on_response_prepare.append(_hardened_headers if state.hardened else _flawed_headers)


# -- DNS -------------------------------------------------------------------------------------


def _dkim_record() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


def zone(state: DemoState) -> dict[str, dict[str, list[str]]]:
    """The ``acme.test`` zone: the mail records the email checks read, and A records for edge.cdn."""
    records: dict[str, dict[str, list[str]]] = {
        DOMAIN: {"A": ["127.0.0.1"], "MX": [f"10 mail.{DOMAIN}."]},
        f"mail.{DOMAIN}": {"A": ["127.0.0.1"]},
        HOSTNAME: {"A": ["127.0.0.1"]},
    }
    if state.hardened:
        records[DOMAIN]["TXT"] = [f"v=spf1 mx include:_spf.{DOMAIN} -all"]
        records[f"_spf.{DOMAIN}"] = {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"]}
        records[f"_dmarc.{DOMAIN}"] = {
            "TXT": [f"v=DMARC1; p=reject; rua=mailto:dmarc-reports@{DOMAIN}; adkim=s; aspf=s"]
        }
        records[f"s1._domainkey.{DOMAIN}"] = {"TXT": [_dkim_record()]}
        records[f"_mta-sts.{DOMAIN}"] = {"TXT": ["v=STSv1; id=20261130T000000"]}
    else:
        records[DOMAIN]["TXT"] = ["v=spf1 +all"]
        records[f"_dmarc.{DOMAIN}"] = {"TXT": ["v=DMARC1; p=none"]}
    return records


# -- servers ---------------------------------------------------------------------------------


def _plain_http_app(state: DemoState) -> web.Application:
    if state.hardened:
        app = web.Application()

        async def redirect(request: web.Request) -> web.Response:
            raise web.HTTPMovedPermanently(f"https://{HOSTNAME}:{state.port}{request.path_qs}")

        async def plain_server_header(request: web.Request, response: web.StreamResponse) -> None:
            response.headers["Server"] = (
                "acme-chat"  # no version banner here either (obs.error_disclosure)
            )

        app.router.add_route("*", "/{tail:.*}", redirect)
        app.on_response_prepare.append(plain_server_header)
        return app
    # The flawed demo serves the whole app over plain HTTP too, as a forgotten port 80 does.
    assert state.whole_app is not None, "DemoTarget sets whole_app before starting the edge"
    return state.whole_app()


async def start(state: DemoState) -> Callable[[], Awaitable[None]]:
    edge = _edge(state)
    dns = await DnsServer(zone(state)).start()
    runner = web.AppRunner(_plain_http_app(state), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, state.host, 0)
    await site.start()
    edge["http_port"] = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    edge["nameserver"] = dns.address
    edge["dns_server"] = dns  # its query log lets bench/edge_costs.py count what each check asks

    async def cleanup() -> None:
        await runner.cleanup()
        await dns.stop()

    return cleanup


def target_config(state: DemoState) -> dict[str, Any]:
    edge = _edge(state)
    config: dict[str, Any] = {"pages": ["GET /"]}
    if "http_port" in edge:
        config["http_url"] = f"http://{HOSTNAME}:{edge['http_port']}"
    if "ca_file" in edge:
        config["ca_file"] = edge["ca_file"]
    if "nameserver" in edge:
        config["nameservers"] = [edge["nameserver"]]
    config["domains"] = [{"name": DOMAIN, "dkim_selectors": ["s1"], "sends_email": True}]
    return config
