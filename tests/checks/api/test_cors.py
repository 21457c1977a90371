from __future__ import annotations

from aiohttp import web

from checks.api.cors import CHECK, hostile_origins
from checks.model import Status
from tests.checks.faults import broken_server
from tests.conftest import make_target, run_one

ALLOWED = "https://app.acme.test"
USERS = {"alice": {"token": "tok_alice_0000000000"}}


def app(policy: str) -> web.Application:
    """``exact``: echoes only the allowed origin; ``reflect``: any origin with credentials;
    ``suffix``: a regex-style check that trusts anything ending in acme.test;
    ``wildcard``: * with credentials."""

    def allow(origin: str) -> dict[str, str]:
        if policy == "wildcard":
            return {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"}
        ok = {"exact": origin == ALLOWED, "reflect": bool(origin), "suffix": origin.endswith("acme.test")}[policy]
        return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"} if ok else {}

    @web.middleware
    async def cors(request: web.Request, handler):
        origin = request.headers.get("Origin", "")
        if request.method == "OPTIONS":
            return web.Response(status=204, headers=allow(origin))
        response = await handler(request)
        response.headers.update(allow(origin))
        return response

    async def conversations(request: web.Request) -> web.Response:
        return web.json_response([])

    app = web.Application(middlewares=[cors])
    app.router.add_get("/api/conversations", conversations)
    return app


def target(base: str):
    return make_target(base, users=USERS, private_routes=["GET /api/conversations"], cors={"allowed_origins": [ALLOWED]})


def test_battery_has_unrelated_null_and_lookalikes():
    origins = [o for o, _ in hostile_origins([ALLOWED])]
    assert "null" in origins
    assert "https://app.acme.test.launchready-attacker.example" in origins
    assert "https://evilapp.acme.test" in origins
    assert "https://evil.app.acme.test" in origins
    assert "http://app.acme.test" in origins
    assert ALLOWED not in origins


async def test_pass_when_only_the_allowed_origin_is_echoed(serve):
    result = await run_one(CHECK, target(await serve(app("exact"))))
    assert result.status is Status.PASS, result.summary
    assert result.requests == 2 * (len(hostile_origins([ALLOWED])) + 1)


async def test_fail_on_reflected_origin_with_credentials(serve):
    result = await run_one(CHECK, target(await serve(app("reflect"))))
    assert result.status is Status.FAIL
    assert any("reflects Origin https://launchready-attacker.example with Allow-Credentials" in f.message for f in result.findings)


async def test_fail_on_suffix_lookalike(serve):
    result = await run_one(CHECK, target(await serve(app("suffix"))))
    assert result.status is Status.FAIL
    flagged = {f.evidence["sent_origin"] for f in result.findings}
    assert flagged == {"https://evilapp.acme.test", "https://evilacme.test", "https://evil.app.acme.test", "http://app.acme.test"}


async def test_fail_on_wildcard_with_credentials(serve):
    result = await run_one(CHECK, target(await serve(app("wildcard"))))
    assert result.status is Status.FAIL
    assert "* with Allow-Credentials" in result.findings[0].message


async def test_error_when_target_speaks_garbage():
    async with broken_server("garbage") as base:
        result = await run_one(CHECK, target(base))
    assert result.status is Status.ERROR


async def test_skipped_without_allowed_origins():
    result = await run_one(CHECK, make_target("http://127.0.0.1:9"))
    assert result.status is Status.SKIPPED
    assert "cors.allowed_origins" in result.summary


# -- issue 13, class 12: allowed origins may be patterns -------------------------------------

PATTERN = "https://*.acme.test"


def pattern_app(regex: str) -> web.Application:
    """Echoes (with credentials) every origin the server's own regex accepts."""
    import re

    accepted = re.compile(regex)

    @web.middleware
    async def cors(request: web.Request, handler):
        origin = request.headers.get("Origin", "")
        headers = {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"} if accepted.match(origin) else {}
        if request.method == "OPTIONS":
            return web.Response(status=204, headers=headers)
        response = await handler(request)
        response.headers.update(headers)
        return response

    async def conversations(request: web.Request) -> web.Response:
        return web.json_response([])

    app = web.Application(middlewares=[cors])
    app.router.add_get("/api/conversations", conversations)
    return app


def pattern_target(base: str):
    return make_target(base, users=USERS, private_routes=["GET /api/conversations"], cors={"allowed_origins": [PATTERN]})


def test_look_alikes_are_derived_from_a_pattern_and_none_is_allowed_by_it():
    from checks.api.cors import allowed_by, sample_origin

    origins = [o for o, _ in hostile_origins([PATTERN])]
    assert origins[2:] == [
        "https://acme.test.launchready-attacker.example",
        "https://launchready.acme.test.launchready-attacker.example",
        "https://evilacme.test",
        "https://launchready.acmextest",
        "http://launchready.acme.test",
    ]
    assert not any(allowed_by(o, [PATTERN]) for o in origins)
    assert sample_origin(PATTERN) == "https://launchready.acme.test" and allowed_by(sample_origin(PATTERN), [PATTERN])
    assert allowed_by("https://a.b.acme.test", [PATTERN]) and not allowed_by("https://acme.test", [PATTERN])


async def test_pass_when_the_server_anchors_its_pattern(serve):
    result = await run_one(CHECK, pattern_target(await serve(pattern_app(r"^https://([a-z0-9-]+\.)+acme\.test$"))))
    assert result.status is Status.PASS, result.summary
    assert not any("not echoed back" in f.message for f in result.findings)  # the sample origin was allowed


async def test_fail_when_the_server_pattern_is_a_careless_suffix_or_unescaped(serve):
    suffix = await run_one(CHECK, pattern_target(await serve(pattern_app(r"^https?://.*acme\.test$"))))
    assert suffix.status is Status.FAIL
    assert {f.evidence["sent_origin"] for f in suffix.findings if "sent_origin" in f.evidence} == {"https://evilacme.test", "http://launchready.acme.test"}
    unescaped = await run_one(CHECK, pattern_target(await serve(pattern_app(r"^https://.*\.acme.test$"))))
    assert unescaped.status is Status.FAIL
    assert {f.evidence["sent_origin"] for f in unescaped.findings if "sent_origin" in f.evidence} == {"https://launchready.acmextest"}


def test_a_malformed_origin_pattern_is_a_config_error():
    import pytest
    from pydantic import ValidationError

    for bad in ("*", "https://app.*.acme.test", "https://*acme.test"):
        with pytest.raises(ValidationError, match="is not an origin pattern"):
            make_target("https://x.test", cors={"allowed_origins": [bad]})
