"""A throwaway certificate authority: the demo's HTTPS and the TLS tests' servers.

Built with ``cryptography`` rather than trustme because we need the awkward cases too
(expired, expiring, wrong host, self-signed), and trustme marks the SAN critical.
"""

from __future__ import annotations

import ipaddress
import ssl
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["Authority", "IssuedCert"]


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Launch Ready demo"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _pem_key(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@dataclass(frozen=True)
class IssuedCert:
    """A leaf certificate and its key, as PEM, plus the chain to present."""

    cert_pem: bytes
    key_pem: bytes
    chain_pem: bytes = b""  # intermediates/CA appended after the leaf when served

    def write(self, directory: Path, stem: str) -> tuple[Path, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        cert_path = directory / f"{stem}.crt"
        key_path = directory / f"{stem}.key"
        cert_path.write_bytes(self.cert_pem + self.chain_pem)
        key_path.write_bytes(self.key_pem)
        key_path.chmod(0o600)
        return cert_path, key_path

    def server_context(
        self,
        directory: Path,
        stem: str = "server",
        *,
        minimum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2,
        maximum: ssl.TLSVersion | None = None,
        ciphers: str | None = None,
    ) -> ssl.SSLContext:
        """A server SSLContext; ``minimum=TLSv1`` with ``ciphers='DEFAULT:@SECLEVEL=0'`` makes an old server."""
        cert_path, key_path = self.write(directory, stem)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if ciphers:
            context.set_ciphers(ciphers)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # old servers on purpose
            context.minimum_version = minimum
            if maximum is not None:
                context.maximum_version = maximum
        context.load_cert_chain(cert_path, key_path)
        return context


class Authority:
    """A CA that issues leaf certificates for loopback servers."""

    def __init__(self, name: str = "Launch Ready demo CA") -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        self.name = _name(name)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(self.name)
            .issuer_name(self.name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                    key_encipherment=False, data_encipherment=False, key_agreement=False,
                    encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def write_ca(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.cert_pem)
        return path

    def issue(
        self,
        hosts: list[str],
        *,
        days: float = 365,
        not_before_days: float = 1,
        key: str = "rsa2048",
        self_signed: bool = False,
    ) -> IssuedCert:
        """A leaf for ``hosts`` valid ``days`` from now (negative: already expired)."""
        now = datetime.now(UTC)
        leaf_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
        if key.startswith("rsa"):
            leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=int(key[3:]))
        else:
            leaf_key = ec.generate_private_key(ec.SECP256R1())
        subject = _name(hosts[0])
        issuer_name, signer = (subject, leaf_key) if self_signed else (self.name, self.key)
        not_before = now - timedelta(days=not_before_days)
        not_after = now + timedelta(days=days)
        if not_after <= not_before:
            not_before = not_after - timedelta(days=30)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([_san(h) for h in hosts]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        )
        if not self_signed:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
        cert = builder.sign(signer, hashes.SHA256())
        return IssuedCert(cert.public_bytes(serialization.Encoding.PEM), _pem_key(leaf_key))
