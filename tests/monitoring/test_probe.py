"""The bounded probe: a capped body, a timeout, a private CA, and setup errors as observations."""

from __future__ import annotations

import asyncio
import ssl
from datetime import UTC, datetime

import trustme
from aiohttp import web

from bot.monitoring.probe import Prober


async def test_body_is_capped_and_timed(serve):
    app = web.Application()

    async def big(request):
        return web.Response(body=b"x" * 200_000)

    app.router.add_get("/big", big)
    base = await serve(app)
    prober = Prober(timeout=5, body_cap=1000)
    try:
        seen = await prober.probe("GET", base + "/big")
    finally:
        await prober.aclose()
    assert seen.status == 200 and len(seen.body) == 1000
    assert seen.response_time_ms is not None and seen.certificate_expiration is None


async def test_timeout_is_an_observation(serve):
    app = web.Application()

    async def slow(request):
        await asyncio.sleep(5)
        return web.Response(text="late")

    app.router.add_get("/slow", slow)
    base = await serve(app)
    prober = Prober(timeout=0.2)
    try:
        seen = await prober.probe("GET", base + "/slow")
    finally:
        await prober.aclose()
    assert seen.status is None and seen.connected and "did not answer within 0.2s" in seen.error


async def test_certificate_expiration_through_a_private_ca(tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    app = web.Application()

    async def health(request):
        return web.json_response({"status": "ok"})

    app.router.add_get("/health", health)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    prober = Prober(timeout=5, ca_file=ca_file)
    try:
        seen = await prober.probe("GET", f"https://127.0.0.1:{port}/health", now=datetime.now(UTC))
    finally:
        await prober.aclose()
        await runner.cleanup()
    assert seen.status == 200
    assert seen.certificate_expiration is not None and seen.certificate_expiration.days > 30


async def test_missing_ca_file_is_reported_by_every_probe(tmp_path):
    prober = Prober(timeout=1, ca_file=tmp_path / "nope.pem")
    try:
        seen = await prober.probe("GET", "https://127.0.0.1:9/health")
    finally:
        await prober.aclose()
    assert seen.status is None and not seen.connected
    assert "nope.pem cannot be used" in seen.error
