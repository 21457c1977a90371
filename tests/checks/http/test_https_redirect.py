from __future__ import annotations

from aiohttp import web

from checks.http.https_redirect import CHECK
from checks.model import Status
from tests.checks.tls.servers import https_server, plain_app
from tests.conftest import make_target, run_one


def redirecting(status: int, location: str) -> web.Application:
    app = web.Application()

    async def any_path(request: web.Request) -> web.Response:
        return web.Response(status=status, headers={"Location": location})

    app.router.add_get("/{tail:.*}", any_path)
    return app


def https_app_with_hops() -> web.Application:
    app = web.Application()

    async def start(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/home")

    async def home(request: web.Request) -> web.Response:
        return web.Response(text="<html>home</html>", content_type="text/html")

    app.router.add_get("/", start)
    app.router.add_get("/home", home)
    return app


async def check_against(serve, tmp_path, plain: web.Application | None, location_for=None, https_app=None, status=301):
    async with https_server(tmp_path, app=https_app or plain_app()) as server:
        if plain is None:
            location = location_for(server) if location_for else server.base_url + "/"
            plain = redirecting(status, location)
        http_base = (await serve(plain)).replace("127.0.0.1", "localhost")
        target = make_target(server.base_url, http_url=http_base, ca_file=str(server.ca_file))
        return await run_one(CHECK, target)


async def test_pass_with_a_301_to_https_on_the_same_host(serve, tmp_path):
    result = await check_against(serve, tmp_path, None)
    assert result.status is Status.PASS, result.summary
    chain = result.findings[0].evidence["chain"]
    assert [c["status"] for c in chain] == [301, 200]
    assert result.requests == 2


async def test_pass_with_a_308_and_further_hops(serve, tmp_path):
    result = await check_against(serve, tmp_path, None, https_app=https_app_with_hops(), status=308)
    assert result.status is Status.PASS, result.summary
    assert [c["status"] for c in result.findings[0].evidence["chain"]] == [308, 301, 200]


async def test_fail_when_plain_http_serves_the_app(serve, tmp_path):
    result = await check_against(serve, tmp_path, plain_app())
    assert result.status is Status.FAIL
    assert "answered 200 over plain HTTP" in result.summary


async def test_fail_with_a_temporary_redirect(serve, tmp_path):
    result = await check_against(serve, tmp_path, None, status=302)
    assert result.status is Status.FAIL
    assert "temporary redirect" in result.summary


async def test_fail_when_redirecting_to_http(serve, tmp_path):
    result = await check_against(serve, tmp_path, None, location_for=lambda s: "http://localhost/elsewhere")
    assert result.status is Status.FAIL
    assert "which is not HTTPS" in result.summary


async def test_fail_when_redirecting_to_another_host_first(serve, tmp_path):
    result = await check_against(serve, tmp_path, None, location_for=lambda s: f"https://127.0.0.1:{s.port}/")
    assert result.status is Status.FAIL
    assert "another host" in result.summary


async def test_fail_when_the_chain_loops(serve, tmp_path):
    loop = web.Application()

    async def back(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/")

    loop.router.add_get("/", back)
    result = await check_against(serve, tmp_path, None, https_app=loop)
    assert result.status is Status.FAIL
    assert "still redirecting after 5 hops" in result.summary
    assert result.requests == 6


async def test_error_when_plain_http_is_unreachable(tmp_path):
    async with https_server(tmp_path) as server:
        target = make_target(server.base_url, http_url="http://localhost:9", ca_file=str(server.ca_file))
        result = await run_one(CHECK, target)
    assert result.status is Status.ERROR
    assert "Plain HTTP at http://localhost:9/ could not be reached" in result.summary


# -- issue 13, class 6: a check that cannot apply says so -----------------------------------


async def test_skipped_on_a_plain_http_base_url_with_the_reason(serve):
    base = await serve(plain_app())
    result = await run_one(CHECK, make_target(base))
    assert result.status is Status.SKIPPED
    assert "is plain http://, so there is no HTTPS site to redirect to" in result.summary
    assert result.requests == 0


async def test_a_production_app_on_plain_http_fails_with_a_sentence(serve):
    base = await serve(plain_app())
    result = await run_one(CHECK, make_target(base, production=True))
    assert result.status is Status.FAIL
    assert result.summary == f"base_url {base} is served over plain HTTP: a production app must be reached over HTTPS, with plain HTTP redirecting to it."


async def test_skipped_when_plain_http_cannot_be_guessed_for_a_non_default_https_port():
    result = await run_one(CHECK, make_target("https://localhost:8443"))
    assert result.status is Status.SKIPPED
    assert "set targets.default.http_url" in result.summary
