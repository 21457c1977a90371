"""One probe of a monitor's URL through a bounded httpx client.

The client never follows redirects (a monitor watches the URL it names), reads at most
``body_cap`` bytes of the answer, gives up after the monitor's timeout, and trusts the
monitor's ``ca_file`` when one is set. A failure to connect is an observation too
(``[CONNECTED] == false``, no status), never an exception.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509

from bot.monitoring.conditions import Observation
from checks.context import USER_AGENT

__all__ = ["BODY_CAP", "Prober", "probe"]

BODY_CAP = 64 * 1024  # conditions read status fields, not whole pages


class Prober:
    """An httpx client for one monitor: one connection, no redirects, a capped body."""

    def __init__(
        self,
        *,
        timeout: float,
        ca_file: Path | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        body_cap: int = BODY_CAP,
    ) -> None:
        verify: ssl.SSLContext | bool = _default_ssl_context()
        self.problem: str | None = None  # a setup error every probe reports instead of probing
        if ca_file is not None:
            try:
                verify = ssl.create_default_context(cafile=str(ca_file))
            except (OSError, ssl.SSLError) as exc:
                self.problem = f"ca_file {ca_file} cannot be used: {exc.strerror or exc}"
        self.timeout = timeout
        self.body_cap = body_cap
        self.client = httpx.AsyncClient(
            verify=verify,
            follow_redirects=False,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": USER_AGENT + " monitor"},
            limits=httpx.Limits(max_connections=2, max_keepalive_connections=1),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def probe(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        now: datetime | None = None,
    ) -> Observation:
        if self.problem:
            return Observation(connected=False, error=self.problem)
        started = time.perf_counter()
        expires: datetime | None = None
        try:
            async with asyncio.timeout(self.timeout):
                request = self.client.build_request(
                    method, url, headers=dict(headers or {}), json=body if body is not None else None
                )
                response = await self.client.send(request, stream=True)
                try:
                    # Plain http has no certificate; asking the stream costs a getpeername per probe.
                    expires = _certificate_expiry(response) if request.url.scheme == "https" else None
                    chunks: list[bytes] = []
                    size = 0
                    async for chunk in response.aiter_bytes():
                        chunks.append(chunk)
                        size += len(chunk)
                        if size >= self.body_cap:
                            break
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException):
            return Observation(
                connected=True, error=f"{method} {url} did not answer within {self.timeout:g}s"
            )
        except httpx.ConnectError as exc:
            return Observation(connected=False, error=f"{method} {url} could not connect: {_reason(exc)}")
        except (httpx.HTTPError, httpx.InvalidURL, ssl.SSLError, OSError) as exc:
            return Observation(connected=True, error=f"{method} {url} failed: {_reason(exc)}")
        elapsed = (time.perf_counter() - started) * 1000
        moment = now or datetime.now(UTC)
        return Observation(
            status=response.status_code,
            response_time_ms=elapsed,
            body=b"".join(chunks)[: self.body_cap],
            certificate_expiration=(expires - moment) if expires else None,
            connected=True,
        )


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    # One context for every monitor: building one loads the whole CA bundle (about 50 ms and
    # most of a MiB each), which made a service with 1600 monitors take minutes to start.
    return httpx.create_ssl_context()


async def probe(method: str, url: str, *, timeout: float = 10.0, ca_file: Path | None = None) -> Observation:
    """A one-off probe (the CLI and tests); monitors keep a :class:`Prober` per monitor."""
    prober = Prober(timeout=timeout, ca_file=ca_file)
    try:
        return await prober.probe(method, url)
    finally:
        await prober.aclose()


def _certificate_expiry(response: httpx.Response) -> datetime | None:
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    ssl_object = stream.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    return x509.load_der_x509_certificate(der).not_valid_after_utc


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__
