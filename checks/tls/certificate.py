"""tls.certificate: the certificate a browser would see is trusted, matches and is not about to expire."""

from __future__ import annotations

import ipaddress
import ssl
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

from checks.check import check
from checks.context import CheckContext
from checks.model import Finding, Outcome, Severity
from checks.target import Target
from checks.tls.handshake import Endpoint, HandshakeRefused, endpoint, handshake, unverified_context

__all__ = ["CHECK", "CertificateFacts", "read_certificate"]

FAIL_DAYS = 14
WARN_DAYS = 30
WEAK_HASHES = {"md5", "sha1"}


@dataclass(frozen=True)
class CertificateFacts:
    subject: str
    issuer: str
    sans: list[str]
    not_after: datetime
    key: str  # "RSA 2048", "EC secp256r1", "Ed25519"
    key_problem: str | None
    signature: str  # "sha256WithRSAEncryption"
    weak_signature: bool
    self_signed: bool

    def evidence(self, where: Endpoint, now: datetime) -> dict[str, object]:
        return {
            "host": where.host,
            "port": where.port,
            "subject": self.subject,
            "sans": self.sans,
            "issuer": self.issuer,
            "not_after": self.not_after.isoformat(timespec="seconds"),
            "days_left": days_left(self.not_after, now),
            "key": self.key,
            "signature_algorithm": self.signature,
        }


def days_left(not_after: datetime, now: datetime) -> int:
    return int((not_after - now).total_seconds() // 86400)


def _common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()


def _key(cert: x509.Certificate) -> tuple[str, str | None]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        problem = f"its RSA key has {key.key_size} bits (use 2048 or more)" if key.key_size < 2048 else None
        return f"RSA {key.key_size}", problem
    if isinstance(key, ec.EllipticCurvePublicKey):
        problem = f"its EC key has {key.curve.key_size} bits (use P-256 or stronger)" if key.curve.key_size < 256 else None
        return f"EC {key.curve.name}", problem
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", None
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", None
    if isinstance(key, dsa.DSAPublicKey):
        return f"DSA {key.key_size}", "it uses a DSA key, which browsers no longer accept"
    return type(key).__name__, None


def read_certificate(der: bytes) -> CertificateFacts:
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans = [str(v) for v in san.get_values_for_type(x509.DNSName)]
        sans += [str(v) for v in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        sans = []
    key, key_problem = _key(cert)
    digest = cert.signature_hash_algorithm.name if cert.signature_hash_algorithm else ""
    return CertificateFacts(
        subject=_common_name(cert.subject),
        issuer=_common_name(cert.issuer),
        sans=sans,
        not_after=cert.not_valid_after_utc,
        key=key,
        key_problem=key_problem,
        signature=getattr(cert.signature_algorithm_oid, "_name", cert.signature_algorithm_oid.dotted_string),
        weak_signature=digest in WEAK_HASHES,
        self_signed=cert.issuer == cert.subject,
    )


def hostname_matches(host: str, sans: list[str]) -> bool:
    """RFC 6125 matching against the SANs only (browsers ignore the CN): one wildcard label."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    host = host.lower().rstrip(".")
    for name in sans:
        name = name.lower().rstrip(".")
        if address is not None:
            try:
                if ipaddress.ip_address(name) == address:
                    return True
            except ValueError:
                continue
        elif name == host:
            return True
        elif name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]:
            return True
    return False


def _verifier(ctx: CheckContext) -> ssl.SSLContext:
    """What httpx trusts for this target: ``ca_file`` when set, otherwise the system store."""
    verify = ctx.ssl_verify
    return verify if isinstance(verify, ssl.SSLContext) else ssl.create_default_context()


@check(
    id="tls.certificate",
    title="TLS certificate is trusted, matches the host and is not about to expire",
    severity=Severity.CRITICAL,
    passes_when=f"The chain is trusted (honouring ca_file), the hostname matches a SAN, more than {WARN_DAYS} days "
    "remain, the key is RSA 2048+ or EC P-256+ and the signature is not SHA-1/MD5.",
    why="Browsers and API clients refuse an untrusted, mismatched or expired certificate outright.",
    breaks="Every visitor sees a full-page certificate warning; mobile apps and webhooks stop connecting.",
    remediation="Serve a certificate from a public CA for the exact host (automate renewal with ACME, e.g. "
    "certbot or your platform's managed certificates) and alert 30 days before expiry.",
    max_requests=0,  # two TLS handshakes on its own socket, no HTTP requests
)
async def CHECK(target: Target, ctx: CheckContext) -> Outcome:
    where = endpoint(target)
    if where is None:
        return Outcome.skipped(
            f"base_url {target.base_url} is not HTTPS: set targets.{ctx.target_name}.base_url to the https:// address."
        )
    try:
        seen = await handshake(ctx, where, unverified_context())
    except (ssl.SSLError, HandshakeRefused) as exc:
        return Outcome.errored(f"The TLS handshake with {where} failed: {getattr(exc, 'reason', None) or exc}.")
    if not seen.der_cert:
        return Outcome.errored(f"{where} completed a TLS handshake without presenting a certificate.")
    facts = read_certificate(seen.der_cert)
    now = ctx.now()
    evidence = facts.evidence(where, now) | {"tls_version": seen.version}
    problems: list[str] = []
    warnings: list[str] = []

    try:
        await handshake(ctx, where, _verifier(ctx))
        trusted = True
    except ssl.SSLCertVerificationError as exc:
        reason = exc.verify_message or exc.reason or str(exc)
        # OpenSSL checks the name only after the chain: a name mismatch means the chain was fine.
        trusted = "hostname" in reason.lower() or "ip address mismatch" in reason.lower()
        if not trusted:
            source = f"ca_file {target.ca_file}" if target.ca_file else "the system trust store"
            problems.append(f"its chain is not trusted by {source} ({reason})")
    except (ssl.SSLError, HandshakeRefused) as exc:
        return Outcome.errored(f"The verifying TLS handshake with {where} failed: {getattr(exc, 'reason', None) or exc}.")
    evidence["trusted"] = trusted

    if not hostname_matches(where.host, facts.sans):
        problems.append(f"it is not valid for {where.host} (SANs: {', '.join(facts.sans) or 'none'})")
    left = days_left(facts.not_after, now)
    expiry = facts.not_after.date().isoformat()
    if left < 0:
        problems.append(f"it expired on {expiry}")
    elif left < FAIL_DAYS:
        problems.append(f"it expires in {left} days on {expiry} (fail under {FAIL_DAYS})")
    elif left < WARN_DAYS:
        warnings.append(f"it expires in {left} days on {expiry} (warn under {WARN_DAYS})")
    if facts.key_problem:
        problems.append(facts.key_problem)
    if facts.weak_signature:
        problems.append(f"it is signed with {facts.signature}, which browsers reject")

    subject = f"TLS certificate for {where.host} ({facts.subject}, issued by {facts.issuer})"
    if problems or warnings:
        findings = [Finding(str(where), f"{subject}: {p}.", evidence) for p in problems + warnings]
        sentence = f"TLS certificate for {where.host}: " + "; ".join(problems + warnings) + "."
        return Outcome.failed(sentence, findings) if problems else Outcome.warned(sentence, findings)
    return Outcome.passed(
        f"TLS certificate for {where.host} is trusted, matches and expires in {left} days ({expiry}).",
        [Finding(str(where), f"{subject}: {facts.key}, {facts.signature}, expires {expiry}.", evidence)],
    )
