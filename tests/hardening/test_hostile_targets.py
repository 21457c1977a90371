"""The scoped client and the runner against targets that misbehave on purpose.

Every server here is real and on loopback; timeouts are short so the file stays fast.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme
from aiohttp import web

from checks.context import DEFAULT_BODY_CAP, DnsClient, ProbeError, ScopedHttp
from checks.model import Status
from checks.obs.health import CHECK as health
from tests.conftest import make_target, run_one


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def raw_server() -> AsyncIterator:
    """Start a raw asyncio TCP server with the given connection handler; yields its base URL."""
    servers: list[asyncio.Server] = []

    async def start(handler) -> str:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    yield start
    for server in servers:
        server.close()
        # Connections still hanging in handlers are cancelled by closing their writers.
    for server in servers:
        await server.wait_closed()


def answer(response_factory):
    """An aiohttp handler returning what ``response_factory()`` builds."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return response_factory()

    return handler


def redirect_to(location: str):
    async def handler(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(location)

    return handler


def scoped(base_url: str, timeout: str = "1s", **fields) -> ScopedHttp:
    return ScopedHttp(make_target(base_url, request_timeout=timeout, **fields), root=Path("."))


async def fetch(http: ScopedHttp, path: str = "/health", **kwargs):
    counter = {"n": 0}

    def count() -> None:
        counter["n"] += 1

    try:
        return await http.send("GET", path, count=count, **kwargs)
    finally:
        await http.aclose()


async def test_refused_connection_is_a_sentence():
    with pytest.raises(ProbeError, match="could not connect"):
        await fetch(scoped(f"http://127.0.0.1:{free_port()}"))


async def test_server_that_never_answers_times_out(raw_server):
    hold = asyncio.Event()

    async def silent(reader, writer):
        await reader.read(1024)
        try:
            await asyncio.wait_for(hold.wait(), 5)
        except TimeoutError:
            pass
        writer.close()

    base = await raw_server(silent)
    with pytest.raises(ProbeError, match="did not answer within 1s|timed out"):
        await fetch(scoped(base))
    hold.set()


async def test_drip_feed_is_cut_by_the_total_deadline(raw_server):
    """Per-read timeouts never fire on a body that drips a byte every 200 ms; the total one does."""

    async def drip(reader, writer):
        await reader.read(1024)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        try:
            for _ in range(50):
                writer.write(b"x")
                await writer.drain()
                await asyncio.sleep(0.2)
        except (ConnectionError, OSError):
            pass
        writer.close()

    base = await raw_server(drip)
    with pytest.raises(ProbeError, match="did not answer within 1s"):
        await fetch(scoped(base))


async def test_huge_body_is_capped(serve):
    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_length = 100 * 1024 * 1024
        await response.prepare(request)
        chunk = b"a" * 65536
        try:
            for _ in range(100 * 16):
                await response.write(chunk)
        except (ConnectionError, RuntimeError):
            pass
        return response

    app = web.Application()
    app.router.add_get("/health", huge)
    # A generous deadline: the cap, not the clock, must be what stops this read.
    response = await fetch(scoped(await serve(app), timeout="20s"))
    assert response.truncated
    assert len(response.body) <= DEFAULT_BODY_CAP


async def test_gzip_bomb_is_capped_after_decompression(serve):
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)

    async def bombed(request: web.Request) -> web.Response:
        return web.Response(body=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})

    app = web.Application()
    app.router.add_get("/health", bombed)
    response = await fetch(scoped(await serve(app), timeout="20s"))
    assert response.truncated
    assert len(response.body) <= DEFAULT_BODY_CAP
    assert len(bomb) < DEFAULT_BODY_CAP  # the bomb is small on the wire, huge inflated


async def test_redirect_loop_stops(serve):
    app = web.Application()
    app.router.add_get("/a", redirect_to("/b"))
    app.router.add_get("/b", redirect_to("/a"))
    with pytest.raises(ProbeError, match="redirected more than 5 times"):
        await fetch(scoped(await serve(app)), "/a", follow_redirects=True)


async def test_redirect_to_a_foreign_host_is_refused_and_reported(serve):
    app = web.Application()
    app.router.add_get("/health", redirect_to("http://evil.example/steal"))
    http = scoped(await serve(app))
    with pytest.raises(ProbeError, match="evil.example: it is not one of the target's hosts"):
        await fetch(http, follow_redirects=True)
    assert http.refused == ["http://evil.example/steal"]


async def test_configured_url_on_a_foreign_host_is_refused():
    http = scoped("http://127.0.0.1:9")
    with pytest.raises(ProbeError, match="not one of the target's hosts"):
        await fetch(http, "https://api.openai.example/v1/models")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\xff\xfe\xfa not utf-8", "application/json"),
        (b'{"unterminated": ', "application/json"),
        (b"<html><body>Login</body></html>", "text/html"),
    ],
)
async def test_bodies_that_are_not_json_give_a_sentence(serve, body, content_type):
    app = web.Application()
    app.router.add_get("/health", answer(lambda: web.Response(body=body, content_type=content_type)))
    response = await fetch(scoped(await serve(app)))
    with pytest.raises(ProbeError, match="not JSON"):
        response.json()
    assert isinstance(response.text, str)  # invalid UTF-8 decodes with replacement, never raises


async def test_certificate_for_another_name_is_an_error(tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("other.test")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    app = web.Application()
    app.router.add_get("/health", answer(lambda: web.json_response({"ok": True})))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        http = ScopedHttp(make_target(f"https://127.0.0.1:{port}", ca_file=str(ca_file), request_timeout="2s"), root=tmp_path)
        with pytest.raises(ProbeError, match="could not connect: .*(certificate|hostname|IP address mismatch)"):
            await fetch(http)
    finally:
        await runner.cleanup()


async def test_dns_server_down_is_a_sentence():
    client = DnsClient([f"127.0.0.1:{free_port()}"], timeout=0.5)
    with pytest.raises(ProbeError, match="DNS lookup of acme.test TXT failed"):
        await client.txt("acme.test")
    assert client.queries == 1


async def test_a_hanging_target_gives_error_results_not_a_hang(raw_server):
    hold = asyncio.Event()

    async def silent(reader, writer):
        await reader.read(1024)
        try:
            await asyncio.wait_for(hold.wait(), 5)
        except TimeoutError:
            pass
        writer.close()

    base = await raw_server(silent)
    result = await run_one(health, make_target(base, request_timeout="500ms"))
    hold.set()
    assert result.status is Status.ERROR
    assert "did not answer within 0.5s" in result.summary


async def test_cookies_set_by_one_probe_never_ride_on_the_next(serve):
    seen: list[str | None] = []

    async def login(request: web.Request) -> web.Response:
        response = web.json_response({"ok": True})
        response.set_cookie("session", "s3ss10n-value")
        return response

    async def private(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Cookie"))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/login", login)
    app.router.add_get("/private", private)
    http = scoped(await serve(app))
    try:
        await http.send("GET", "/login", count=lambda: None)
        await http.send("GET", "/private", count=lambda: None)
    finally:
        await http.aclose()
    assert seen == [None]
