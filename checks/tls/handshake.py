"""TLS handshakes on the checks' own sockets: the target's TLS endpoint, one handshake at a time.

The TLS checks talk to the socket rather than through ``ctx.http`` (they need the raw
certificate and control over protocol versions), so they call ``ctx.ensure_host`` first and
keep every handshake under a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import ssl
import warnings
from dataclasses import dataclass
from urllib.parse import urlsplit

from checks.context import CheckContext, ProbeError
from checks.target import Target

__all__ = ["Endpoint", "Handshake", "HandshakeRefused", "endpoint", "handshake", "unverified_context"]


class HandshakeRefused(Exception):
    """The server took the connection but dropped it during the handshake (a refusal, not an outage)."""


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Handshake:
    version: str  # "TLSv1.3"
    cipher: str
    der_cert: bytes | None


def endpoint(target: Target) -> Endpoint | None:
    """The HTTPS endpoint of ``base_url``; ``None`` when the base URL is plain HTTP."""
    parts = urlsplit(target.base_url)
    if parts.scheme != "https" or not parts.hostname:
        return None
    return Endpoint(parts.hostname, parts.port or 443)


def unverified_context(
    *, minimum: ssl.TLSVersion | None = None, maximum: ssl.TLSVersion | None = None, ciphers: str | None = None
) -> ssl.SSLContext:
    """A client context that accepts any certificate: for reading it, or asking what a server offers."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if ciphers:
        context.set_ciphers(ciphers)  # raises ssl.SSLError when the local OpenSSL has none of them
    with warnings.catch_warnings():
        # Python deprecates TLS 1.0/1.1; asking whether a server still accepts them is the point.
        warnings.simplefilter("ignore", DeprecationWarning)
        if minimum is not None:
            context.minimum_version = minimum
        if maximum is not None:
            context.maximum_version = maximum
    return context


async def handshake(ctx: CheckContext, where: Endpoint, context: ssl.SSLContext, *, timeout: float | None = None) -> Handshake:
    """Connect, complete the handshake, close. ``ssl.SSLError`` or :class:`HandshakeRefused`
    mean the server (or our verification) refused; a :class:`ProbeError` means the endpoint
    could not be reached."""
    ctx.ensure_host(where.host)
    limit = timeout or ctx.resources.http.timeout
    server_hostname = where.host if context.check_hostname or not _is_ip(where.host) else None
    try:
        async with asyncio.timeout(limit):
            _, writer = await asyncio.open_connection(
                where.host, where.port, ssl=context, server_hostname=server_hostname, ssl_handshake_timeout=limit
            )
    except TimeoutError as exc:
        raise ProbeError(f"The TLS handshake with {where} did not finish within {limit:g}s.") from exc
    except ssl.SSLError:
        raise
    except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError, EOFError) as exc:
        raise HandshakeRefused(f"the connection was closed during the handshake ({type(exc).__name__})") from exc
    except OSError as exc:
        raise ProbeError(f"Could not connect to {where}: {exc.strerror or exc or type(exc).__name__}.") from exc
    try:
        tls = writer.get_extra_info("ssl_object")
        cipher = writer.get_extra_info("cipher") or ("", "", 0)
        return Handshake(version=tls.version() or "", cipher=cipher[0], der_cert=tls.getpeercert(binary_form=True))
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.wait_closed(), 2)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
