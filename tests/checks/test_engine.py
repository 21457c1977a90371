"""The engine: runner concurrency and failure handling, the verdict rule, the scoped client,
the registry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from aiohttp import web

from checks.check import check
from checks.context import ProbeError
from checks.model import (
    CheckResult,
    Outcome,
    Override,
    RunReport,
    Severity,
    Status,
    Verdict,
    compute_verdict,
)
from checks.registry import DuplicateCheckError, Registry, UnknownCheckError
from checks.runner import run_checks
from tests.conftest import make_target, run_one


def make_check(check_id: str, run, *, severity: Severity = Severity.MEDIUM, max_requests: int = 5, timeout: float = 5.0):
    return check(
        id=check_id,
        title=check_id,
        severity=severity,
        passes_when="-",
        why="-",
        breaks="-",
        remediation="fix it",
        max_requests=max_requests,
        timeout=timeout,
    )(run)


def result(status: Status, severity: Severity = Severity.MEDIUM, check_id: str = "x.y") -> CheckResult:
    return CheckResult(check_id, check_id, "x", severity, status, "s")


# -- runner ----------------------------------------------------------------------------------


def barrier_checks():
    """Two checks that each wait for the other to start: they finish only if run together."""
    a_started, b_started = asyncio.Event(), asyncio.Event()

    async def run_a(target, ctx):
        a_started.set()
        await b_started.wait()
        return Outcome.passed("a saw b running")

    async def run_b(target, ctx):
        b_started.set()
        await a_started.wait()
        return Outcome.passed("b saw a running")

    return [make_check("t.a", run_a, timeout=5), make_check("t.b", run_b, timeout=5)]


async def test_checks_run_concurrently():
    landed: list[str] = []
    report = await run_checks(make_target("http://127.0.0.1:9"), barrier_checks(), on_result=lambda r: landed.append(r.check_id))
    assert [r.status for r in report.results] == [Status.PASS, Status.PASS]
    assert sorted(landed) == ["t.a", "t.b"]  # each reported as it landed


async def test_concurrency_bound_is_honoured():
    # With one slot the barrier can never be met: the first check times out, the second then
    # finds the first's event set. Proves the bound without measuring time.
    checks = barrier_checks()
    report = await run_checks(make_target("http://127.0.0.1:9"), checks, concurrency=1, timeout=0.2)
    assert [r.status for r in report.results] == [Status.ERROR, Status.PASS]


async def test_timeout_becomes_error_with_a_sentence():
    async def slow(target, ctx):
        await asyncio.sleep(30)
        return Outcome.passed("never")

    outcome = await run_one(make_check("t.slow", slow, timeout=0.05), make_target("http://127.0.0.1:9"))
    assert outcome.status is Status.ERROR
    assert outcome.summary == "t.slow did not finish within 0.05s; the target may be slow or hanging."


async def test_exception_becomes_error():
    async def broken(target, ctx):
        raise RuntimeError("boom")

    outcome = await run_one(make_check("t.broken", broken), make_target("http://127.0.0.1:9"))
    assert outcome.status is Status.ERROR
    assert outcome.summary == "t.broken failed unexpectedly: RuntimeError: boom"
    assert outcome.remediation == "fix it"


async def test_known_secrets_are_scrubbed_from_findings():
    token = "tok_abcdefghijklmnopqrstuvwxyz"

    async def leaky(target, ctx):
        from checks.model import Finding

        return Outcome.failed(f"saw {token}", [Finding("GET /x", f"body held {token}", {"body": token})])

    target = make_target("http://127.0.0.1:9", users={"alice": {"token": token}})
    outcome = await run_one(make_check("t.leaky", leaky), target)
    text = repr(outcome.to_dict())
    assert token not in text and "tok_…yz (sha256:" in text


# -- the scoped client -------------------------------------------------------------------------


def redirecting_app() -> web.Application:
    async def away(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://evil.example/steal")

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/away", away)
    app.router.add_get("/ok", ok)
    return app


async def test_redirect_to_a_foreign_host_is_refused_and_reported(serve):
    base = await serve(redirecting_app())

    async def follow(target, ctx):
        await ctx.http.request("GET", "/away", follow_redirects=True)
        return Outcome.passed("followed")

    target = make_target(base)
    report = await run_checks(target, [make_check("t.follow", follow)])
    outcome = report.results[0]
    assert outcome.status is Status.ERROR
    assert outcome.summary.startswith("Refused to contact evil.example: it is not one of the target's hosts (127.0.0.1)")
    assert report.requests == 1  # the hop to /away was sent; the foreign one never was


async def test_configured_url_on_another_host_is_refused(serve):
    base = await serve(redirecting_app())

    async def elsewhere(target, ctx):
        await ctx.http.request("GET", "https://other.example/x")
        return Outcome.passed("sent")

    outcome = await run_one(make_check("t.elsewhere", elsewhere), make_target(base))
    assert outcome.status is Status.ERROR
    assert "Refused to contact other.example" in outcome.summary
    assert outcome.requests == 0


async def test_a_check_past_its_request_bound_gets_error(serve):
    base = await serve(redirecting_app())

    async def greedy(target, ctx):
        for _ in range(3):
            await ctx.http.request("GET", "/ok")
        return Outcome.passed("three requests")

    outcome = await run_one(make_check("t.greedy", greedy, max_requests=2), make_target(base))
    assert outcome.status is Status.ERROR
    assert outcome.summary == "t.greedy reached its bound of 2 requests."
    assert outcome.requests == 2


async def test_probe_error_message_is_the_summary():
    async def probe(target, ctx):
        raise ProbeError("GET /x said no.")

    outcome = await run_one(make_check("t.probe", probe), make_target("http://127.0.0.1:9"))
    assert (outcome.status, outcome.summary) == (Status.ERROR, "GET /x said no.")


# -- the verdict -------------------------------------------------------------------------------

C, H, L = Severity.CRITICAL, Severity.HIGH, Severity.LOW


@pytest.mark.parametrize(
    ("results", "verdict"),
    [
        ([], Verdict.GO),
        ([(Status.PASS, C), (Status.PASS, L)], Verdict.GO),
        ([(Status.PASS, C), (Status.SKIPPED, C)], Verdict.GO),
        ([(Status.FAIL, C)], Verdict.NO_GO),
        ([(Status.ERROR, C)], Verdict.NO_GO),
        ([(Status.PASS, C), (Status.FAIL, H)], Verdict.GO_WITH_WARNINGS),
        ([(Status.ERROR, L)], Verdict.GO_WITH_WARNINGS),
        ([(Status.WARN, C)], Verdict.GO_WITH_WARNINGS),
        ([(Status.MANUAL, H)], Verdict.GO_WITH_WARNINGS),
        ([(Status.WAIVED, C)], Verdict.GO_WITH_WARNINGS),
        ([(Status.WARN, L), (Status.FAIL, C)], Verdict.NO_GO),
        ([(Status.SKIPPED, L)], Verdict.GO),
    ],
)
def test_verdict_rule(results, verdict):
    assert compute_verdict([result(s, sev, f"x.c{i}") for i, (s, sev) in enumerate(results)]) is verdict


def _report(*results: CheckResult) -> RunReport:
    now = datetime.now(UTC)
    return RunReport("r_1", "p", "t", "http://x", now, now, 0, tuple(results))


def test_a_waived_critical_failure_is_waived_never_pass():
    report = _report(result(Status.FAIL, C, "auth.private_routes"), result(Status.PASS, L, "obs.health"))
    assert report.verdict is Verdict.NO_GO
    waived = report.with_overrides({"auth.private_routes": Override(owner="U1", waiver_reason="fixed in 1.2"), "obs.health": Override(waiver_reason="x")})
    item = waived.result("auth.private_routes")
    assert (item.status, item.waived_status, item.owner) == (Status.WAIVED, Status.FAIL, "U1")
    assert waived.verdict is Verdict.GO_WITH_WARNINGS
    assert waived.result("obs.health").status is Status.PASS  # nothing to waive
    assert waived.summary["pass"] == 1 and waived.summary["waived"] == 1
    assert waived.to_dict()["results"][0]["waived_status"] == "fail"


def test_an_attested_manual_item_passes():
    report = _report(result(Status.MANUAL, H, "manual.keys_rotated"))
    attested = report.with_overrides({"manual.keys_rotated": Override(attested=True, attestation_note="rotated 3 keys")})
    assert attested.result("manual.keys_rotated").status is Status.PASS
    assert attested.verdict is Verdict.GO


def test_report_round_trips_through_json():
    report = _report(result(Status.FAIL, C, "a.b"), result(Status.WAIVED, L, "c.d"))
    again = RunReport.from_dict(report.to_dict())
    assert again.to_dict() == report.to_dict()


# -- the registry ------------------------------------------------------------------------------


async def _noop(target, ctx):
    return Outcome.passed("ok")


def test_registry_refuses_duplicates():
    first = make_check("auth.private_routes", _noop)
    with pytest.raises(DuplicateCheckError, match="auth.private_routes is registered twice"):
        Registry([first, make_check("auth.private_routes", _noop)])


def test_registry_suggests_close_ids():
    registry = Registry([make_check("auth.private_routes", _noop), make_check("obs.health", _noop)])
    with pytest.raises(UnknownCheckError, match="Did you mean auth.private_routes"):
        registry.select(["auth.privat_routes"])
    assert [c.id for c in registry.select(["auth"])] == ["auth.private_routes"]


def test_default_catalog_ids_are_unique_and_well_formed():
    from checks.catalog import default_registry

    registry = default_registry()
    ids = [c.id for c in registry]
    assert len(ids) == len(set(ids))
    assert {"auth.private_routes", "obs.health", "obs.correlation_id", "manual.keys_rotated"} <= set(ids)
    for item in registry:
        assert item.title and item.remediation and item.passes_when


async def test_exclusive_checks_run_alone_after_the_concurrent_ones():
    from checks.check import check as make_check
    from checks.model import Outcome, Severity
    from checks.runner import run_checks
    from tests.conftest import make_target

    running: set[str] = set()
    overlaps: dict[str, set[str]] = {}
    order: list[str] = []

    def tracked(name: str):
        async def run(target, ctx):
            running.add(name)
            order.append(name)
            await asyncio.sleep(0)  # yield, so any concurrent check would start now
            await asyncio.sleep(0)
            overlaps[name] = set(running) - {name}
            running.discard(name)
            return Outcome.passed(f"{name} ran")

        return run

    meta = dict(severity=Severity.LOW, passes_when="-", why="-", breaks="-", remediation="-")
    items = [
        make_check(id="t.alone", title="alone", exclusive=True, **meta)(tracked("t.alone")),
        make_check(id="t.one", title="one", **meta)(tracked("t.one")),
        make_check(id="t.two", title="two", **meta)(tracked("t.two")),
    ]
    report = await run_checks(make_target("http://127.0.0.1:9"), items)
    assert [r.check_id for r in report.results] == ["t.alone", "t.one", "t.two"]  # report keeps the given order
    assert order[-1] == "t.alone"
    assert overlaps["t.alone"] == set()
    assert overlaps["t.one"] == {"t.two"}  # the others still overlap each other


# -- body encoding ---------------------------------------------------------------------------


def echo_app() -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"type": request.content_type, "body": await request.text()})

    app = web.Application()
    app.router.add_post("/echo", echo)
    return app


@pytest.mark.parametrize(
    ("content_type", "sent_as", "text"),
    [
        (None, "application/json", '{"username":"alice","n":1}'),
        ("json", "application/json", '{"username":"alice","n":1}'),
        ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded", "username=alice&n=1"),
        ("form", "application/x-www-form-urlencoded", "username=alice&n=1"),
    ],
)
async def test_a_route_body_is_sent_in_its_declared_encoding(serve, content_type, sent_as, text):
    from checks.target import PrivateRoute, body_kwargs

    base = await serve(echo_app())
    route = PrivateRoute.model_validate({"route": "POST /echo", "body": {"username": "alice", "n": 1}, "content_type": content_type})
    seen: dict[str, str] = {}

    async def post(target, ctx):
        response = await ctx.http.request("POST", "/echo", **body_kwargs(route.body, route.content_type))
        seen.update(response.json())
        return Outcome.passed("sent")

    outcome = await run_one(make_check("t.body", post), make_target(base))
    assert outcome.status is Status.PASS
    assert seen == {"type": sent_as, "body": text}


def test_an_unknown_body_encoding_is_a_config_error():
    from pydantic import ValidationError

    from checks.target import PrivateRoute

    with pytest.raises(ValidationError, match="is not a body encoding"):
        PrivateRoute.model_validate({"route": "POST /x", "content_type": "xml"})


def test_a_route_fills_every_placeholder_whatever_its_name_or_converter():
    from checks.target import Route

    route = Route.parse("GET /orgs/{org}/items/{item_id:int}")
    assert route.placeholders == ["org", "item_id"]
    assert route.fill("7") == "/orgs/7/items/7"
    assert Route.parse("GET /health").fill("7") == "/health"
