from __future__ import annotations

import ipaddress

from aiohttp import web

from bot.demo.dns_server import DnsServer
from checks.edge.cdn import CHECK, load_ranges, match_address
from checks.model import Status
from tests.conftest import make_target, run_one


def app_with(headers: dict[str, str]) -> web.Application:
    app = web.Application()

    async def page(request: web.Request) -> web.Response:
        return web.Response(text="ok", headers=headers)

    app.router.add_get("/", page)
    return app


def named(base: str) -> str:
    """The same server under the name 'localhost', so the check resolves it through our DNS."""
    return base.replace("127.0.0.1", "localhost")


async def test_pass_told_by_a_header(serve):
    base = await serve(app_with({"cf-ray": "8a1b2c3d4e5f-FRA", "Server": "cloudflare"}))
    result = await run_one(CHECK, make_target(base))
    assert result.status is Status.PASS
    assert (
        "served through Cloudflare (told by header cf-ray: 8a1b2c3d4e5f-FRA; header server: cloudflare)"
        in result.summary
    )
    assert result.requests == 1


async def test_pass_for_fastly_and_vercel_headers(serve):
    for headers, provider in (
        ({"X-Served-By": "cache-fra-etou8220158-FRA"}, "Fastly"),
        ({"x-vercel-id": "fra1::abc"}, "Vercel"),
    ):
        base = await serve(app_with(headers))
        result = await run_one(CHECK, make_target(base))
        assert result.status is Status.PASS and provider in result.summary


async def test_pass_told_by_the_address(serve):
    base = named(await serve(app_with({})))
    async with DnsServer({"localhost": {"A": ["104.16.132.229"]}}) as dns:
        result = await run_one(CHECK, make_target(base, nameservers=[dns.address]))
    assert result.status is Status.PASS
    assert (
        "address 104.16.132.229 is in Cloudflare's published range 104.16.0.0/13" in result.summary
    )


async def test_fail_for_a_public_origin_without_cdn_signals(serve):
    base = named(await serve(app_with({"Server": "nginx"})))
    async with DnsServer({"localhost": {"A": ["93.184.215.14"]}}) as dns:
        result = await run_one(CHECK, make_target(base, nameservers=[dns.address]))
    assert result.status is Status.FAIL
    assert "No CDN in front of localhost" in result.summary and "93.184.215.14" in result.summary


async def test_skipped_on_loopback_because_it_cannot_apply(serve):
    base = await serve(app_with({}))
    result = await run_one(CHECK, make_target(base))
    assert result.status is Status.SKIPPED
    assert "private or loopback addresses (127.0.0.1)" in result.summary
    assert "cannot apply" in result.summary


async def test_warn_for_an_unknown_proxy(serve):
    base = await serve(app_with({"Via": "1.1 haproxy"}))
    result = await run_one(CHECK, make_target(base))
    assert result.status is Status.WARN and "Via: 1.1 haproxy" in result.summary


async def test_error_when_unreachable_and_dns_down():
    async with DnsServer({}, servfail=True) as dns:
        result = await run_one(CHECK, make_target("http://localhost:9", nameservers=[dns.address]))
    assert result.status is Status.ERROR
    assert "could not connect" in result.summary


async def test_error_when_headers_cannot_be_read():
    result = await run_one(CHECK, make_target("http://127.0.0.1:9"))
    assert result.status is Status.ERROR


def test_ranges_load_and_match():
    ranges = load_ranges()
    assert {"Cloudflare", "Fastly", "Amazon CloudFront", "Akamai", "Vercel"} <= set(ranges)
    assert match_address(ipaddress.ip_address("151.101.1.69")).provider == "Fastly"
    assert match_address(ipaddress.ip_address("2606:4700::6810:84e5")).provider == "Cloudflare"
    assert match_address(ipaddress.ip_address("192.0.2.1")) is None
