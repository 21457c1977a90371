from __future__ import annotations

import pytest
from aiohttp import web

from checks.http.security_headers import CHECK
from checks.model import Status
from tests.conftest import make_target, run_one

# One header set per grade band, with the score the table gives it.
BANDS = {
    "A+": ({"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'", "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer"}, [], 120),
    "A": ({"Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'", "X-Frame-Options": "DENY"},
          [], 95),
    "B": ({"Content-Security-Policy": "default-src 'self' 'unsafe-inline'", "X-Frame-Options": "DENY",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "unsafe-url"}, [], 75),
    "C": ({}, [], 50),
    "D": ({"Referrer-Policy": "unsafe-url", "Cross-Origin-Opener-Policy": "open", "Cross-Origin-Resource-Policy": "x"}, [], 35),
    "F": ({}, ["sessionid=abc; Path=/"], 10),
}


def app_with(headers: dict[str, str], cookies: list[str] = (), body: str = "<html><body>hi</body></html>") -> web.Application:
    app = web.Application()

    async def page(request: web.Request) -> web.Response:
        response = web.Response(text=body, content_type="text/html", headers=headers)
        for cookie in cookies:
            response.headers.add("Set-Cookie", cookie)
        return response

    app.router.add_get("/", page)
    app.router.add_get("/app", page)
    return app


async def test_pass_with_strong_headers(serve):
    base = await serve(app_with(BANDS["A+"][0], ["sid=1; Secure; HttpOnly; SameSite=Lax"]))
    result = await run_one(CHECK, make_target(base))
    assert result.status is Status.PASS
    assert result.findings[0].evidence["grade"] == "A+"
    assert result.findings[0].evidence["deductions"] == []


async def test_fail_with_missing_headers_lists_each_deduction(serve):
    base = await serve(app_with({}, ["sessionid=abc; Path=/"]))
    result = await run_one(CHECK, make_target(base))
    assert result.status is Status.FAIL
    finding = result.findings[0]
    points = {d["test"]: d["points"] for d in finding.evidence["deductions"]}
    assert points == {"content-security-policy": -25, "cookies": -40, "x-frame-options": -20, "x-content-type-options": -5}
    assert finding.evidence["score"] == 10 and finding.evidence["grade"] == "F"
    assert "-25 Content-Security-Policy missing (set Content-Security-Policy)" in finding.message


@pytest.mark.parametrize("band", list(BANDS))
async def test_grade_bands(serve, band):
    headers, cookies, expected = BANDS[band]
    base = await serve(app_with(headers, cookies))
    result = await run_one(CHECK, make_target(base))
    evidence = result.findings[0].evidence
    assert (evidence["score"], evidence["grade"]) == (expected, band)
    assert result.status is (Status.PASS if band in ("A+", "A", "B") else Status.FAIL)


async def test_the_worst_page_decides(serve):
    app = web.Application()

    async def good(request: web.Request) -> web.Response:
        return web.Response(text="ok", content_type="text/html", headers=BANDS["A+"][0])

    async def bad(request: web.Request) -> web.Response:
        return web.Response(text="ok", content_type="text/html")

    app.router.add_get("/", good)
    app.router.add_get("/login", bad)
    base = await serve(app)
    result = await run_one(CHECK, make_target(base, pages=["GET /", "GET /login"]))
    assert result.status is Status.FAIL
    assert "1 of 2 pages grade below B" in result.summary
    assert result.findings[0].resource == "GET /login"


async def test_error_when_nothing_listens():
    result = await run_one(CHECK, make_target("http://127.0.0.1:9"))
    assert result.status is Status.ERROR
    assert "No page could be fetched" in result.summary


async def test_skipped_without_get_pages(serve):
    base = await serve(app_with({}))
    result = await run_one(CHECK, make_target(base, pages=["POST /api/chat"]))
    assert result.status is Status.SKIPPED
