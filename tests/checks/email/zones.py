"""DNS zones and DKIM keys for the email checks' tests."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from bot.demo.dns_server import DnsServer, Zone
from checks.target import Target
from tests.conftest import make_target

__all__ = ["dkim_record", "target_for", "zone_server"]


def dkim_record(bits: int | None = 2048, *, ed: bool = False) -> str:
    if ed:
        raw = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return "v=DKIM1; k=ed25519; p=" + base64.b64encode(raw).decode()
    if bits is not None and bits < 1024:
        # cryptography refuses to generate keys this small; a public key is just numbers.
        key = rsa.RSAPublicNumbers(65537, (1 << (bits - 1)) | 0x10001).public_key()
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits or 2048).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


@asynccontextmanager
async def zone_server(zone: Zone, *, servfail: bool = False) -> AsyncIterator[DnsServer]:
    async with DnsServer(zone, servfail=servfail) as server:
        yield server


def target_for(server: DnsServer, *domains: dict) -> Target:
    return make_target("http://127.0.0.1:9", nameservers=[server.address], domains=list(domains))
