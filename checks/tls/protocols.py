"""tls.protocols: TLS 1.0 and 1.1 refused, TLS 1.2 or 1.3 offered, weak cipher suites refused."""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from checks.check import check
from checks.context import CheckContext
from checks.model import Finding, Outcome, Severity
from checks.target import Target
from checks.tls.handshake import Endpoint, HandshakeRefused, endpoint, handshake, unverified_context

__all__ = ["CHECK", "LEGACY_VERSIONS", "MODERN_VERSIONS", "WEAK_SUITES"]

# Old protocols are only offered by our OpenSSL at security level 0.
LEGACY_CIPHERS = "DEFAULT:@SECLEVEL=0"
LEGACY_VERSIONS = (("TLS 1.0", ssl.TLSVersion.TLSv1), ("TLS 1.1", ssl.TLSVersion.TLSv1_1))
MODERN_VERSIONS = (("TLS 1.2", ssl.TLSVersion.TLSv1_2), ("TLS 1.3", ssl.TLSVersion.TLSv1_3))
# Weak suite families, as OpenSSL cipher strings; each is offered alone over TLS <= 1.2.
WEAK_SUITES = (("RC4", "RC4"), ("3DES", "3DES"), ("NULL", "eNULL"), ("EXPORT", "EXPORT"))


@dataclass(frozen=True)
class Probe:
    label: str
    accepted: bool | None  # None: could not be offered by the local OpenSSL
    detail: str


async def _offer(ctx: CheckContext, where: Endpoint, label: str, context_args: dict) -> Probe:
    try:
        context = unverified_context(**context_args)
    except (ssl.SSLError, ValueError) as exc:
        return Probe(label, None, f"the local OpenSSL ({ssl.OPENSSL_VERSION}) cannot offer {label}: {exc}")
    try:
        done = await handshake(ctx, where, context)
    except ssl.SSLError as exc:
        reason = exc.reason or str(exc)
        if "NO_PROTOCOLS_AVAILABLE" in reason.upper() or "NO_CIPHERS_AVAILABLE" in reason.upper():
            return Probe(label, None, f"the local OpenSSL ({ssl.OPENSSL_VERSION}) cannot offer {label}: {reason}")
        return Probe(label, False, f"refused {label} ({reason})")
    except HandshakeRefused as exc:
        return Probe(label, False, f"refused {label} ({exc})")
    return Probe(label, True, f"accepted {label} ({done.version}, {done.cipher})")


@check(
    id="tls.protocols",
    title="TLS 1.0/1.1 and weak cipher suites are refused",
    severity=Severity.MEDIUM,
    passes_when="Handshakes offering only TLS 1.0 or only TLS 1.1 fail, TLS 1.2 or 1.3 succeeds, and handshakes "
    "offering only RC4, 3DES, NULL or EXPORT suites fail (those the local OpenSSL can still offer).",
    why="TLS 1.0/1.1 and weak suites are deprecated (RFC 8996); PCI DSS and most enterprise buyers require them off.",
    breaks="Downgrade attacks become possible and security questionnaires and scanners flag the site.",
    remediation="Set the minimum protocol to TLS 1.2 at the load balancer or server (nginx: ssl_protocols TLSv1.2 "
    "TLSv1.3; AWS ALB: ELBSecurityPolicy-TLS13-1-2-2021-06) and use the provider's modern cipher list.",
    max_requests=0,  # up to 8 TLS handshakes on its own socket, no HTTP requests
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    where = endpoint(target)
    if where is None:
        return Outcome.skipped(
            f"base_url {target.base_url} is not HTTPS: set targets.{ctx.target_name}.base_url to the https:// address."
        )
    legacy = [
        await _offer(ctx, where, label, {"minimum": v, "maximum": v, "ciphers": LEGACY_CIPHERS})
        for label, v in LEGACY_VERSIONS
    ]
    modern = [await _offer(ctx, where, label, {"minimum": v, "maximum": v}) for label, v in MODERN_VERSIONS]
    weak = [
        await _offer(
            ctx, where, f"{label} suites",
            {"maximum": ssl.TLSVersion.TLSv1_2, "ciphers": f"{suite}:@SECLEVEL=0"},
        )
        for label, suite in WEAK_SUITES
    ]
    probes = legacy + modern + weak
    evidence = {"host": where.host, "port": where.port, "handshakes": {p.label: p.detail for p in probes}}
    if not any(p.accepted for p in probes):
        return Outcome.errored(
            f"{where} completed no TLS handshake at all ({modern[-1].detail}); it may not be serving TLS.",
            [Finding(str(where), "No protocol version was accepted.", evidence)],
        )
    bad = [p for p in legacy + weak if p.accepted]
    untested = [p for p in probes if p.accepted is None]
    notes = [Finding(str(where), f"Not tested: {p.detail}.", {}) for p in untested]
    offered = ", ".join(p.label for p in modern if p.accepted)
    if bad:
        findings = [
            Finding(str(where), f"{where} {p.detail}; it should refuse it.", evidence) for p in bad
        ]
        return Outcome.failed(f"{where} still accepts " + ", ".join(p.label for p in bad) + ".", findings + notes)
    if not offered:
        return Outcome.failed(
            f"{where} accepts neither TLS 1.2 nor TLS 1.3.",
            [Finding(str(where), f"{where} accepts only legacy protocols.", evidence)] + notes,
        )
    tested = [p.label for p in legacy + weak if p.accepted is False]
    return Outcome.passed(
        f"{where} offers {offered} and refuses {', '.join(tested)}.",
        [Finding(str(where), f"{where} offers {offered}; refused: {', '.join(tested)}.", evidence)] + notes,
    )
