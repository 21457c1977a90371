"""The scoped client's connection and redirect behaviour (issue 13, classes 4 and 14): a
broken keep-alive connection is blamed on the request that broke it, not on the next probe;
same-origin redirects are followed before a status is judged."""

from __future__ import annotations

from aiohttp import web

from checks.check import check
from checks.model import Outcome, Severity, Status
from checks.runner import run_checks
from tests.conftest import make_target, run_one

META = dict(severity=Severity.LOW, passes_when="-", why="-", breaks="-", remediation="-")


def drops_after_500() -> tuple[web.Application, dict[str, int]]:
    """An app that, like some ASGI servers, answers an unhandled error with a keep-alive 500
    and then drops that connection: the next request sent on it gets no answer at all."""
    poisoned: set[object] = set()  # the transports themselves: ids of dead ones get reused
    seen = {"dropped": 0, "boom": 0, "ok": 0}

    @web.middleware
    async def keepalive_then_close(request: web.Request, handler):
        transport = request.transport
        if transport is not None and transport in poisoned:
            seen["dropped"] += 1
            transport.close()
            return web.Response(status=204)  # never reaches the client: the socket is gone
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception:
            if transport is not None and request.headers.get("Connection", "").lower() != "close":
                poisoned.add(transport)
            return web.Response(
                status=500, text="Internal Server Error", headers={"Connection": "keep-alive"}
            )

    async def boom(request: web.Request) -> web.Response:
        seen["boom"] += 1
        raise RuntimeError("unhandled")

    async def ok(request: web.Request) -> web.Response:
        seen["ok"] += 1
        return web.json_response({"ok": True})

    app = web.Application(middlewares=[keepalive_then_close])
    app.router.add_get("/boom", boom)
    app.router.add_get("/ok", ok)
    return app, seen


def sequence_check(*, fresh: bool):
    @check(id="t.sequence", title="sequence", max_requests=10, **META)
    async def run(target, ctx):
        statuses = []
        for path in ("/boom", "/ok", "/boom", "/ok"):
            response = await ctx.http.request("GET", path, fresh=fresh and path == "/boom")
            statuses.append(response.status)
        return Outcome.passed(f"statuses {statuses}")

    return run


async def test_a_connection_dropped_after_a_500_is_retried_once_and_not_blamed_on_the_next_probe(
    serve,
):
    app, seen = drops_after_500()
    base = await serve(app)
    result = await run_one(sequence_check(fresh=False), make_target(base))
    assert result.status is Status.PASS, result.summary
    assert result.summary == "statuses [500, 200, 500, 200]"
    assert seen["dropped"] == 2  # the broken connection really broke ...
    assert seen["ok"] == 2  # ... and each /ok was answered on a fresh one


async def test_a_malformed_probe_on_a_fresh_connection_poisons_nothing(serve):
    app, seen = drops_after_500()
    base = await serve(app)
    result = await run_one(sequence_check(fresh=True), make_target(base))
    assert result.summary == "statuses [500, 200, 500, 200]"
    assert seen["dropped"] == 0
    assert result.requests == 4


async def test_the_same_run_twice_gives_the_same_results(serve):
    app, _ = drops_after_500()
    base = await serve(app)
    first = await run_one(sequence_check(fresh=False), make_target(base))
    second = await run_one(sequence_check(fresh=False), make_target(base))
    assert (first.status, first.summary, first.findings) == (
        second.status,
        second.summary,
        second.findings,
    )


async def test_a_server_that_breaks_every_connection_is_blamed_after_one_retry():
    from tests.checks.faults import broken_server

    @check(id="t.reset", title="reset", max_requests=2, **META)
    async def run(target, ctx):
        await ctx.http.request("GET", "/x")
        return Outcome.passed("answered")

    async with broken_server("reset") as base:
        report = await run_checks(make_target(base), [run])
    result = report.results[0]
    assert result.status is Status.ERROR
    assert "also when retried on a fresh one" in result.summary
    assert (
        result.requests == 1 and report.requests == 2
    )  # the check's bound counts probes, the run counts the retry


def slash_app() -> web.Application:
    async def items(request: web.Request) -> web.Response:
        return web.json_response({"items": []})

    async def add_slash(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect(request.path + "/")

    async def elsewhere(request: web.Request) -> web.Response:
        raise web.HTTPFound("https://login.example/sso")

    app = web.Application()
    app.router.add_get("/items", add_slash)
    app.router.add_get("/items/", items)
    app.router.add_get("/away", elsewhere)
    return app


async def test_same_origin_redirects_are_followed_before_a_status_is_judged(serve):
    base = await serve(slash_app())
    seen = {}

    @check(id="t.slash", title="slash", max_requests=5, **META)
    async def run(target, ctx):
        followed = await ctx.http.request("GET", "/items")
        away = await ctx.http.request("GET", "/away")
        raw = await ctx.http.request("GET", "/items", follow_redirects=False)
        seen.update(followed=followed, away=away, raw=raw)
        return Outcome.passed("sent")

    result = await run_one(run, make_target(base))
    assert result.status is Status.PASS, result.summary
    assert seen["followed"].status == 200 and seen["followed"].url == base + "/items/"
    assert seen["followed"].redirects == ((307, base + "/items"),)
    assert seen["away"].status == 302  # another origin: handed back, never contacted
    assert seen["raw"].status == 307


async def test_after_probes_checks_run_last():
    order: list[str] = []

    def tracked(name: str):
        async def run(target, ctx):
            order.append(name)
            return Outcome.passed(name)

        return run

    items = [
        check(id="t.logs", title="logs", after_probes=True, max_requests=0, **META)(tracked("t.logs")),
        check(id="t.banners", title="banners", after_probes=True, **META)(tracked("t.banners")),
        check(id="t.burst", title="burst", exclusive=True, **META)(tracked("t.burst")),
        check(id="t.probe", title="probe", **META)(tracked("t.probe")),
    ]
    report = await run_checks(make_target("http://127.0.0.1:9"), items)
    # the log reader goes last: the banner check still sends probes that may write to the logs
    assert order == ["t.probe", "t.burst", "t.banners", "t.logs"]
    assert [r.check_id for r in report.results] == ["t.logs", "t.banners", "t.burst", "t.probe"]
