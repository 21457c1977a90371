"""Real HTTPS servers on loopback for the TLS and HTTP checks' tests."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web

from bot.demo.certs import Authority, IssuedCert

__all__ = ["HttpsServer", "https_server", "plain_app"]

HOSTS = ["localhost", "127.0.0.1"]


class HttpsServer:
    def __init__(self, base_url: str, ca_file: Path, port: int) -> None:
        self.base_url = base_url
        self.ca_file = ca_file
        self.port = port


def plain_app(headers: dict[str, str] | None = None, body: str = "<html><body>ok</body></html>") -> web.Application:
    app = web.Application()

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=body, content_type="text/html", headers=headers or {})

    app.router.add_get("/", page)
    return app


@asynccontextmanager
async def https_server(
    tmp_path: Path,
    *,
    app: web.Application | None = None,
    authority: Authority | None = None,
    issued: IssuedCert | None = None,
    minimum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2,
    maximum: ssl.TLSVersion | None = None,
    ciphers: str | None = None,
) -> AsyncIterator[HttpsServer]:
    """An aiohttp app over TLS on 127.0.0.1; the base URL names ``localhost``."""
    authority = authority or Authority()
    issued = issued or authority.issue(HOSTS)
    ca_file = authority.write_ca(tmp_path / "ca.pem")
    context = issued.server_context(tmp_path, minimum=minimum, maximum=maximum, ciphers=ciphers)
    runner = web.AppRunner(app or plain_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield HttpsServer(f"https://localhost:{port}", ca_file, port)
    finally:
        await runner.cleanup()
